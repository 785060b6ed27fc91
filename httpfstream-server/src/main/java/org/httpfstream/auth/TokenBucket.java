package org.httpfstream.auth;

/**
 * A token bucket: {@code rate} units a second, holding at most one second's worth. A take of more than
 * the bucket holds is allowed when the bucket is full and leaves it in debt, so one large request is
 * never refused for ever; the debt is paid back before anything else passes.
 *
 * <p>Thread safety: safe for use by any thread; guarded by this.
 */
public final class TokenBucket {
    private final long rate;
    private double available; // Guarded by this.
    private long last; // Guarded by this. System.nanoTime() of the last refill.

    TokenBucket(long rate, long now) {
        if (rate <= 0) {
            throw new IllegalArgumentException("rate <= 0: " + rate);
        }
        this.rate = rate;
        this.available = rate;
        this.last = now;
    }

    /** The units per second. */
    public long rate() {
        return rate;
    }

    /**
     * Takes {@code n} units if the bucket holds them (or is full); else takes nothing.
     *
     * @return 0 if taken, else the nanoseconds until they would be
     */
    public synchronized long tryTake(long n, long now) {
        refill(now);
        double need = Math.min(n, rate);
        if (available >= need) {
            available -= n;
            return 0;
        }
        return nanos(need - available);
    }

    /**
     * Takes {@code n} units whatever the bucket holds, going into debt if need be.
     *
     * @return 0 if the bucket is not in debt after it, else the nanoseconds until it is paid back
     */
    public synchronized long take(long n, long now) {
        refill(now);
        available -= n;
        return available >= 0 ? 0 : nanos(-available);
    }

    private void refill(long now) {
        long elapsed = now - last;
        if (elapsed > 0) {
            available = Math.min(rate, available + elapsed * (double) rate / 1e9);
            last = now;
        }
    }

    private long nanos(double units) {
        return (long) Math.ceil(units * 1e9 / rate);
    }
}
