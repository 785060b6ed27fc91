package org.httpfstream.server.follow;

import org.httpfstream.server.Limits;
import org.httpfstream.server.Refusals;
import org.httpfstream.server.guard.PlaceCounts;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Bounds the live readers of one server: of one stream ({@link Limits#maxFollowersPerStream()}) and in
 * total ({@link Limits#maxFollowers()}). Every live read takes a {@link Place} before it starts — a
 * WebSocket FOLLOW (before the upgrade), a plain {@code ?follow}, a Durable Streams long-poll or SSE
 * read — and gives it back when it ends, however it ends; a read that finds no place is refused by its
 * caller with {@code 503} and counted as {@link Refusals.Reason#FOLLOWERS}. A stream is known by its
 * file, so two spellings of one path share their count.
 *
 * <p>Thread safety: safe for use by every event loop; the counts are a {@link PlaceCounts} (lock-free,
 * one entry per stream being read).
 */
public final class FollowerQuota {
    /** Live readers per stream (its file). */
    private final PlaceCounts<Object> readers;

    /**
     * @param maxPerStream live readers of one stream; 0 for no limit
     * @param maxTotal live readers in total; 0 for no limit
     */
    public FollowerQuota(int maxPerStream, int maxTotal) {
        this.readers = new PlaceCounts<>("maxTotal", maxTotal, "maxPerStream", maxPerStream);
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
                readers.release(stream);
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
        switch (readers.take(file)) {
            case TOTAL_FULL -> throw new Full("too many live readers: the server has " + readers.maxTotal()
                    + " (limit " + readers.maxTotal() + ", -max-followers); try again later");
            case KEY_FULL -> throw new Full("too many live readers of " + name + ": " + readers.maxPerKey()
                    + " (limit per stream, -max-followers-per-stream); try again later");
            case TAKEN -> { }
        }
        return new Place(file);
    }

    /** Live readers in total. For tests and diagnostics. */
    public int total() {
        return readers.total();
    }

    /** Live readers of the stream in {@code file}. For tests and diagnostics. */
    int of(Object file) {
        return readers.of(file);
    }
}
