package org.httpfstream.store;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A follower's handle on an append session: it reads committed bytes at any position and learns when
 * the session ends. It holds no data of its own: the follower keeps its own position, so a follower
 * that falls behind simply reads older bytes from the file and catches up.
 *
 * <p>Thread safety: all methods may be called from any thread; {@link #close()} is idempotent.
 */
public final class Subscription implements AutoCloseable {
    private final AppendSession session;
    private final StreamListener listener;
    private boolean closed; // Guarded by this.

    Subscription(AppendSession session, StreamListener listener) {
        this.session = session;
        this.listener = listener;
    }

    /** The followed session. */
    public AppendSession session() {
        return session;
    }

    /** Committed length; every byte below it can be read. */
    public long length() {
        return session.length();
    }

    /** True once the session has ended; read {@link #ended()} before {@link #length()} to get the final length. */
    public boolean ended() {
        return session.ended();
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
        return session.read(position, dst);
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        session.unsubscribe(listener);
    }
}
