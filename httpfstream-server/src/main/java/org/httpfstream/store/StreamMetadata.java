package org.httpfstream.store;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What the Durable Streams protocol keeps about a stream besides its bytes: content type, TTL or
 * absolute expiry, closure, the last {@code Stream-Seq}, and the idempotent producers' state.
 * Persisted by {@link MetadataStore}; a stream without metadata (a file written over WebSocket or
 * placed by hand) behaves as an open stream of the {@linkplain #defaults(String) default} type.
 *
 * <p>Immutable, so thread-safe; the {@code with…} methods return modified copies.
 *
 * @param contentType the stream's media type, as given at creation
 * @param ttlSeconds the sliding time-to-live in seconds, or null
 * @param expiresAt the absolute expiry as given (RFC 3339), or null
 * @param expiresAtInstant {@code expiresAt} parsed, or null
 * @param closed true once the stream is closed: no more appends
 * @param lastSeq the last {@code Stream-Seq} accepted, or null
 * @param producers idempotent producers by id, least recently used first (the order is kept)
 * @param closedBy the producer request that closed the stream ({@code id epoch seq}), or null
 * @param fork where this stream was forked from, or null
 * @param forkRefs how many live forks were forked from this stream
 * @param softDeleted true once deleted while forks still referenced it: gone for direct access
 * @param length with durable writes, once the stream has producer or {@code Stream-Seq} state: the
 *     stream's length this state holds for, -1 if not recorded. Bytes past it found at the next start
 *     were never acknowledged (their state never became durable) and are cut, so that a retried
 *     request is admitted once.
 */
public record StreamMetadata(
        String contentType,
        Long ttlSeconds,
        String expiresAt,
        Instant expiresAtInstant,
        boolean closed,
        String lastSeq,
        Map<String, Producer> producers,
        String closedBy,
        Fork fork,
        int forkRefs,
        boolean softDeleted,
        long length) {

    /** The content type of a stream created without one. */
    public static final String DEFAULT_CONTENT_TYPE = "application/octet-stream";

    /**
     * An idempotent producer's state on one stream.
     *
     * @param epoch the producer's current epoch
     * @param seq the highest sequence number accepted in that epoch
     */
    public record Producer(long epoch, long seq) {}

    /**
     * The origin of a fork: its bytes up to {@code position} are {@code source}'s, read from the source
     * (never copied), which is kept (soft-deleted if deleted) while forks reference it.
     *
     * @param source the source stream's request path
     * @param offset the fork offset asked for (a position in the source)
     * @param subOffset the sub-offset asked for (bytes, or JSON messages, past {@code offset})
     * @param position where the fork diverged from the source
     */
    public record Fork(String source, long offset, long subOffset, long position) {}

    /** Metadata that records no length. */
    public StreamMetadata(String contentType, Long ttlSeconds, String expiresAt, Instant expiresAtInstant,
            boolean closed, String lastSeq, Map<String, Producer> producers, String closedBy, Fork fork,
            int forkRefs, boolean softDeleted) {
        this(contentType, ttlSeconds, expiresAt, expiresAtInstant, closed, lastSeq, producers, closedBy, fork,
                forkRefs, softDeleted, -1);
    }

    public StreamMetadata {
        Objects.requireNonNull(contentType, "contentType");
        if (!(producers instanceof FrozenProducers)) { // one of ours is never changed: shared, not copied
            producers = new FrozenProducers(new LinkedHashMap<>(Objects.requireNonNull(producers, "producers")));
        }
    }

    /**
     * The producers of one metadata: a map that nobody can change, made only here from a copy, so that
     * the {@code with…} copies share it instead of copying it again (a stream's every producer append
     * makes one; with many producers, copying them twice per append was a tenth of the server's time).
     * Unmodifiable as {@link java.util.Collections#unmodifiableMap} is; immutable, so thread-safe.
     */
    private static final class FrozenProducers extends java.util.AbstractMap<String, Producer> {
        private final Map<String, Producer> map;

        FrozenProducers(LinkedHashMap<String, Producer> map) {
            this.map = map;
        }

        /** Made per call, not kept: every stream's metadata stays in memory, iterating it is rare. */
        @Override
        public java.util.Set<Entry<String, Producer>> entrySet() {
            return java.util.Collections.unmodifiableMap(map).entrySet();
        }

        @Override
        public Producer get(Object key) {
            return map.get(key);
        }

        @Override
        public boolean containsKey(Object key) {
            return map.containsKey(key);
        }

        @Override
        public int size() {
            return map.size();
        }
    }

    /** The metadata of a stream nobody created over this protocol: open, no expiry. */
    public static StreamMetadata defaults(String contentType) {
        return new StreamMetadata(contentType, null, null, null, false, null, Map.of(), null, null, 0, false);
    }

    /** True for {@code application/json} streams (parameters and case ignored): message framing applies. */
    public boolean json() {
        return isJson(contentType);
    }

    /** True if {@code contentType} names JSON mode. */
    public static boolean isJson(String contentType) {
        return contentType != null && mediaType(contentType).equals("application/json");
    }

    /** The media type without parameters, lower case: {@code Text/Plain; charset=x} is {@code text/plain}. */
    public static String mediaType(String contentType) {
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    public StreamMetadata withClosed(String closedBy) {
        return new StreamMetadata(contentType, ttlSeconds, expiresAt, expiresAtInstant, true, lastSeq,
                producers, closedBy, fork, forkRefs, softDeleted, length);
    }

    public StreamMetadata withLastSeq(String seq) {
        return new StreamMetadata(contentType, ttlSeconds, expiresAt, expiresAtInstant, closed, seq,
                producers, closedBy, fork, forkRefs, softDeleted, length);
    }

    public StreamMetadata withProducer(String id, Producer state) {
        return withProducer(id, state, 0);
    }

    /**
     * With {@code id}'s state set and {@code id} the most recently used producer; if more than {@code
     * max} producers are left ({@code max > 0}), the least recently used are forgotten.
     */
    public StreamMetadata withProducer(String id, Producer state, int max) {
        LinkedHashMap<String, Producer> p = new LinkedHashMap<>(producers);
        p.remove(id);
        p.put(id, state);
        if (max > 0) {
            var it = p.keySet().iterator();
            for (int excess = p.size() - max; excess > 0; excess--) {
                it.next();
                it.remove();
            }
        }
        return new StreamMetadata(contentType, ttlSeconds, expiresAt, expiresAtInstant, closed, lastSeq,
                new FrozenProducers(p), closedBy, fork, forkRefs, softDeleted, length);
    }

    public StreamMetadata withForkRefs(int refs) {
        return new StreamMetadata(contentType, ttlSeconds, expiresAt, expiresAtInstant, closed, lastSeq,
                producers, closedBy, fork, refs, softDeleted, length);
    }

    public StreamMetadata withSoftDeleted() {
        return new StreamMetadata(contentType, ttlSeconds, expiresAt, expiresAtInstant, closed, lastSeq,
                producers, closedBy, fork, forkRefs, true, length);
    }

    /** With the stream's length recorded ({@code -1}: none). */
    public StreamMetadata withLength(long length) {
        return new StreamMetadata(contentType, ttlSeconds, expiresAt, expiresAtInstant, closed, lastSeq,
                producers, closedBy, fork, forkRefs, softDeleted, length);
    }

    /** True if this state is one that a retried request depends on: producers or a {@code Stream-Seq}. */
    public boolean retryState() {
        return !producers.isEmpty() || lastSeq != null;
    }
}
