package org.httpfstream.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * The storage seam over plain files: a {@link StreamStore} (the files under its root, their writers
 * and leases, group commit and tail marks) and a {@link MetadataStore} beside it. Nothing is added on
 * the append path: a {@link Lease} is the stream's open {@link StreamWriter} under its monitor, as it
 * was before the seam, so speed and durability are those of the store.
 *
 * <p>Thread safety: safe for use from any number of threads; per-stream state lives in the store's
 * concurrent maps. Atomic metadata updates are serialized by one of a fixed set of striped monitors.
 */
public final class FileStorage implements Storage {
    private static final int STRIPES = 64;

    private final StreamStore store;
    private final MetadataStore metadata;
    private final Object[] metadataLocks = new Object[STRIPES];

    /** The seam over {@code store}, whose metadata it keeps under the root's private folder. */
    public FileStorage(StreamStore store) {
        this.store = Objects.requireNonNull(store, "store");
        this.metadata = new MetadataStore(store);
        for (int i = 0; i < STRIPES; i++) {
            metadataLocks[i] = new Object();
        }
    }

    /** The store of files under this seam (the original protocol's sessions live there). */
    public StreamStore files() {
        return store;
    }

    MetadataStore metadataStore() {
        return metadata;
    }

    Object metadataLock(Path file) {
        return metadataLocks[Math.floorMod(file.hashCode(), STRIPES)];
    }

    @Override
    public StoredStream stream(String path) throws IOException {
        StreamWriter cached = store.cachedWriter(path);
        return new FileStream(this, path, cached != null ? cached.file() : store.locate(path));
    }

    /** The handle on the stream whose file is {@code file} (under the root). */
    StoredStream streamOf(Path file) {
        return new FileStream(this, "/" + store.root().relativize(file).toString().replace('\\', '/'), file);
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        Path root = store.root();
        Path hidden = root.resolve(MetadataStore.FOLDER);
        List<String> names = new ArrayList<>();
        int slash = prefix.lastIndexOf('/');
        Path base = slash <= 0 ? root : store.locate(prefix.substring(0, slash)); // the folder to walk
        if (!Files.isDirectory(base)) {
            return names;
        }
        try (Stream<Path> files = Files.walk(base)) {
            files.filter(p -> !p.startsWith(hidden) && Files.isRegularFile(p))
                    .map(p -> "/" + root.relativize(p).toString().replace('\\', '/'))
                    .filter(n -> n.startsWith(prefix))
                    .forEach(names::add);
        }
        return names;
    }

    @Override
    public StoreLimits limits() {
        return store.limits();
    }

    @Override
    public boolean durableWrites() {
        return store.fsync();
    }

    @Override
    public CompletableFuture<Void> barrier() {
        return store.barrier();
    }

    @Override
    public void leaseGuard(LeaseGuard guard) {
        Objects.requireNonNull(guard, "guard");
        store.appendGuard(file -> guard.check(streamOf(file)));
    }

    @Override
    public void addChangeListener(java.util.function.Consumer<String> listener) {
        addChangeListener(() -> true, listener);
    }

    /** The path is computed only once {@code interested} says true: nothing is allocated per append before. */
    @Override
    public void addChangeListener(java.util.function.BooleanSupplier interested,
            java.util.function.Consumer<String> listener) {
        Objects.requireNonNull(interested, "interested");
        Objects.requireNonNull(listener, "listener");
        Path root = store.root();
        store.addChangeListener(file -> {
            if (interested.getAsBoolean()) {
                listener.accept("/" + root.relativize(file).toString().replace('\\', '/'));
            }
        });
    }

    @Override
    public void addRefusalListener(java.util.function.Consumer<IOException> listener) {
        store.addRefusalListener(Objects.requireNonNull(listener, "listener"));
    }

    /** Closes the store of files. */
    @Override
    public void close() {
        store.close();
    }
}
