package org.httpfstream.server.guard;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Places taken in total and per key, each count under its own limit (0: no limit): the open connections
 * per client address ({@link ConnectionLimiter}) and the live readers per stream ({@code
 * FollowerQuota}). A place is taken in both counts or in neither: one the key's limit refuses gives its
 * place in the total back. Only a place taken may be given back ({@link #release}), once.
 *
 * <p>Thread safety: safe from any thread, without locks. The total is an {@link AtomicInteger} that
 * never passes its limit (compare and set); the counts per key a {@link ConcurrentHashMap} changed only
 * by its atomic {@code compute}, with no entry for a key without places, so it holds as many entries as
 * keys holding places.
 *
 * @param <K> the key, with {@code equals} and {@code hashCode}
 */
public final class PlaceCounts<K> {
    /** What {@link #take} did. */
    public enum Outcome {
        /** The place is taken; give it back with {@link #release}. */
        TAKEN,
        /** Refused: the total is at its limit. */
        TOTAL_FULL,
        /** Refused: the key's count is at its limit. */
        KEY_FULL
    }

    private final int maxTotal;
    private final int maxPerKey;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<K, Integer> perKey = new ConcurrentHashMap<>();

    /**
     * @param maxTotal places in total, 0 for no limit; named {@code totalName} if negative
     * @param maxPerKey places of one key, 0 for no limit; named {@code keyName} if negative
     * @throws IllegalArgumentException if a limit is negative
     */
    public PlaceCounts(String totalName, int maxTotal, String keyName, int maxPerKey) {
        if (maxTotal < 0) {
            throw new IllegalArgumentException(totalName + " < 0: " + maxTotal);
        }
        if (maxPerKey < 0) {
            throw new IllegalArgumentException(keyName + " < 0: " + maxPerKey);
        }
        this.maxTotal = maxTotal;
        this.maxPerKey = maxPerKey;
    }

    /** Takes a place of {@code key} if both limits allow it; says whether it did, or which limit refused. */
    public Outcome take(K key) {
        if (maxTotal > 0) {
            int n;
            do {
                n = total.get();
                if (n >= maxTotal) {
                    return Outcome.TOTAL_FULL;
                }
            } while (!total.compareAndSet(n, n + 1));
        } else {
            total.incrementAndGet();
        }
        boolean[] full = new boolean[1];
        perKey.compute(key, (k, count) -> {
            int c = count == null ? 0 : count;
            if (maxPerKey > 0 && c >= maxPerKey) {
                full[0] = true;
                return count; // unchanged (null stays absent)
            }
            return c + 1;
        });
        if (full[0]) {
            total.decrementAndGet();
            return Outcome.KEY_FULL;
        }
        return Outcome.TAKEN;
    }

    /** Gives back a place of {@code key} that {@link #take} took. */
    public void release(K key) {
        perKey.computeIfPresent(key, (k, count) -> count <= 1 ? null : count - 1);
        total.decrementAndGet();
    }

    /** Places taken in total. */
    public int total() {
        return total.get();
    }

    /** Places of {@code key} taken. */
    public int of(K key) {
        return perKey.getOrDefault(key, 0);
    }

    /** The limit of the total, 0 for none. */
    public int maxTotal() {
        return maxTotal;
    }

    /** The limit per key, 0 for none. */
    public int maxPerKey() {
        return maxPerKey;
    }
}
