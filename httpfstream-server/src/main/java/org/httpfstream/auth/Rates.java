package org.httpfstream.auth;

import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The request and byte buckets of every token that has been used, by its digest. Only tokens of the
 * grant file get buckets, so their number is bounded by the file; a token whose rate changed on a
 * reload gets fresh buckets.
 *
 * <p>Thread safety: safe for use by any thread.
 */
public final class Rates {
    /** The buckets of one token; a null bucket means unlimited. */
    record Buckets(Rate rate, TokenBucket requests, TokenBucket bytes) {}

    private final ConcurrentMap<String, Buckets> buckets = new ConcurrentHashMap<>();

    /** The buckets of the token with {@code digest} at {@code rate}; null if the rate is unlimited. */
    Buckets of(byte[] digest, Rate rate, long now) {
        if (rate.requestsPerSecond() == 0 && rate.bytesPerSecond() == 0) {
            return null;
        }
        String key = HexFormat.of().formatHex(digest);
        Buckets b = buckets.get(key);
        if (b == null || !b.rate().equals(rate)) {
            b = new Buckets(rate,
                    rate.requestsPerSecond() == 0 ? null : new TokenBucket(rate.requestsPerSecond(), now),
                    rate.bytesPerSecond() == 0 ? null : new TokenBucket(rate.bytesPerSecond(), now));
            buckets.put(key, b);
        }
        return b;
    }
}
