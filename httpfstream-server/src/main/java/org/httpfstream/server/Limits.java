package org.httpfstream.server;

import java.time.Duration;
import java.util.Objects;

/**
 * Resource limits of one server: what a single client, stream or token may take. Each limit refused
 * gives the right status (or WebSocket close code), one readable line, and a count in {@link
 * Refusals}. A value of {@code 0} means "no limit" for the counts and sizes. Thread safety: immutable.
 *
 * @param maxStreamBytes largest size of one stream; an append that would pass it is refused whole
 *     ({@code 413}, WebSocket Close 1009) and nothing of it is kept. Default 0: no cap, a stream is as
 *     long as its writer makes it (logs cut short are what users of such tools complain of most)
 * @param maxBodyBytes largest body of one HTTP request ({@code POST}/{@code PUT}; {@code 413} past it,
 *     and the connection is closed rather than read to the end). Bodies are held in memory whole, so
 *     0 ("no limit") and anything larger mean 2 GiB - 1, the most one body can hold. WebSocket
 *     messages are bounded by {@link HttpFStreamSettings#maxFrameSize()} instead
 * @param maxFollowersPerStream live readers of one stream at once (WebSocket, {@code ?follow}, SSE,
 *     long-poll); past it {@code 503} with {@code Retry-After}
 * @param maxFollowers live readers in total
 * @param maxConnections open connections in total; past it a new connection is closed at once
 * @param maxConnectionsPerAddress open connections from one client address
 * @param headerTimeout a request's head must arrive whole within this time from its first byte, on
 *     every request of a connection (a client that sends headers one byte a second is cut: {@code 408});
 *     zero: no limit
 * @param requestTimeout a new connection that sends no byte of a request within this time is closed
 *     (between the requests of a keep-alive connection {@link HttpFStreamSettings#idleTimeout()}
 *     applies instead); zero: no limit
 * @param maxProducersPerStream producer ids kept per Durable Streams stream; the least recently used
 *     expire past it
 */
public record Limits(
        long maxStreamBytes,
        long maxBodyBytes,
        int maxFollowersPerStream,
        int maxFollowers,
        int maxConnections,
        int maxConnectionsPerAddress,
        Duration headerTimeout,
        Duration requestTimeout,
        int maxProducersPerStream) {

    /** Defaults for a small server; see each component. */
    public static Limits defaults() {
        return new Limits(0, 16L * 1024 * 1024, 10_000, 100_000, 100_000, 20_000,
                Duration.ofSeconds(10), Duration.ofSeconds(30), 1_000);
    }

    /** No limit at all (every count, size and timeout 0): for benchmarks and tests. */
    public static Limits none() {
        return new Limits(0, 0, 0, 0, 0, 0, Duration.ZERO, Duration.ZERO, 0);
    }

    public Limits {
        nonNegative(maxStreamBytes, "maxStreamBytes");
        nonNegative(maxBodyBytes, "maxBodyBytes");
        nonNegative(maxFollowersPerStream, "maxFollowersPerStream");
        nonNegative(maxFollowers, "maxFollowers");
        nonNegative(maxConnections, "maxConnections");
        nonNegative(maxConnectionsPerAddress, "maxConnectionsPerAddress");
        nonNegative(maxProducersPerStream, "maxProducersPerStream");
        nonNegative(headerTimeout, "headerTimeout");
        nonNegative(requestTimeout, "requestTimeout");
    }

    public Limits withMaxStreamBytes(long v) {
        return new Limits(v, maxBodyBytes, maxFollowersPerStream, maxFollowers, maxConnections,
                maxConnectionsPerAddress, headerTimeout, requestTimeout, maxProducersPerStream);
    }

    public Limits withMaxBodyBytes(long v) {
        return new Limits(maxStreamBytes, v, maxFollowersPerStream, maxFollowers, maxConnections,
                maxConnectionsPerAddress, headerTimeout, requestTimeout, maxProducersPerStream);
    }

    public Limits withMaxFollowersPerStream(int v) {
        return new Limits(maxStreamBytes, maxBodyBytes, v, maxFollowers, maxConnections,
                maxConnectionsPerAddress, headerTimeout, requestTimeout, maxProducersPerStream);
    }

    public Limits withMaxFollowers(int v) {
        return new Limits(maxStreamBytes, maxBodyBytes, maxFollowersPerStream, v, maxConnections,
                maxConnectionsPerAddress, headerTimeout, requestTimeout, maxProducersPerStream);
    }

    public Limits withMaxConnections(int v) {
        return new Limits(maxStreamBytes, maxBodyBytes, maxFollowersPerStream, maxFollowers, v,
                maxConnectionsPerAddress, headerTimeout, requestTimeout, maxProducersPerStream);
    }

    public Limits withMaxConnectionsPerAddress(int v) {
        return new Limits(maxStreamBytes, maxBodyBytes, maxFollowersPerStream, maxFollowers,
                maxConnections, v, headerTimeout, requestTimeout, maxProducersPerStream);
    }

    public Limits withHeaderTimeout(Duration v) {
        return new Limits(maxStreamBytes, maxBodyBytes, maxFollowersPerStream, maxFollowers,
                maxConnections, maxConnectionsPerAddress, v, requestTimeout, maxProducersPerStream);
    }

    public Limits withRequestTimeout(Duration v) {
        return new Limits(maxStreamBytes, maxBodyBytes, maxFollowersPerStream, maxFollowers,
                maxConnections, maxConnectionsPerAddress, headerTimeout, v, maxProducersPerStream);
    }

    public Limits withMaxProducersPerStream(int v) {
        return new Limits(maxStreamBytes, maxBodyBytes, maxFollowersPerStream, maxFollowers,
                maxConnections, maxConnectionsPerAddress, headerTimeout, requestTimeout, v);
    }

    private static void nonNegative(long v, String name) {
        if (v < 0) {
            throw new IllegalArgumentException(name + " < 0: " + v);
        }
    }

    private static void nonNegative(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " < 0: " + d);
        }
    }
}
