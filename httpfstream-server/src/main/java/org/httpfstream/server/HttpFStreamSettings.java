package org.httpfstream.server;

import org.httpfstream.server.http.LiveHttpHandler;
import java.time.Duration;
import java.util.Objects;

/**
 * Tunables of the HTTP/WebSocket transport. Thread safety: immutable.
 *
 * @param pingInterval how often idle WebSocket peers (appenders and followers) are pinged; keeps
 *     proxies with a 60 s idle timeout from cutting the connection. A quiet plain-HTTP live read
 *     ({@code ?follow}) gets a keep-alive byte every two intervals (at most 11 in a row: see
 *     {@code LiveHttpHandler}), a quiet SSE response a keep-alive comment every interval
 * @param appenderTimeout an appender that has answered a ping before and then sends nothing (no data,
 *     no pong) for this long is taken for dead: its connection is closed and its lease freed. Clients
 *     that never answer pings (the original Go appender) are left to TCP keep-alive instead.
 * @param idleTimeout an HTTP connection with no request and no response progress for this long is
 *     closed (does not apply once upgraded to a WebSocket)
 * @param maxFrameSize largest WebSocket frame payload accepted from an appender; a bigger frame closes
 *     the session with code 1009 (everything before it is kept)
 * @param textMessageSize largest TEXT message sent to a follower that did not ask for BINARY. Kept
 *     small because the original Go follow client loses the rest of a message larger than one read.
 * @param binaryMessageSize largest BINARY message sent to a follower that asked for BINARY
 * @param longPollTimeout how long a Durable Streams long-poll read waits for data before it answers
 *     {@code 204}
 * @param maxReadBytes the most bytes of a stream one Durable Streams catch-up or long-poll response
 *     carries; a read with more to go answers that much without {@code Stream-Up-To-Date} and the
 *     client asks again from {@code Stream-Next-Offset}. {@code 0} (the default): no cap, a read
 *     answers everything up to the tail as of the request. The bytes are sent from the file without
 *     being held in memory either way; a cap matters only to clients: the official Durable Streams
 *     client ({@code live: false}) stops after the first response, and returns a truncated stream if
 *     it is capped.
 */
public record HttpFStreamSettings(
        Duration pingInterval,
        Duration appenderTimeout,
        Duration idleTimeout,
        int maxFrameSize,
        int textMessageSize,
        int binaryMessageSize,
        Duration longPollTimeout,
        long maxReadBytes) {

    /**
     * Production defaults: ping every 15 s, appender timeout 45 s, idle HTTP 120 s, 16 MiB frames,
     * long-poll 30 s, no cap on a catch-up read.
     */
    public static HttpFStreamSettings defaults() {
        return new HttpFStreamSettings(
                Duration.ofSeconds(15), Duration.ofSeconds(45), Duration.ofSeconds(120),
                16 * 1024 * 1024, 4 * 1024, 64 * 1024, Duration.ofSeconds(30), 0);
    }

    public HttpFStreamSettings {
        Objects.requireNonNull(pingInterval, "pingInterval");
        Objects.requireNonNull(appenderTimeout, "appenderTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        requirePositive(pingInterval, "pingInterval");
        requirePositive(appenderTimeout, "appenderTimeout");
        requirePositive(idleTimeout, "idleTimeout");
        Objects.requireNonNull(longPollTimeout, "longPollTimeout");
        requirePositive(longPollTimeout, "longPollTimeout");
        if (maxFrameSize <= 0) {
            throw new IllegalArgumentException("maxFrameSize <= 0: " + maxFrameSize);
        }
        if (textMessageSize <= 0) {
            throw new IllegalArgumentException("textMessageSize <= 0: " + textMessageSize);
        }
        if (binaryMessageSize <= 0) {
            throw new IllegalArgumentException("binaryMessageSize <= 0: " + binaryMessageSize);
        }
        if (maxReadBytes < 0) {
            throw new IllegalArgumentException("maxReadBytes < 0: " + maxReadBytes);
        }
    }

    public HttpFStreamSettings withPingInterval(Duration d) {
        return new HttpFStreamSettings(d, appenderTimeout, idleTimeout, maxFrameSize, textMessageSize,
                binaryMessageSize, longPollTimeout, maxReadBytes);
    }

    public HttpFStreamSettings withAppenderTimeout(Duration d) {
        return new HttpFStreamSettings(pingInterval, d, idleTimeout, maxFrameSize, textMessageSize,
                binaryMessageSize, longPollTimeout, maxReadBytes);
    }

    public HttpFStreamSettings withIdleTimeout(Duration d) {
        return new HttpFStreamSettings(pingInterval, appenderTimeout, d, maxFrameSize, textMessageSize,
                binaryMessageSize, longPollTimeout, maxReadBytes);
    }

    public HttpFStreamSettings withMaxFrameSize(int bytes) {
        return new HttpFStreamSettings(pingInterval, appenderTimeout, idleTimeout, bytes,
                textMessageSize, binaryMessageSize, longPollTimeout, maxReadBytes);
    }

    public HttpFStreamSettings withLongPollTimeout(Duration d) {
        return new HttpFStreamSettings(pingInterval, appenderTimeout, idleTimeout, maxFrameSize,
                textMessageSize, binaryMessageSize, d, maxReadBytes);
    }

    /** The same settings with {@code maxReadBytes} ({@code 0}: no cap). */
    public HttpFStreamSettings withMaxReadBytes(long bytes) {
        return new HttpFStreamSettings(pingInterval, appenderTimeout, idleTimeout, maxFrameSize,
                textMessageSize, binaryMessageSize, longPollTimeout, bytes);
    }

    private static void requirePositive(Duration d, String name) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " <= 0: " + d);
        }
    }
}
