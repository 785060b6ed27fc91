package org.httpfstream.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.httpfstream.auth.AuthConfig;
import org.httpfstream.auth.Rate;
import org.httpfstream.server.HttpFStreamServer;
import org.httpfstream.server.HttpFStreamServerBuilder;
import org.httpfstream.server.Limits;
import org.httpfstream.server.http.SseSettings;
import org.httpfstream.tls.TlsConfig;
import org.httpfstream.server.admin.AdminServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code httpfstream server}: runs a server until SIGINT or SIGTERM. */
@Command(
        name = "server",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Runs an httpfstream server, which supports simultaneous, streaming file uploading and "
                    + "downloading over HTTP. Streams are stored as files under the root directory.",
            "Runs until interrupted (Ctrl-C) or terminated (SIGTERM), then drains (see -drain-timeout), "
                    + "closes every connection and exits 0."
        },
        footer = {
            "",
            "Example usage:",
            "",
            "  To run on http://localhost:8080, storing streams under /tmp/httpfstream:",
            "    $ httpfstream-server -http=:8080 -root=/tmp/httpfstream",
            "  (the same as: httpfstream server -http=:8080 -root=/tmp/httpfstream)",
            ""
        })
public final class ServerCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(ServerCommand.class);

    private static final Pattern NATIVE_BIND_PREFIX = Pattern.compile("^bind\\(\\.\\.\\) failed with error\\(-?\\d+\\): ");

    @Option(
            names = {"-root", "--root"},
            paramLabel = "DIR",
            defaultValue = "/tmp/httpfstream",
            description = "storage root directory, created if missing (default: ${DEFAULT-VALUE})")
    Path root;

    @Option(
            names = {"-http", "--http"},
            paramLabel = "[HOST]:PORT",
            defaultValue = ":8080",
            converter = BindAddress.Converter.class,
            description = {
                "HTTP bind address (default: ${DEFAULT-VALUE}); an empty host means all interfaces, "
                        + "port 0 any free port"
            })
    BindAddress http;

    @Option(
            names = {"-long-poll-timeout", "--long-poll-timeout"},
            paramLabel = "DURATION",
            defaultValue = "30s",
            converter = GoDuration.Converter.class,
            description = "how long a Durable Streams long-poll read waits for new data before it answers 204 "
                    + "(default: ${DEFAULT-VALUE}; e.g. 500ms, 30s, 1m)")
    Duration longPollTimeout;

    @Option(
            names = {"-sse-max-age", "--sse-max-age"},
            paramLabel = "DURATION",
            defaultValue = "50s",
            converter = GoDuration.Converter.class,
            description = "how long a Durable Streams SSE response lasts before the server ends it cleanly; clients "
                    + "reconnect from their last offset. Below the 60 s proxies commonly allow; a quiet response "
                    + "gets a keep-alive comment every 15 s meanwhile (default: ${DEFAULT-VALUE})")
    Duration sseMaxAge;

    @Option(
            names = {"-viewer-idle", "--viewer-idle"},
            paramLabel = "DURATION",
            defaultValue = "5s",
            converter = GoDuration.Converter.class,
            description = "how long a live writer may send nothing before the log viewer shows it as idle "
                    + "(default: ${DEFAULT-VALUE})")
    Duration viewerIdle;

    @Option(
            names = {"-max-read-bytes", "--max-read-bytes"},
            paramLabel = "BYTES",
            defaultValue = "0",
            description = "the most bytes one Durable Streams catch-up or long-poll response carries; a reader "
                    + "with more to read asks again (default: ${DEFAULT-VALUE}, no cap: a read answers everything "
                    + "up to the tail, sent from the file, never held in memory; the official Durable Streams "
                    + "client reads only the first response of a non-live read, so a cap truncates its reads)")
    long maxReadBytes;

    @Option(
            names = {"-fsync", "--fsync"},
            arity = "0..1",
            fallbackValue = "true",
            paramLabel = "BOOL",
            description = "acknowledged means on disk: every append (and new file, and stream metadata) is on "
                    + "stable storage before followers see it, before a POST is answered and before a WebSocket "
                    + "append's Close 1000; concurrent appends share one sync (group commit), so it costs "
                    + "latency more than throughput; survives power loss (default: false, the page cache)")
    boolean fsync;

    @Option(
            names = {"-store", "--store"},
            paramLabel = "KIND",
            defaultValue = "file",
            description = "where streams live, for every protocol: file (plain files under -root), memory "
                    + "(lost when the server stops; for tests and throwaway servers) or nats (a NATS JetStream "
                    + "cluster, see -nats: this server is then one of any number of front nodes) (default: file)")
    StoreKind store;

    /** The values of {@code -store}; picocli refuses any other as a usage mistake. */
    enum StoreKind { file, memory, nats }

    @Option(
            names = {"-nats", "--nats"},
            paramLabel = "URL[,URL...]",
            split = ",",
            description = "with -store=nats: the NATS servers of the JetStream cluster (nats://host:port; any of "
                    + "them, the client finds the others)")
    java.util.List<String> natsUrls = new java.util.ArrayList<>();

    /** -nats-creds, -nats-user, -nats-tls-*, -nats-allow-unsafe and the rest of the NATS connection. */
    @Mixin
    NatsOptions nats = new NatsOptions();

    @Option(
            names = {"-tokens", "--tokens"},
            paramLabel = "FILE",
            description = {"grant file: turns authentication on; every request then needs a token of the file "
                    + "or a signed link. One grant a line: TOKEN PERMISSIONS PATHS [requests=N] [bytes=N], e.g. "
                    + "\"sha256:<64 hex> read,append /builds/\"; permissions read, append, delete, admin; "
                    + "paths exact or prefixes ending in /; # comments. Re-read when it changes and on SIGHUP; "
                    + "a bad line is refused and the grants in force stay (default: none, everything open)"})
    Path tokens;

    @Option(
            names = {"-token-rate-requests", "--token-rate-requests"},
            paramLabel = "N",
            defaultValue = "0",
            description = "requests a second one token may make, past which it gets 429 with Retry-After; a grant "
                    + "line's requests=N overrides it (default: ${DEFAULT-VALUE}, no limit)")
    long tokenRateRequests;

    @Option(
            names = {"-token-rate-bytes", "--token-rate-bytes"},
            paramLabel = "N",
            defaultValue = "0",
            description = "bytes a second one token may append: a POST past it gets 429 with Retry-After, a "
                    + "WebSocket appender is slowed down; a grant line's bytes=N overrides it "
                    + "(default: ${DEFAULT-VALUE}, no limit)")
    long tokenRateBytes;

    @Option(
            names = {"-tokens-poll", "--tokens-poll"},
            paramLabel = "DURATION",
            defaultValue = "1s",
            converter = GoDuration.Converter.class,
            description = "how often the grant file is looked at for changes; 0s reads it again only on SIGHUP "
                    + "(default: ${DEFAULT-VALUE})")
    Duration tokensPoll;

    @Option(
            names = {"-link-key", "--link-key"},
            paramLabel = "FILE",
            description = "file holding the HMAC key of signed links (made if missing: 32 random bytes, mode 0600; "
                    + "default: ROOT/.httpfstream/link.key)")
    Path linkKey;

    @Option(
            names = {"-drain-timeout", "--drain-timeout"},
            paramLabel = "DURATION",
            defaultValue = "10s",
            converter = GoDuration.Converter.class,
            description = "on SIGTERM or SIGINT the server stops accepting connections, ends followers with "
                    + "their resume offset, answers the requests it has read and lets appenders finish for at "
                    + "most this long; then it ends the rest (every byte received is kept) and exits 0. A second "
                    + "signal ends the rest at once (default: ${DEFAULT-VALUE}; 0s: at once)")
    Duration drainTimeout;

    /** The resource limits: -max-connections, -header-timeout and the rest. */
    @Mixin
    LimitOptions limits;

    @Mixin
    ExposureFlags exposure = new ExposureFlags();

    @Mixin
    TlsOptions tls = new TlsOptions();
    /** -admin and -access-log. */
    @Mixin
    OperatingOptions operating = new OperatingOptions();

    public ServerCommand() {
    }

    @Override
    public Integer call() throws InterruptedException {
        Limits serverLimits = checkOptions();
        TlsConfig tlsConfig = tls.toConfig();
        createRoot(root);

        checkHostResolves(http);
        checkAdminHostResolves();
        HttpFStreamServer server = startServer(serverLimits, tlsConfig);
        serveUntilStopped(server, tlsConfig);
        return 0;
    }

    /** Rejects option values and combinations the server cannot run with; returns the parsed limits. */
    private Limits checkOptions() {
        if (longPollTimeout.isZero() || longPollTimeout.isNegative()) {
            throw new CommandFailure("-long-poll-timeout must be positive: " + longPollTimeout);
        }
        if (sseMaxAge.isZero() || sseMaxAge.isNegative()) {
            throw new CommandFailure("-sse-max-age must be positive: " + sseMaxAge);
        }
        if (viewerIdle.isZero() || viewerIdle.isNegative()) {
            throw new CommandFailure("-viewer-idle must be positive: " + viewerIdle);
        }
        if (drainTimeout.isNegative()) {
            throw new CommandFailure("-drain-timeout must not be negative: " + drainTimeout);
        }
        if (tokensPoll.isNegative()) {
            throw new CommandFailure("-tokens-poll must not be negative: " + tokensPoll);
        }
        if (tokenRateRequests < 0 || tokenRateBytes < 0) {
            throw new CommandFailure("-token-rate-requests and -token-rate-bytes must not be negative");
        }
        if (tokens == null && (tokenRateRequests > 0 || tokenRateBytes > 0 || linkKey != null)) {
            throw new CommandFailure("-token-rate-requests, -token-rate-bytes and -link-key need -tokens");
        }
        if (tokens != null && !Files.isReadable(tokens)) {
            throw new CommandFailure("failed to read grant file " + tokens + ": "
                    + (Files.exists(tokens) ? "permission denied" : "no such file"));
        }
        Limits serverLimits;
        try {
            serverLimits = limits.toLimits();
        } catch (IllegalArgumentException e) {
            throw new CommandFailure(e.getMessage());
        }
        if (maxReadBytes < 0) {
            throw new CommandFailure("-max-read-bytes must be 0 (no cap) or positive: " + maxReadBytes);
        }
        return serverLimits;
    }

    /** Like {@link #checkHostResolves}, for the -admin listener. */
    private void checkAdminHostResolves() {
        if (operating.admin != null && !operating.admin.allInterfaces()) {
            try {
                InetAddress.getByName(operating.admin.host());
            } catch (UnknownHostException e) {
                throw new CommandFailure("failed to listen on " + operating.admin + " (-admin): unknown host "
                        + operating.admin.host());
            }
        }
    }

    /** Builds the server from the options and starts it; a bind failure becomes a clear command failure. */
    private HttpFStreamServer startServer(Limits serverLimits, TlsConfig tlsConfig) {
        if (store == StoreKind.nats && natsUrls.isEmpty()) {
            throw new CommandFailure("-store=nats needs the cluster's servers: -nats=nats://host:port[,...]");
        }
        if (store != StoreKind.nats && (!natsUrls.isEmpty() || nats.any())) {
            throw new CommandFailure("-nats and the -nats-* options need -store=nats");
        }
        org.httpfstream.store.nats.NatsConnectionOptions natsOptions =
                store == StoreKind.nats ? nats.toOptions(natsUrls, System.getenv()) : null;
        try {
            HttpFStreamServerBuilder builder = HttpFStreamServer.builder();
            if (operating.admin != null) {
                builder.admin(operating.admin.allInterfaces() ? null : operating.admin.host(), operating.admin.port());
            }
            if (store == StoreKind.nats) {
                builder.nats(natsOptions).natsAllowUnsafe(nats.allowUnsafe);
            }
            return builder
                    .auth(tokens == null ? null : AuthConfig.of(tokens).withLinkKey(linkKey)
                            .withRate(new Rate(tokenRateRequests, tokenRateBytes)).withPollInterval(tokensPoll))
                    .root(root)
                    .bind(http.allInterfaces() ? null : http.host(), http.port())
                    .longPollTimeout(longPollTimeout)
                    .sse(new SseSettings(sseMaxAge))
                    .maxReadBytes(maxReadBytes)
                    .viewerIdle(viewerIdle)
                    .fsync(fsync)
                    .storage(store == StoreKind.nats ? HttpFStreamServer.STORAGE_NATS : store.name())
                    .limits(serverLimits)
                    .allowOrigins(exposure.allowOrigin)
                    .webhookTargets(exposure.webhookAllow)
                    .tls(tlsConfig)
                    .accessLog(operating.accessLog)
                    .drainTimeout(drainTimeout)
                    .build()
                    .start();
        } catch (org.httpfstream.store.nats.NatsStartException e) {
            throw new CommandFailure(e.getMessage());
        } catch (AdminServer.AdminBindException e) {
            throw new CommandFailure("failed to listen on " + operating.admin + " (-admin): "
                    + bindFailure((Exception) e.getCause()));
        } catch (IOException | RuntimeException e) {
            // start() releases what it acquired when binding fails; there is nothing to close.
            throw new CommandFailure("failed to listen on " + http + ": " + bindFailure(e));
        }
    }

    /**
     * Installs the reload and stop signals and the shutdown hook, logs the start line, then blocks until
     * the server has drained and closed.
     */
    private void serveUntilStopped(HttpFStreamServer server, TlsConfig tlsConfig) throws InterruptedException {
        BindAddress bound = http.withPort(server.port());
        if (tokens != null || tlsConfig != null) {
            ReloadSignal.install(() -> {
                server.reloadTokens();
                server.reloadTls();
            });
        }
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean stopping = new AtomicBoolean();
        Runnable stop = () -> {
            try {
                server.close();
            } catch (Exception e) {
                LOG.warn("Error while stopping the server: {}", Errors.describe(e));
            } finally {
                stopped.countDown();
            }
        };
        installStopSignals(server, bound, stopping, stop);
        // Any other way out of the JVM (System.exit elsewhere, a signal that could not be caught).
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (stopping.compareAndSet(false, true)) {
                LOG.info("Stopping server on {}", bound);
                stop.run();
            }
        }, "httpfstream-server-shutdown"));
        // Logged once the hook is in place, so whoever waits for this line may stop the server right away.
        LOG.info("Starting server on {} (root {}{}{}{}{}{})", bound, root, fsync ? ", fsync" : "",
                store == StoreKind.memory ? ", streams in memory" : "",
                tokens == null ? "" : ", grants " + tokens, tlsConfig == null ? "" : ", TLS " + tlsConfig.certificateFile(),
                server.adminAddress() == null ? "" : ", admin " + operating.admin.withPort(server.adminAddress().getPort()));

        // Serve until SIGTERM/SIGINT has drained and closed the server (or the JVM exits otherwise).
        stopped.await();
    }

    /**
     * The first SIGTERM (or SIGINT) drains the server, then call() returns 0; a second one ends the
     * drain at once (close() called again forces the first). Both off the signal thread.
     */
    private void installStopSignals(HttpFStreamServer server, BindAddress bound, AtomicBoolean stopping,
            Runnable stop) {
        StopSignals.install(signal -> {
            if (stopping.compareAndSet(false, true)) {
                LOG.info("Stopping server on {} ({}): draining for up to {} ms; {} again stops it at once", bound,
                        signal, drainTimeout.toMillis(), signal);
                new Thread(stop, "httpfstream-server-drain").start();
            } else {
                LOG.info("{} again: ending the drain now", signal);
                Thread force = new Thread(server::close, "httpfstream-server-stop");
                force.setDaemon(true);
                force.start();
            }
        });
    }

    /** Creates the root directory (owner-only, like the original) if it does not exist yet. */
    private static void createRoot(Path root) {
        if (Files.isDirectory(root)) {
            return;
        }
        try {
            if (root.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Path parent = root.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                Files.createDirectory(root,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } else {
                Files.createDirectories(root);
            }
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(root)) {
                throw new CommandFailure("failed to create root directory " + root + ": not a directory");
            }
        } catch (IOException | RuntimeException e) {
            throw new CommandFailure("failed to create root directory " + root + ": " + Errors.describeFile(e, root));
        }
    }

    /** The cause of a bind failure, without the native transport's "bind(..) failed with error(-98): " prefix. */
    static String bindFailure(Exception e) {
        return NATIVE_BIND_PREFIX.matcher(Errors.describe(e)).replaceFirst("");
    }

    /** Fails with a clear line for an unknown bind host, before the server reports it less readably. */
    private static void checkHostResolves(BindAddress http) {
        if (http.allInterfaces()) {
            return;
        }
        try {
            InetAddress.getByName(http.host());
        } catch (UnknownHostException e) {
            throw new CommandFailure("failed to listen on " + http + ": unknown host " + http.host());
        }
    }
}
