package org.httpfstream.durable;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import org.httpfstream.store.StoredStream;
import org.httpfstream.store.StreamMetadata;

/**
 * When Durable Streams expire: an absolute {@code Stream-Expires-At}, or a sliding TTL restarted by
 * every access. The last-access times are kept in memory only (a restart restarts the windows). On a
 * store shared with other servers ({@link org.httpfstream.store.Storage#shared()}) each server also
 * records its accesses there ({@link StoredStream#recordAccess}), at most once per quarter of the TTL
 * per stream, and a stream whose window ran out here is deleted only if the access recorded there ran
 * out too: a stream read through one node is not deleted by another.
 *
 * <p>Thread safety: safe for use from any number of threads (a concurrent map of access times by
 * stream key).
 */
final class Expiry {
    private final Clock clock;
    private final ConcurrentHashMap<Object, Long> lastAccess = new ConcurrentHashMap<>();
    /** When this server last recorded an access of a stream on a shared store, by stream key. */
    private final ConcurrentHashMap<Object, Long> recorded = new ConcurrentHashMap<>();

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

    /**
     * As {@link #expired(Object, StreamMetadata)}; on a {@code shared} store a sliding window that ran out
     * here is checked against the access the other servers recorded (a round trip) and goes on from it if
     * that is later.
     */
    boolean expired(StoredStream stream, StreamMetadata m, boolean shared) throws IOException {
        if (!expired(stream.key(), m)) {
            return false;
        }
        long now = clock.millis();
        boolean absolute = m.expiresAtInstant() != null && !Instant.ofEpochMilli(now).isBefore(m.expiresAtInstant());
        if (!shared || absolute || m.ttlSeconds() == null) {
            return true;
        }
        long there = stream.sharedAccess();
        if (there < 0) {
            return true;
        }
        lastAccess.merge(stream.key(), there, Math::max);
        return expired(stream.key(), m);
    }

    /**
     * Counts an access now; on a {@code shared} store, records it there too for a stream with a sliding
     * TTL, unless this server did so within the last quarter of the TTL. Never blocks.
     */
    void touch(StoredStream stream, StreamMetadata m, boolean shared) {
        long now = clock.millis();
        lastAccess.put(stream.key(), now);
        if (!shared || m == null || m.ttlSeconds() == null) {
            return;
        }
        long every = m.ttlSeconds() * 1000 / 4;
        Long last = recorded.get(stream.key());
        if (last == null || now - last >= every) {
            recorded.put(stream.key(), now);
            stream.recordAccess(now);
        }
    }

    /** Counts an access now: the sliding TTL restarts. */
    void touch(Object key) {
        lastAccess.put(key, clock.millis());
    }

    /** Forgets a deleted stream. */
    void forget(Object key) {
        lastAccess.remove(key);
        recorded.remove(key);
    }
}
