package org.httpfstream.durable;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import org.httpfstream.store.StreamMetadata;

/**
 * When Durable Streams expire: an absolute {@code Stream-Expires-At}, or a sliding TTL restarted by
 * every access. The last-access times are kept in memory only (a restart restarts the windows).
 *
 * <p>Thread safety: safe for use from any number of threads (a concurrent map of access times by
 * stream key).
 */
final class Expiry {
    private final Clock clock;
    private final ConcurrentHashMap<Object, Long> lastAccess = new ConcurrentHashMap<>();

    Expiry(Clock clock) {
        this.clock = clock;
    }

    /** True if the stream with {@code key} and metadata {@code m} has expired now. */
    boolean expired(Object key, StreamMetadata m) {
        long now = clock.millis();
        if (m.expiresAtInstant() != null && !Instant.ofEpochMilli(now).isBefore(m.expiresAtInstant())) {
            return true;
        }
        if (m.ttlSeconds() != null) {
            long last = lastAccess.computeIfAbsent(key, f -> now);
            return now - last >= m.ttlSeconds() * 1000;
        }
        return false;
    }

    /** Counts an access now: the sliding TTL restarts. */
    void touch(Object key) {
        lastAccess.put(key, clock.millis());
    }

    /**
     * Counts an access now if the stream with metadata {@code m} has a sliding TTL; else nothing to
     * restart ({@link #expired} never looks at the access time of a stream without one, and a stream's
     * TTL is fixed when it is created), so an append to such a stream costs no map update.
     */
    void touch(Object key, StreamMetadata m) {
        if (m.ttlSeconds() != null) {
            touch(key);
        }
    }

    /** Forgets a deleted stream. */
    void forget(Object key) {
        lastAccess.remove(key);
    }
}
