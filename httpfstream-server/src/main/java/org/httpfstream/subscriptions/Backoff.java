package org.httpfstream.subscriptions;

/**
 * The pause before the next attempt to deliver a webhook that failed: 1 s, doubled after every failure up
 * to 60 s, each with up to 20% added at random so that many receivers that failed together do not all
 * come back at once; a success starts over at 1 s.
 *
 * <p>Thread safety: not thread safe; each subscription's lives on the subscriptions thread.
 */
final class Backoff {
    static final long FIRST_MS = 1000;
    static final long MAX_MS = 60_000;
    /** The base of the next pause. */
    private long baseMs = FIRST_MS;

    /** The next pause for a draw {@code random} in [0, 1); the one after it is twice as long (to the cap). */
    long next(double random) {
        long delay = baseMs + (long) (baseMs * 0.2 * random);
        baseMs = Math.min(MAX_MS, baseMs * 2);
        return delay;
    }

    /** After a success: the next failure waits the first pause again. */
    void reset() {
        baseMs = FIRST_MS;
    }
}
