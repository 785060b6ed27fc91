package org.httpfstream.subscriptions;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.httpfstream.durable.DurableStreams;
import org.httpfstream.store.MetadataStore;
import org.httpfstream.store.StreamStore;

/**
 * {@link StreamAccess} over the server's {@link DurableStreams} and its {@link StreamStore}: tails from
 * stream snapshots, listings from the store's folder (without its metadata folder), wake events appended
 * as JSON messages.
 *
 * <p>Thread safety: safe from any thread, as the streams are.
 */
public final class DurableStreamAccess implements StreamAccess {
    private final DurableStreams streams;
    private final StreamStore store;

    public DurableStreamAccess(DurableStreams streams) {
        this.streams = Objects.requireNonNull(streams, "streams");
        this.store = streams.store();
    }

    @Override
    public long tail(String path) {
        try {
            DurableStreams.Snapshot s = streams.snapshot(path);
            return s == null ? 0 : s.tail();
        } catch (IOException e) {
            return 0;
        }
    }

    @Override
    public List<String> streamsUnder(String root) {
        Path base;
        try {
            base = store.locate(root.isEmpty() ? "/" : root);
        } catch (IOException e) {
            return List.of();
        }
        if (!Files.isDirectory(base)) {
            return List.of();
        }
        Path metaDir = store.root().resolve(MetadataStore.FOLDER);
        try (Stream<Path> files = Files.walk(base)) {
            return files.filter(f -> !f.startsWith(metaDir) && Files.isRegularFile(f))
                    .map(f -> base.relativize(f).toString().replace(File.separatorChar, '/')).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public CompletableFuture<?> appendJson(String path, byte[] json) {
        try {
            return streams.append(path, new DurableStreams.AppendRequest("application/json", null, null, false, json));
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void onChange(BooleanSupplier interested, Consumer<String> listener) {
        store.addChangeListener(file -> {
            if (interested.getAsBoolean()) {
                listener.accept("/" + store.root().relativize(file).toString().replace(File.separatorChar, '/'));
            }
        });
    }

    @Override
    public void onClose(Runnable listener) {
        store.addCloseListener(listener);
    }
}
