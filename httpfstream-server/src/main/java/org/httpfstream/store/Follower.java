package org.httpfstream.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * A follower's handle on a stream: it reads committed bytes at any position and learns when the stream
 * ends. It holds no data of its own: the follower keeps its own position, so a follower that falls
 * behind simply reads older bytes from the store and catches up.
 *
 * <p>Two kinds: one over an append session ({@link SessionLease#follow}), which ends with the
 * session; and one over a stored stream whoever writes it ({@link StoredStream#follow}, {@link
 * StreamStore#follow}), which ends when its end condition says so (a Durable Streams stream ends when
 * it is closed or deleted).
 *
 * <p>Thread safety: all methods may be called from any thread; {@link #close()} is idempotent.
 */
public final class Follower implements AutoCloseable {
    private final AppendSession session;
    private final StreamListener listener;
    private final Source source;
    private final BooleanSupplier ended;
    private boolean closed; // Guarded by this.

    /** Where a follower of a stored stream reads; a store's own. */
    public interface Source {
        /** Committed length; 0 if it cannot be known now (a read then reports the failure). */
        long length();

        /** A positional read, as {@link java.nio.channels.FileChannel#read(ByteBuffer, long)}. */
        int read(long position, ByteBuffer dst) throws IOException;

        /** Stops the listener's notifications and frees the read handle. */
        void close();
    }

    Follower(AppendSession session, StreamListener listener) {
        this.session = session;
        this.listener = listener;
        this.source = null;
        this.ended = null;
    }

    /** A follower reading from {@code source} until {@code ended}; for implementations of the seam. */
    public Follower(Source source, StreamListener listener, BooleanSupplier ended) {
        this.session = null;
        this.listener = listener;
        this.source = source;
        this.ended = ended;
    }

    /** A follower of {@code file} in {@code store}, whatever writes to it, with its own read handle. */
    static Follower ofFile(StreamStore store, Path file, StreamListener listener, BooleanSupplier ended)
            throws IOException {
        java.util.Objects.requireNonNull(file, "file");
        java.util.Objects.requireNonNull(listener, "listener");
        java.util.Objects.requireNonNull(ended, "ended");
        java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.READ, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        store.watch(file, listener);
        return new Follower(fileSource(store, file, channel, listener), listener, ended);
    }

    /** A source over a file channel with a length function: the file store's. */
    static Source fileSource(StreamStore store, Path file, java.nio.channels.FileChannel channel,
            StreamListener listener) {
        return new Source() {
            @Override
            public long length() {
                try {
                    return store.committedLength(file, channel);
                } catch (IOException e) {
                    return 0; // a closed channel; read() reports the failure
                }
            }

            @Override
            public int read(long position, ByteBuffer dst) throws IOException {
                return channel.read(dst, position);
            }

            @Override
            public void close() {
                store.unwatch(file, listener);
                try {
                    channel.close();
                } catch (IOException e) {
                    StreamStore.LOG.debug("closing {} failed", file, e);
                }
            }
        };
    }

    /** A source over a length function and a reader; for stores without files. */
    public static Source source(LongSupplier length, Reader reader, Runnable close) {
        return new Source() {
            @Override
            public long length() {
                return length.getAsLong();
            }

            @Override
            public int read(long position, ByteBuffer dst) throws IOException {
                return reader.read(position, dst);
            }

            @Override
            public void close() {
                close.run();
            }
        };
    }

    /** A positional read. */
    @FunctionalInterface
    public interface Reader {
        int read(long position, ByteBuffer dst) throws IOException;
    }

    /**
     * A key under which readers on one thread may share blocks of what they read (the followed append
     * session, whose committed bytes never change while it lives), or null if reads must not be shared
     * (a stored stream can be deleted and created again under one name).
     */
    public Object sharingKey() {
        return session;
    }

    /** Committed length; every byte below it can be read. */
    public long length() {
        return session != null ? session.length() : source.length();
    }

    /** True once the stream has ended; read {@link #ended()} before {@link #length()} to get the final length. */
    public boolean ended() {
        return session != null ? session.ended() : ended.getAsBoolean();
    }

    /**
     * Reads committed bytes starting at {@code position} into {@code dst}, as {@link
     * java.nio.channels.FileChannel#read(ByteBuffer, long)} does. The caller must not read past {@link
     * #length()}.
     */
    public int read(long position, ByteBuffer dst) throws IOException {
        if (position < 0) {
            throw new IllegalArgumentException("position < 0: " + position);
        }
        synchronized (this) {
            if (closed) {
                throw new IOException("follower closed");
            }
        }
        return session != null ? session.read(position, dst) : source.read(position, dst);
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (session != null) {
            session.unsubscribe(listener);
        } else {
            source.close();
        }
    }
}
