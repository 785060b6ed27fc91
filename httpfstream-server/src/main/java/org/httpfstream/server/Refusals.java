package org.httpfstream.server;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the requests, connections and messages a server refused, by reason: what the metrics
 * endpoint will expose, and what tests read to see that a refusal was counted once. One instance per
 * server; its labels are the fixed {@link Reason}s, never a stream path, so their number stays bounded.
 *
 * <p>Thread safety: safe for use by any thread; counts are {@link LongAdder}s.
 */
public final class Refusals {
    /** Why something was refused. */
    public enum Reason {
        /** No token, or an unknown one ({@code 401}). */
        AUTH_MISSING,
        /** A token without the permission or outside its paths ({@code 403}). */
        AUTH_FORBIDDEN,
        /** An expired or altered signed link ({@code 403}). */
        SIGNED_LINK,
        /** A writing request or upgrade from a browser origin that is not allowed ({@code 403}). */
        ORIGIN,
        /** A token past its request or byte rate ({@code 429}). */
        RATE,
        /** Too many connections, in total or from one address. */
        CONNECTIONS,
        /** Too many live readers, of one stream or in total. */
        FOLLOWERS,
        /** An append past the stream size limit. */
        STREAM_SIZE,
        /** A request body or message past its size limit. */
        BODY_SIZE,
        /** A request head that did not arrive in time. */
        HEADER_TIMEOUT,
        /** A connection that sent no request in time. */
        REQUEST_TIMEOUT,
        /** An append refused because the disk is full ({@code 507}). */
        DISK_FULL,
        /** A second appender, a stale producer, or another state conflict ({@code 409}). */
        CONFLICT,
        /** A webhook target whose address is not allowed. */
        WEBHOOK_TARGET
    }

    private final Map<Reason, LongAdder> counts = new EnumMap<>(Reason.class);

    public Refusals() {
        for (Reason r : Reason.values()) {
            counts.put(r, new LongAdder());
        }
    }

    /** Counts one refusal. */
    public void count(Reason reason) {
        counts.get(reason).increment();
    }

    /** The refusals counted so far for {@code reason}. */
    public long get(Reason reason) {
        return counts.get(reason).sum();
    }
}
