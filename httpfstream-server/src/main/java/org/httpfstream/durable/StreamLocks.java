package org.httpfstream.durable;

import java.util.concurrent.locks.ReentrantLock;

/**
 * The Durable Streams rules' per-stream locks: a fixed set of striped locks keyed by a stream's {@link
 * org.httpfstream.store.StoredStream#key() key}, so that mutations of one stream are serialized without
 * a lock object per stream. Two streams (a fork and its source) are locked in stripe order.
 *
 * <p>Thread safety: safe for use from any number of threads; the locks are reentrant.
 */
final class StreamLocks {
    private static final int STRIPES = 64;

    private final ReentrantLock[] locks = new ReentrantLock[STRIPES];

    StreamLocks() {
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new ReentrantLock();
        }
    }

    /** The lock of the stream with {@code key}. */
    ReentrantLock of(Object key) {
        return locks[stripe(key)];
    }

    /** Locks the streams with keys {@code a} and {@code b} (either may be null) in stripe order. */
    AutoCloseable both(Object a, Object b) {
        ReentrantLock first = of(a);
        ReentrantLock second = b == null ? first : of(b);
        if (b != null && stripe(b) < stripe(a)) {
            ReentrantLock t = first;
            first = second;
            second = t;
        }
        ReentrantLock lo = first;
        ReentrantLock hi = second;
        lo.lock();
        hi.lock();
        return () -> {
            hi.unlock();
            lo.unlock();
        };
    }

    private static int stripe(Object key) {
        return Math.floorMod(key.hashCode(), STRIPES);
    }
}
