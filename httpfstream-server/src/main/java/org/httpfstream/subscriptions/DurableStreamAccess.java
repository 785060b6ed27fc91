package org.httpfstream.subscriptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.httpfstream.durable.DurableStreams;
import org.httpfstream.store.InvalidStreamPathException;
import org.httpfstream.store.StreamStore;

/**
 * {@link StreamAccess} over the server's {@link DurableStreams}: tails from stream snapshots, listings
 * and change events from its storage (files or memory), wake events appended as JSON messages; closing
 * follows the {@link StreamStore}.
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
        String base = root + "/";
        try {
            return streams.storage().list(base).stream().map(name -> name.substring(base.length())).toList();
        } catch (InvalidStreamPathException e) {
            return List.of(); // no stream can be under it
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
        streams.storage().addChangeListener(interested, listener); // asked first: no path per append unless wanted
    }

    @Override
    public void onClose(Runnable listener) {
        store.addCloseListener(listener);
    }
}
