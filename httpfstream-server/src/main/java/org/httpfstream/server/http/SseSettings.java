package org.httpfstream.server.http;

import org.httpfstream.server.HttpFStreamSettings;
import java.time.Duration;
import java.util.Objects;

/**
 * How long-lived Durable Streams SSE responses ({@code live=sse}) are kept. Their keep-alive comment
 * ({@code : keep-alive}) goes out after every silence of {@link HttpFStreamSettings#pingInterval()}, so
 * a proxy's idle read timeout (nginx: 60 s) does not cut a quiet response. Thread safety: immutable.
 *
 * @param maxAge an SSE response is ended cleanly (the last chunk, then the connection closes) this long
 *     after it started; clients reconnect from the last {@code streamNextOffset}. Kept below the 60 s
 *     that proxies commonly allow a response, and close to the minute the Durable Streams protocol
 *     suggests so that caches can collapse readers.
 */
public record SseSettings(Duration maxAge) {

    /** The default {@link #maxAge()}: 50 s. */
    public static final Duration DEFAULT_MAX_AGE = Duration.ofSeconds(50);

    public SseSettings {
        Objects.requireNonNull(maxAge, "maxAge");
        if (maxAge.isNegative() || maxAge.isZero()) {
            throw new IllegalArgumentException("maxAge <= 0: " + maxAge);
        }
    }

    /** Ends SSE responses after {@link #DEFAULT_MAX_AGE}. */
    public static SseSettings defaults() {
        return new SseSettings(DEFAULT_MAX_AGE);
    }
}
