package org.httpfstream.cli;

import picocli.CommandLine.Option;

/**
 * The server flags for running it in operation: {@code -admin} (the listener of {@code /metrics},
 * {@code /healthz} and {@code /readyz}) and {@code -access-log}. A picocli mixin of {@link
 * ServerCommand}. Not thread safe (filled in by picocli).
 */
final class OperatingOptions {
    @Option(
            names = {"-admin", "--admin"},
            paramLabel = "[HOST]:PORT",
            converter = BindAddress.Converter.class,
            description = "admin listener: /metrics (Prometheus text format), /healthz (alive) and /readyz (the "
                    + "store is writable and the server not draining, else 503), on an address of its own, apart "
                    + "from the streams; e.g. 127.0.0.1:9090 (default: none)")
    BindAddress admin;

    @Option(
            names = {"-access-log", "--access-log"},
            arity = "0..1",
            fallbackValue = "true",
            defaultValue = "true",
            paramLabel = "BOOL",
            description = "one line per request and per WebSocket session (client, token fingerprint, method, "
                    + "path, status, bytes, duration) on the log httpfstream.access; -access-log=false turns it "
                    + "off (default: ${DEFAULT-VALUE})")
    boolean accessLog = true;
}
