package org.httpfstream.server.follow;

import org.httpfstream.server.Limits;
import org.httpfstream.server.Refusals;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the live readers of one server: of one stream ({@link Limits#maxFollowersPerStream()}) and in
 * total ({@link Limits#maxFollowers()}). Every live read takes a {@link Place} before it starts — a
 * WebSocket FOLLOW (before the upgrade), a plain {@code ?follow}, a Durable Streams long-poll or SSE
 * read — and gives it back when it ends, however it ends; a read that finds no place is refused by its
 * caller with {@code 503} and counted as {@link Refusals.Reason#FOLLOWERS}. A stream is known by its
 * file, so two spellings of one path share their count.
 *
 * <p>Thread safety: safe for use by every event loop. The total is an {@link AtomicInteger}; the counts
 * per stream a {@link ConcurrentHashMap} changed only by its atomic {@code compute}, with no entry for a
 * stream without readers, so it holds as many entries as streams being read.
 */
public final class FollowerQuota {
    private final int maxPerStream;
    private final int maxTotal;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<Object, Integer> perStream = new ConcurrentHashMap<>();

    /**
     * @param maxPerStream live readers of one stream; 0 for no limit
     * @param maxTotal live readers in total; 0 for no limit
     */
    public FollowerQuota(int maxPerStream, int maxTotal) {
        if (maxPerStream < 0) {
            throw new IllegalArgumentException("maxPerStream < 0: " + maxPerStream);
        }
        if (maxTotal < 0) {
            throw new IllegalArgumentException("maxTotal < 0: " + maxTotal);
        }
        this.maxPerStream = maxPerStream;
        this.maxTotal = maxTotal;
    }

    /** A live reader's place; {@link #release()} gives it back, once however often it is called. */
    public final class Place {
        private final Object stream;
        private final AtomicBoolean released = new AtomicBoolean();

        private Place(Object stream) {
            this.stream = stream;
        }

        /** Gives the place back. Idempotent; safe from any thread. */
        public void release() {
            if (released.compareAndSet(false, true)) {
                perStream.computeIfPresent(stream, (s, n) -> n <= 1 ? null : n - 1);
                total.decrementAndGet();
            }
        }
    }

    /** Thrown when there is no place for one more reader; its message is the line to answer with. */
    static final class Full extends Exception {
        private static final long serialVersionUID = 1L;

        Full(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Takes a place for a reader of the stream stored in {@code file}, named {@code name} in the message.
     *
     * @throws Full if the stream or the server has as many live readers as allowed
     */
    Place admit(Object file, String name) throws Full {
        if (maxTotal > 0) {
            int n;
            do {
                n = total.get();
                if (n >= maxTotal) {
                    throw new Full("too many live readers: the server has " + n + " (limit " + maxTotal
                            + ", -max-followers); try again later");
                }
            } while (!total.compareAndSet(n, n + 1));
        } else {
            total.incrementAndGet();
        }
        boolean[] full = new boolean[1];
        perStream.compute(file, (s, count) -> {
            int c = count == null ? 0 : count;
            if (maxPerStream > 0 && c >= maxPerStream) {
                full[0] = true;
                return count;
            }
            return c + 1;
        });
        if (full[0]) {
            total.decrementAndGet();
            throw new Full("too many live readers of " + name + ": " + maxPerStream
                    + " (limit per stream, -max-followers-per-stream); try again later");
        }
        return new Place(file);
    }

    /** Live readers in total. For tests and diagnostics. */
    public int total() {
        return total.get();
    }

    /** Live readers of the stream in {@code file}. For tests and diagnostics. */
    int of(Object file) {
        return perStream.getOrDefault(file, 0);
    }
}
