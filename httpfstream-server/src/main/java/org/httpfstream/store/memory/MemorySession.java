package org.httpfstream.store.memory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CompletableFuture;
import org.httpfstream.store.Follower;
import org.httpfstream.store.SessionLease;
import org.httpfstream.store.StreamListener;

/**
 * The long-held lease of a {@link MemoryStream}: an original-protocol append session on the stream's
 * {@link MemoryStream.Bytes}. Every append is committed when it returns (a copy into the stream's
 * array), so {@link #end()} is complete at once.
 *
 * <p>Thread safety: {@link #append} and {@link #end} take the bytes' monitor (the stream's lease), so an
 * end from another thread never interleaves with an append; {@code endLength} and {@code ended} are
 * volatile and followers read without the monitor, as every reader of {@code Bytes} does.
 */
final class MemorySession implements SessionLease {
    private final MemoryStream stream;
    private final MemoryStream.Bytes bytes;
    private final long startLength;
    private final long startNanos = System.nanoTime();
    /** The stream's length when the session ended, -1 before. Written under the bytes' monitor. */
    private volatile long endLength = -1;
    /** True once ended: {@link #length()} is final. */
    private volatile boolean ended;
    /** True once the appender's connection ended without an end of its append. */
    private volatile boolean vanished;

    /** Created under {@code bytes}' monitor by {@link MemoryStream#startSession()}. */
    MemorySession(MemoryStream stream, MemoryStream.Bytes bytes) {
        this.stream = stream;
        this.bytes = bytes;
        this.startLength = bytes.committed();
    }

    @Override
    public String name() {
        return stream.name();
    }

    @Override
    public long length() {
        return SessionLease.lengthWithin(bytes.committed(), endLength);
    }

    @Override
    public boolean ended() {
        return ended;
    }

    @Override
    public void vanished() {
        vanished = true;
    }

    @Override
    public boolean wasVanished() {
        return vanished;
    }

    @Override
    public long appended() {
        long end = endLength;
        return (end >= 0 ? end : bytes.committed()) - startLength;
    }

    @Override
    public long elapsedNanos() {
        return System.nanoTime() - startNanos;
    }

    @Override
    public void append(ByteBuffer... srcs) throws IOException {
        synchronized (bytes) {
            if (endLength >= 0) {
                throw new ClosedChannelException();
            }
            stream.append(bytes, srcs);
        }
        stream.changed();
    }

    @Override
    public CompletableFuture<Void> end() {
        synchronized (bytes) {
            if (endLength >= 0) {
                return CompletableFuture.completedFuture(null);
            }
            endLength = bytes.committed();
            if (bytes.session() == this) {
                bytes.hold(null);
            }
        }
        ended = true;
        stream.changed();
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public Follower follow(long from, StreamListener listener) {
        if (from < 0) {
            throw new IllegalArgumentException("from < 0: " + from);
        }
        stream.watch(listener);
        if (ended) {
            listener.onChange();
        }
        return new Follower(Follower.source(this::length, bytes::read, () -> stream.unwatch(listener)),
                listener, this::ended);
    }

    @Override
    public String toString() {
        return "MemorySession{" + stream.name() + ", length=" + length() + (ended ? ", ended" : "") + "}";
    }
}
