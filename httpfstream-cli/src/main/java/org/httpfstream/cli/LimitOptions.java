package org.httpfstream.cli;

import java.time.Duration;
import org.httpfstream.server.Limits;
import picocli.CommandLine.Option;

/**
 * The server's resource limits as flags ({@link Limits}), one per field, mixed into {@link
 * ServerCommand}. Sizes take bytes or binary units ({@link ByteSize}: {@code 16MiB}, {@code 1G}),
 * durations Go's form ({@link GoDuration}: {@code 10s}, {@code 1m}); {@code 0} means no limit for each.
 * The defaults written here are {@link Limits#defaults()}' (a test holds them equal).
 *
 * <p>Thread safety: filled in by picocli on one thread, then read; not for sharing.
 */
final class LimitOptions {
    @Option(names = {"-max-stream-size", "--max-stream-size"}, paramLabel = "SIZE", defaultValue = "0",
            converter = ByteSize.Converter.class,
            description = "largest size of one stream; an append past it is refused whole (413, WebSocket Close "
                    + "1009) and nothing of it is kept (default: ${DEFAULT-VALUE}, no limit)")
    long maxStreamBytes;

    @Option(names = {"-max-body-size", "--max-body-size"}, paramLabel = "SIZE", defaultValue = "16MiB",
            converter = ByteSize.Converter.class,
            description = "largest body of one POST or PUT; past it 413 and the connection is closed (default: "
                    + "${DEFAULT-VALUE}; 0: as large as memory allows, 2GiB at most). WebSocket appends are not "
                    + "bounded by it")
    long maxBodyBytes;

    @Option(names = {"-max-followers-per-stream", "--max-followers-per-stream"}, paramLabel = "N",
            defaultValue = "10000",
            description = "live readers of one stream (WebSocket FOLLOW, plain-HTTP follow, long-poll, SSE); past it 503 "
                    + "with Retry-After (default: ${DEFAULT-VALUE}; 0: no limit)")
    int maxFollowersPerStream;

    @Option(names = {"-max-followers", "--max-followers"}, paramLabel = "N", defaultValue = "100000",
            description = "live readers in total; past it 503 with Retry-After (default: ${DEFAULT-VALUE}; "
                    + "0: no limit)")
    int maxFollowers;

    @Option(names = {"-max-connections", "--max-connections"}, paramLabel = "N", defaultValue = "100000",
            description = "open connections in total; past it a new connection gets 503 and is closed "
                    + "(default: ${DEFAULT-VALUE}; 0: no limit)")
    int maxConnections;

    @Option(names = {"-max-connections-per-address", "--max-connections-per-address"}, paramLabel = "N",
            defaultValue = "20000",
            description = "open connections from one client address; past it 503 and closed (default: "
                    + "${DEFAULT-VALUE}; 0: no limit). Behind a reverse proxy every client has the proxy's "
                    + "address")
    int maxConnectionsPerAddress;

    @Option(names = {"-header-timeout", "--header-timeout"}, paramLabel = "DURATION", defaultValue = "10s",
            converter = GoDuration.Converter.class,
            description = "time for a request's head to arrive whole from its first byte, on every request of "
                    + "a connection; past it 408 and closed (default: ${DEFAULT-VALUE}; 0: no limit)")
    Duration headerTimeout;

    @Option(names = {"-request-timeout", "--request-timeout"}, paramLabel = "DURATION", defaultValue = "30s",
            converter = GoDuration.Converter.class,
            description = "time for a new connection to start its first request; past it the connection is "
                    + "closed (default: ${DEFAULT-VALUE}; 0: no limit). Between requests a keep-alive "
                    + "connection may stay idle for 2m")
    Duration requestTimeout;

    @Option(names = {"-max-producers-per-stream", "--max-producers-per-stream"}, paramLabel = "N",
            defaultValue = "1000",
            description = "Durable Streams producer ids remembered per stream; past it the least recently used "
                    + "is forgotten (default: ${DEFAULT-VALUE}; 0: no limit)")
    int maxProducersPerStream;

    /** The limits these flags give; throws IllegalArgumentException naming the flag if one is negative. */
    Limits toLimits() {
        nonNegative(maxStreamBytes, "-max-stream-size");
        nonNegative(maxBodyBytes, "-max-body-size");
        nonNegative(maxFollowersPerStream, "-max-followers-per-stream");
        nonNegative(maxFollowers, "-max-followers");
        nonNegative(maxConnections, "-max-connections");
        nonNegative(maxConnectionsPerAddress, "-max-connections-per-address");
        nonNegative(maxProducersPerStream, "-max-producers-per-stream");
        return new Limits(maxStreamBytes, maxBodyBytes, maxFollowersPerStream, maxFollowers, maxConnections,
                maxConnectionsPerAddress, headerTimeout, requestTimeout, maxProducersPerStream);
    }

    private static void nonNegative(long value, String flag) {
        if (value < 0) {
            throw new IllegalArgumentException(flag + " must not be negative: " + value);
        }
    }
}
