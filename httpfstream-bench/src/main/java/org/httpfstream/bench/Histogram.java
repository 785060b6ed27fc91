package org.httpfstream.bench;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A fixed-bucket histogram of non-negative {@code long} values (nanoseconds here): values below 128
 * are counted exactly, larger ones in buckets 1/64 of their power of two wide, so a percentile is
 * reported within 1.6% of the true value. Values above 2<sup>40</sup> (about 18 minutes in
 * nanoseconds) are counted in the last bucket; the maximum is kept exactly.
 *
 * <p>Thread safety: {@link #record} may be called from any number of threads at once and never
 * blocks or allocates; the readers see a consistent enough snapshot once recording has stopped.
 */
public final class Histogram {
    private static final int SUB_BITS = 6;
    private static final int SUB = 1 << SUB_BITS;
    private static final int EXACT = 2 * SUB;
    private static final int MAX_SHIFT = 40 - SUB_BITS;
    private static final int BUCKETS = EXACT + MAX_SHIFT * SUB;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
    private final AtomicLong count = new AtomicLong();
    private final AtomicLong max = new AtomicLong(Long.MIN_VALUE);

    /** Counts one value; negative values count as 0. */
    public void record(long value) {
        long v = Math.max(0, value);
        counts.incrementAndGet(index(v));
        count.incrementAndGet();
        max.accumulateAndGet(v, Math::max);
    }

    /** Counts every value of {@code other} as well (not while {@code other} is still recording). */
    public void addAll(Histogram other) {
        for (int i = 0; i < BUCKETS; i++) {
            counts.addAndGet(i, other.counts.get(i));
        }
        count.addAndGet(other.count.get());
        max.accumulateAndGet(other.max.get(), Math::max);
    }

    /** Number of values recorded. */
    public long count() {
        return count.get();
    }

    /** Largest value recorded, or 0 if none. */
    public long max() {
        return count.get() == 0 ? 0 : max.get();
    }

    /**
     * The value at percentile {@code p}: the upper bound of the bucket holding the value of rank
     * ceil(p/100 × count), capped at {@link #max()}; 0 if nothing was recorded.
     *
     * @param p 0 to 100
     */
    public long percentile(double p) {
        if (!(p >= 0 && p <= 100)) {
            throw new IllegalArgumentException("p not in [0, 100]: " + p);
        }
        long n = count.get();
        if (n == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(p / 100.0 * n));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts.get(i);
            if (seen >= rank) {
                return Math.min(upperBound(i), max());
            }
        }
        return max();
    }

    static int index(long v) {
        if (v < EXACT) {
            return (int) v;
        }
        int shift = 63 - Long.numberOfLeadingZeros(v) - SUB_BITS;
        if (shift > MAX_SHIFT) {
            return BUCKETS - 1;
        }
        return EXACT + (shift - 1) * SUB + (int) ((v >>> shift) - SUB);
    }

    static long upperBound(int index) {
        if (index < EXACT) {
            return index;
        }
        int shift = (index - EXACT) / SUB + 1;
        long sub = (index - EXACT) % SUB + SUB;
        return ((sub + 1) << shift) - 1;
    }
}
