package org.httpfstream.store.memory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CompletableFuture;
import org.httpfstream.store.AbstractSessionLease;
import org.httpfstream.store.Follower;
import org.httpfstream.store.StreamListener;

/**
 * The long-held lease of a {@link MemoryStream}: an original-protocol append session on the stream's
 * {@link MemoryStream.Bytes}. Every append is committed when it returns (a copy into the stream's
 * array), so {@link #end()} is complete at once.
 *
 * <p>Thread safety: {@link #append} and {@link #end} take the bytes' monitor (the stream's lease), so an
 * end from another thread never interleaves with an append; the end length and the ended flag
 * ({@link AbstractSessionLease}) are volatile and followers read without the monitor, as every reader
 * of {@code Bytes} does.
 */
final class MemorySession extends AbstractSessionLease {
    private final MemoryStream stream;
    private final MemoryStream.Bytes bytes;

    /** Created under {@code bytes}' monitor by {@link MemoryStream#startSession()}. */
    MemorySession(MemoryStream stream, MemoryStream.Bytes bytes) {
        super(bytes::committed, bytes::committed); // committed when appended
        this.stream = stream;
        this.bytes = bytes;
    }

    @Override
    public String name() {
        return stream.name();
    }

    @Override
    public void append(ByteBuffer... srcs) throws IOException {
        synchronized (bytes) {
            if (endStarted()) {
                throw new ClosedChannelException();
            }
            stream.append(bytes, srcs);
        }
        stream.changed();
    }

    @Override
    public CompletableFuture<Void> end() {
        synchronized (bytes) {
            if (endStarted()) {
                return CompletableFuture.completedFuture(null);
            }
            endAt(bytes.committed());
            if (bytes.session() == this) {
                bytes.hold(null);
            }
        }
        markEnded();
        stream.changed();
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public Follower follow(long from, StreamListener listener) {
        if (from < 0) {
            throw new IllegalArgumentException("from < 0: " + from);
        }
        stream.watch(listener);
        if (ended()) {
            listener.onChange();
        }
        return new Follower(Follower.source(this::length, bytes::read, () -> stream.unwatch(listener)),
                listener, this::ended);
    }
}
