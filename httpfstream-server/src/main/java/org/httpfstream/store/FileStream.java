package org.httpfstream.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * A stream of the {@link FileStorage}: its file under the root, whose open {@link StreamWriter} is the
 * lease, and its metadata file.
 *
 * <p>Thread safety: immutable; the state it reaches is the store's (see {@link StreamStore}).
 */
final class FileStream implements StoredStream {
    private final FileStorage storage;
    private final StreamStore store;
    private final String name;
    private final Path file;

    FileStream(FileStorage storage, String name, Path file) {
        this.storage = storage;
        this.store = storage.files();
        this.name = name;
        this.file = file;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Object key() {
        return file;
    }

    @Override
    public boolean exists() {
        StreamWriter w = store.openWriterOf(file); // open: the file is there, no stat needed
        return w != null && w.isOpen() || Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public boolean folder() {
        return Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public long committedLength() throws IOException {
        return store.committedLength(file);
    }

    @Override
    public long knownCommittedLength() {
        StreamWriter w = store.openWriterOf(file);
        if (w == null) {
            return -1;
        }
        long committed = w.committed();
        return w.isOpen() ? committed : -1; // checked last: a delete closes the writer first
    }

    @Override
    public long writtenLength() throws IOException {
        return store.writtenLength(file);
    }

    @Override
    public <T> T withLease(boolean create, LeaseAction<T> action) throws IOException {
        for (;;) {
            StreamWriter w = store.writer(name, create);
            try {
                return w.exclusive(writer -> action.run(new FileLease(writer)));
            } catch (StaleWriterException e) {
                // closed since we got it (idle or deleted): take the current one
            }
        }
    }

    @Override
    public SessionLease startSession() throws IOException {
        return store.startAppend(name);
    }

    @Override
    public Optional<SessionLease> session() {
        return Optional.ofNullable(store.activeSession(file));
    }

    @Override
    public long lastModified() throws IOException {
        return Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toMillis();
    }

    @Override
    public int read(long position, ByteBuffer dst) throws IOException {
        StreamMetadata.Fork fork = fork();
        if (fork != null && position < fork.position()) {
            return readSource(fork, position, dst);
        }
        return readOwn(position, dst);
    }

    /** Where this stream was forked from, if it is a fork (its bytes below the fork point are the source's). */
    private StreamMetadata.Fork fork() throws IOException {
        Optional<StreamMetadata> m = storage.metadataStore().get(file);
        return m.isPresent() ? m.get().fork() : null;
    }

    /** Reads the source's bytes below the fork point, never past it. */
    private int readSource(StreamMetadata.Fork fork, long position, ByteBuffer dst) throws IOException {
        ByteBuffer part = dst.slice();
        part.limit((int) Math.min(part.remaining(), fork.position() - position));
        int n = storage.stream(fork.source()).read(position, part);
        if (n > 0) {
            dst.position(dst.position() + n);
        }
        return n;
    }

    private int readOwn(long position, ByteBuffer dst) throws IOException {
        StreamWriter w = store.openWriterOf(file);
        if (w != null) {
            try {
                return w.read(position, dst);
            } catch (ClosedChannelException e) {
                // closed meanwhile: read the file itself
            }
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            return ch.read(dst, position);
        }
    }

    @Override
    public Optional<FileChannel> openChannel() throws IOException {
        return Optional.of(FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
    }

    /** A fork's follower reads the source's bytes below the fork point (see {@link #read}). */
    @Override
    public Follower follow(StreamListener listener, BooleanSupplier ended) throws IOException {
        Follower own = store.follow(file, listener, ended);
        StreamMetadata.Fork fork = fork();
        if (fork == null) {
            return own;
        }
        return new Follower(Follower.source(own::length, (at, dst) -> at < fork.position()
                ? readSource(fork, at, dst) : own.read(at, dst), own::close), listener, ended);
    }

    @Override
    public void watch(StreamListener listener) {
        store.watch(file, listener);
    }

    @Override
    public void unwatch(StreamListener listener) {
        store.unwatch(file, listener);
    }

    @Override
    public void changed() {
        store.changed(file);
    }

    @Override
    public CompletableFuture<Void> durable(long length) {
        return store.durable(file, length);
    }

    @Override
    public CompletableFuture<Void> barrier() {
        return store.barrier(file);
    }

    @Override
    public Optional<StreamMetadata> metadata() throws IOException {
        return storage.metadataStore().get(file);
    }

    @Override
    public Optional<StreamMetadata> publishedMetadata() throws IOException {
        return storage.metadataStore().published(file);
    }

    @Override
    public void putMetadata(StreamMetadata metadata) throws IOException {
        synchronized (storage.metadataLock(file)) {
            storage.metadataStore().put(file, metadata);
        }
    }

    @Override
    public Optional<StreamMetadata> updateMetadata(UnaryOperator<Optional<StreamMetadata>> change)
            throws IOException {
        synchronized (storage.metadataLock(file)) {
            MetadataStore ms = storage.metadataStore();
            Optional<StreamMetadata> updated = Optional.ofNullable(change.apply(ms.get(file)))
                    .flatMap(o -> o);
            if (updated.isPresent()) {
                ms.put(file, updated.get());
            } else {
                ms.remove(file);
            }
            return updated;
        }
    }

    @Override
    public void removeMetadata() throws IOException {
        synchronized (storage.metadataLock(file)) {
            storage.metadataStore().remove(file);
        }
    }

    @Override
    public void flushMetadata() throws IOException {
        storage.metadataStore().flush(file);
    }

    @Override
    public void delete(IoAction action) throws IOException {
        store.delete(file, () -> {
            discard();
            action.run();
        });
    }

    @Override
    public void discard() throws IOException {
        store.discard(file); // no append goes to the old file after this
        Files.deleteIfExists(file);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FileStream other && other.file.equals(file);
    }

    @Override
    public int hashCode() {
        return file.hashCode();
    }

    @Override
    public String toString() {
        return "FileStream{" + name + "}";
    }

    /** The lease of a file stream: its writer, under the writer's monitor. */
    private final class FileLease implements Lease {
        private final StreamWriter writer;

        FileLease(StreamWriter writer) {
            this.writer = writer;
        }

        @Override
        public CompletableFuture<Long> append(ByteBuffer... srcs) throws IOException {
            writer.write(srcs);
            long end = writer.written();
            CompletableFuture<Void> synced = writer.syncedFuture(); // under the lease: a failed sync fails it
            return synced == null ? CompletableFuture.completedFuture(end) : synced.thenApply(v -> end);
        }

        @Override
        public long written() {
            return writer.written();
        }

        @Override
        public void cut(long length) throws IOException {
            writer.cut(length);
        }

        /** A hole up to {@code length} in the fork's file; reads below it go to the source (see {@link #read}). */
        @Override
        public void reference(StoredStream source, long length) throws IOException {
            writer.skipTo(length);
        }

        @Override
        public void stageMetadata(StreamMetadata metadata) throws IOException {
            storage.metadataStore().putLater(file, metadata);
        }

        @Override
        public void abandon() throws IOException {
            storage.metadataStore().remove(file);
            writer.closeLocked();
            Files.deleteIfExists(file);
        }
    }
}
