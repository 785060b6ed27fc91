package org.httpfstream.store.memory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.NoSuchFileException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.httpfstream.store.Follower;
import org.httpfstream.store.NamedStream;
import org.httpfstream.store.ForkedBytes;
import org.httpfstream.store.InsufficientStorageException;
import org.httpfstream.store.Lease;
import org.httpfstream.store.StoredStream;
import org.httpfstream.store.StreamListener;
import org.httpfstream.store.StreamMetadata;
import org.httpfstream.store.StreamTooLargeException;
import org.httpfstream.store.SessionLease;
import org.httpfstream.store.WriterConflictException;

/**
 * A stream of the {@link MemoryStorage}: a handle by path on the store's maps.
 *
 * <p>Thread safety: immutable; the bytes are {@link Bytes}, whose monitor is the lease.
 */
final class MemoryStream extends NamedStream<MemoryStorage> {
    /** The most bytes one stream may hold in memory. */
    static final long MAX_BYTES = Integer.MAX_VALUE - 8;

    MemoryStream(MemoryStorage storage, String name) {
        super(storage, name);
    }

    /**
     * A stream's bytes: one array, grown by copying; a fork's array holds only its own bytes, past the
     * fork point, and its reads below it go to its source's {@code Bytes}, which it keeps alive. The writer holds the monitor; a reader reads {@link
     * #committed} and then {@link #data} without it, which is safe because the bytes below {@code
     * committed} are in the array before it moves, and a grown array is a copy holding them.
     *
     * <p>Thread safety: written under this object's monitor (the stream's lease); read from any thread.
     */
    static final class Bytes implements Follower.Reader {
        /** The bytes; a larger copy replaces it as the stream grows. Written under this. */
        private volatile byte[] data = new byte[256];
        /** Bytes readers may see: every byte written. Written under this. */
        private volatile long committed;
        /** True once deleted: nothing appends any more. Written under this. */
        private volatile boolean deleted;
        /** A fork's source, whose bytes below {@link #base} are this stream's; null if none. Written under this. */
        private volatile Bytes source;
        /** The position of {@code data[0]}: the fork point, 0 if not a fork. Written under this, before {@link #committed}. */
        private volatile long base;
        /** The session holding the stream's long-held lease, or null. Written under this. */
        private volatile MemorySession session;
        /** When the bytes last changed, in epoch milliseconds. Written under this. */
        private volatile long modified = System.currentTimeMillis();

        /** Begins this empty stream with {@code source}'s first {@code length} bytes, shared, not copied. */
        synchronized void reference(Bytes source, long length) {
            if (committed != 0) {
                throw new IllegalStateException("reference on a stream of " + committed + " bytes");
            }
            this.source = source;
            this.base = length;
            this.committed = length;
        }

        synchronized void discard() {
            deleted = true;
        }

        long committed() {
            return committed;
        }

        long modified() {
            return modified;
        }

        MemorySession session() {
            return session;
        }

        /** Gives the long-held lease to {@code holder} (null: releases it); the caller holds the monitor. */
        void hold(MemorySession holder) {
            assert Thread.holdsLock(this);
            session = holder;
        }

        /** Throws if a session holds the long-held lease; the caller holds the monitor. */
        void checkNoSession() throws WriterConflictException {
            if (session != null) {
                throw new WriterConflictException();
            }
        }

        /** Reads committed bytes at {@code position}; see {@link ForkedBytes#read}. */
        @Override
        public int read(long position, ByteBuffer dst) throws IOException {
            return ForkedBytes.read(position, dst, committed, base, data, source);
        }

        /** Cuts the bytes back to {@code length} (not below a fork point); the caller holds the monitor. */
        void cut(long length) {
            assert Thread.holdsLock(this);
            if (length < base || length > committed) {
                throw new IllegalArgumentException("length out of range: " + length + " of " + committed);
            }
            committed = length;
        }

        /** Appends {@code srcs} whole; the caller holds the monitor. */
        long append(ByteBuffer[] srcs, long max) throws IOException {
            assert Thread.holdsLock(this);
            if (deleted) {
                throw new ClosedChannelException();
            }
            long n = Lease.remaining(srcs);
            if (max > 0 && committed + n > max) {
                throw new StreamTooLargeException(committed, n, max);
            }
            if (committed - base + n > MAX_BYTES) {
                throw new InsufficientStorageException("an append of " + n + " bytes",
                        new IOException("a stream in memory holds at most " + MAX_BYTES + " bytes"));
            }
            long from = base;
            int at = (int) (committed - from);
            byte[] d = data;
            if (at + n > d.length) {
                d = ForkedBytes.grown(d, at, at + n, MAX_BYTES);
                data = d;
            }
            for (ByteBuffer b : srcs) {
                int len = b.remaining();
                b.get(d, at, len);
                at += len;
            }
            committed = from + at;
            modified = System.currentTimeMillis();
            return from + at;
        }
    }

    /**
     * Appends {@code srcs} whole to {@code b} within the store's size limit, telling the store's refusal
     * listeners of a refusal; the caller holds {@code b}'s monitor. Returns the new length.
     */
    long append(Bytes b, ByteBuffer[] srcs) throws IOException {
        try {
            return b.append(srcs, storage.limits().maxStreamBytes());
        } catch (StreamTooLargeException | InsufficientStorageException e) {
            throw storage.listeners().refused(e);
        }
    }

    private Bytes bytes() throws NoSuchFileException {
        Bytes b = storage.bytes.get(name);
        if (b == null) {
            throw new NoSuchFileException(name);
        }
        return b;
    }

    @Override
    public boolean exists() {
        return storage.bytes.containsKey(name);
    }

    @Override
    public boolean folder() {
        return name.equals("/") || storage.folder(name);
    }

    @Override
    public long committedLength() throws IOException {
        return bytes().committed();
    }

    @Override
    public long knownCommittedLength() {
        Bytes b = storage.bytes.get(name);
        return b == null ? -1 : b.committed();
    }

    @Override
    public long writtenLength() throws IOException {
        return committedLength();
    }

    @Override
    public <T> T withLease(boolean create, LeaseAction<T> action) throws IOException {
        for (;;) {
            Bytes b = create ? storage.create(name) : bytes();
            synchronized (b) {
                if (storage.bytes.get(name) != b) {
                    continue; // deleted meanwhile: take the current one
                }
                b.checkNoSession();
                return action.run(new MemoryLease(this, b));
            }
        }
    }

    @Override
    public SessionLease startSession() throws IOException {
        for (;;) {
            Bytes b = storage.create(name);
            synchronized (b) {
                if (storage.bytes.get(name) != b) {
                    continue; // deleted meanwhile: take the current one
                }
                b.checkNoSession();
                storage.guard().check(this);
                MemorySession session = new MemorySession(this, b);
                b.hold(session);
                return session;
            }
        }
    }

    @Override
    public Optional<SessionLease> session() {
        Bytes b = storage.bytes.get(name);
        return b == null ? Optional.empty() : Optional.ofNullable(b.session());
    }

    @Override
    public long lastModified() throws IOException {
        return bytes().modified();
    }

    @Override
    protected Bytes localBytes() throws NoSuchFileException {
        return bytes();
    }

    @Override
    public Follower follow(StreamListener listener, BooleanSupplier ended) throws IOException {
        Bytes b = bytes();
        return storage.listeners().follow(name, b::committed, b, listener, ended);
    }

    /** Complete: every change is committed when made. */
    @Override
    public CompletableFuture<Void> durable(long length) {
        return CompletableFuture.completedFuture(null);
    }

    /** Complete: metadata is committed when set. */
    @Override
    public CompletableFuture<Void> barrier() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public Optional<StreamMetadata> metadata() {
        return Optional.ofNullable(storage.metadata.get(name));
    }

    @Override
    public Optional<StreamMetadata> publishedMetadata() {
        return metadata();
    }

    @Override
    public void putMetadata(StreamMetadata metadata) {
        storage.metadata.put(name, java.util.Objects.requireNonNull(metadata, "metadata"));
    }

    @Override
    public Optional<StreamMetadata> updateMetadata(UnaryOperator<Optional<StreamMetadata>> change) {
        StreamMetadata m = storage.metadata.compute(name, (n, old) -> {
            Optional<StreamMetadata> next = change.apply(Optional.ofNullable(old));
            return next == null ? null : next.orElse(null);
        });
        return Optional.ofNullable(m);
    }

    @Override
    public void removeMetadata() {
        storage.metadata.remove(name);
    }

    /** Nothing to do: metadata is committed when set. */
    @Override
    public void flushMetadata() {
    }

    @Override
    public void delete(IoAction action) throws IOException {
        Bytes b = storage.bytes.get(name);
        if (b == null) {
            action.run();
            return;
        }
        synchronized (b) {
            b.checkNoSession();
            discard();
            action.run();
        }
    }

    @Override
    public void discard() {
        Bytes b = storage.bytes.remove(name);
        if (b != null) {
            b.discard();
        }
    }

    /** The lease of a memory stream: its bytes, under their monitor. */
    private record MemoryLease(MemoryStream stream, Bytes bytes) implements Lease {
        @Override
        public CompletableFuture<Long> append(ByteBuffer... srcs) throws IOException {
            long end = stream.append(bytes, srcs);
            stream.changed();
            return CompletableFuture.completedFuture(end);
        }

        @Override
        public long written() {
            return bytes.committed();
        }

        @Override
        public void reference(StoredStream source, long length) throws IOException {
            bytes.reference(((MemoryStream) source).bytes(), length);
        }

        @Override
        public void cut(long length) {
            bytes.cut(length);
        }

        @Override
        public void stageMetadata(StreamMetadata metadata) {
            stream.putMetadata(metadata);
        }

        @Override
        public void abandon() {
            stream.removeMetadata();
            stream.storage.bytes.remove(stream.name, bytes);
            bytes.discard();
        }
    }
}
