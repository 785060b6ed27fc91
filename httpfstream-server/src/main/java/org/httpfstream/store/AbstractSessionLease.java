package org.httpfstream.store;

import java.util.function.LongSupplier;

/**
 * The bookkeeping every {@link SessionLease} keeps alike: when it started, the stream's length then and
 * when it ended, whether it has ended and whether its appender vanished; and what follows from them
 * ({@link #length()}, {@link #appended()}, {@link #elapsedNanos()}). A store's session adds its name, its
 * appends, its end and its followers, and gives this class the stream's two lengths: {@code committed},
 * what readers may see, and {@code written}, every byte handed over, committed or not.
 *
 * <p>The lengths come as two {@link LongSupplier}s rather than two abstract methods: the file store's
 * session hands over its writer's accessors, the memory store's its bytes' committed length twice (its
 * appends are committed when they return), and neither needs a method of its own for them.
 *
 * <p>Thread safety: every method may be called from any thread. The end length is set once, by the
 * subclass under its lease's monitor ({@link #endAt}); it and the two flags are volatile, so followers read
 * them without that monitor.
 */
public abstract class AbstractSessionLease implements SessionLease {
    private final LongSupplier committed;
    private final LongSupplier written;
    private final long startNanos = System.nanoTime();
    private final long startLength;
    /** The stream's length when the session ended, -1 before. Set once, under the subclass's lease monitor. */
    private volatile long endLength = -1;
    /** True once the session has ended and its last byte is committed: {@link #length()} is final. */
    private volatile boolean ended;
    /** True once the appender went away without ending its append (its connection just closed). */
    private volatile boolean vanished;

    /**
     * @param committed the stream's committed length now (readable)
     * @param written the stream's length with every byte handed over, committed or not; the session
     *     starts there
     */
    protected AbstractSessionLease(LongSupplier committed, LongSupplier written) {
        this.committed = committed;
        this.written = written;
        this.startLength = written.getAsLong();
    }

    /**
     * Bytes committed so far (readable by followers), including what the stream held before this session;
     * once the session has ended, never more than the stream held at its end.
     */
    @Override
    public final long length() {
        return SessionLease.lengthWithin(committed.getAsLong(), endLength);
    }

    @Override
    public final long start() {
        return startLength;
    }

    /** Bytes this session has handed over (with fsync, possibly not yet committed). */
    @Override
    public final long appended() {
        long end = endLength;
        return (end >= 0 ? end : written.getAsLong()) - startLength;
    }

    /** Nanoseconds since this session started. */
    @Override
    public final long elapsedNanos() {
        return System.nanoTime() - startNanos;
    }

    @Override
    public final boolean ended() {
        return ended;
    }

    @Override
    public final void vanished() {
        vanished = true;
    }

    @Override
    public final boolean wasVanished() {
        return vanished;
    }

    /** True once {@link #endAt} has run: the lease is given back and no append is taken. */
    protected final boolean endStarted() {
        return endLength >= 0;
    }

    /** Records the stream's length at the session's end; once, under the lease's monitor. */
    protected final void endAt(long length) {
        endLength = length;
    }

    /** Marks the session ended: its last byte is committed and {@link #length()} is final. */
    protected final void markEnded() {
        ended = true;
    }

    /** The class's simple name, the session's name, its length and whether it has ended. */
    @Override
    public String toString() {
        return getClass().getSimpleName() + "{" + name() + ", length=" + length() + (ended ? ", ended" : "") + "}";
    }
}
