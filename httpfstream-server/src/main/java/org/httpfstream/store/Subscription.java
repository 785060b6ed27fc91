package org.httpfstream.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

/**
 * A follower's handle on a stream: it reads committed bytes at any position and learns when the stream
 * ends. It holds no data of its own: the follower keeps its own position, so a follower that falls
 * behind simply reads older bytes from the file and catches up.
 *
 * <p>Two kinds: one over an {@link AppendSession} ({@link AppendSession#subscribe}), which ends with
 * the session; and one over the stream's file whoever writes it ({@link StreamStore#follow}), which
 * ends when its end condition says so (a Durable Streams stream ends when it is closed or deleted).
 *
 * <p>Thread safety: all methods may be called from any thread; {@link #close()} is idempotent.
 */
public final class Subscription implements AutoCloseable {
    private final AppendSession session;
    private final StreamListener listener;
    private final StreamStore store;
    private final Path file;
    private final FileChannel channel;
    private final BooleanSupplier ended;
    private boolean closed; // Guarded by this.

    Subscription(AppendSession session, StreamListener listener) {
        this.session = session;
        this.listener = listener;
        this.store = null;
        this.file = session.file();
        this.channel = null;
        this.ended = null;
    }

    Subscription(StreamStore store, Path file, FileChannel channel, StreamListener listener,
            BooleanSupplier ended) {
        this.session = null;
        this.listener = listener;
        this.store = store;
        this.file = file;
        this.channel = channel;
        this.ended = ended;
    }

    /** The followed session; null for a subscription over the stream's file. */
    public AppendSession session() {
        return session;
    }

    /** Committed length; every byte below it can be read. */
    public long length() {
        if (session != null) {
            return session.length();
        }
        try {
            return store.committedLength(file, channel);
        } catch (IOException e) {
            return 0; // a closed channel; read() reports the failure
        }
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
                throw new IOException("subscription closed");
            }
        }
        return session != null ? session.read(position, dst) : channel.read(dst, position);
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
            store.unwatch(file, listener);
            try {
                channel.close();
            } catch (IOException e) {
                StreamStore.LOG.debug("closing {} failed", file, e);
            }
        }
    }
}
