package org.httpfstream.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.httpfstream.auth.AuthConfig;
import org.httpfstream.browser.OriginPolicy;
import org.httpfstream.server.admin.AdminConfig;
import org.httpfstream.server.http.SseSettings;
import org.httpfstream.store.StreamStore;
import org.httpfstream.subscriptions.WebhookTargets;
import org.httpfstream.tls.TlsConfig;

/**
 * Builds a {@link HttpFStreamServer}: {@code HttpFStreamServer.builder().root(...).bind(...).build()}.
 *
 * <p>Thread safety: not thread safe; use it from one thread.
 */
public final class HttpFStreamServerBuilder {
    // Package-private: HttpFStreamServer reads them once, in its constructor.
    Path root = Path.of("/tmp/httpfstream");
    String host;
    int port = 8080;
    HttpFStreamSettings settings = HttpFStreamSettings.defaults();
    boolean fsync;
    String storage = HttpFStreamServer.STORAGE_FILE;
    org.httpfstream.store.nats.NatsConnectionOptions nats;
    org.httpfstream.store.nats.NatsConfig natsConfig = org.httpfstream.store.nats.NatsConfig.DEFAULT;
    boolean natsAllowUnsafe;
    Limits limits = Limits.defaults();
    AuthConfig auth;
    OriginPolicy origins = OriginPolicy.sameOriginOnly();
    WebhookTargets webhooks = WebhookTargets.publicOnly();
    SseSettings sse = SseSettings.defaults();
    Duration viewerIdle = ServerContext.Protocols.VIEWER_IDLE;
    TlsConfig tls;
    AdminConfig admin;
    boolean accessLog = true;
    Duration drainTimeout = HttpFStreamServer.DEFAULT_DRAIN_TIMEOUT;

    HttpFStreamServerBuilder() {}

    /** How long Durable Streams SSE responses last; see {@link SseSettings#defaults()}. */
    public HttpFStreamServerBuilder sse(SseSettings sse) {
        this.sse = Objects.requireNonNull(sse, "sse");
        return this;
    }

    /**
     * How long a live writer may be silent before the viewer calls it idle ({@code ?status}, {@code
     * ?list}, the page's badge). Default 5 s.
     */
    public HttpFStreamServerBuilder viewerIdle(Duration idle) {
        Objects.requireNonNull(idle, "idle");
        if (idle.isNegative() || idle.isZero()) {
            throw new IllegalArgumentException("idle <= 0: " + idle);
        }
        this.viewerIdle = idle;
        return this;
    }

    /**
     * Serves HTTPS (HTTP/1.1 with WebSocket, and HTTP/2, chosen by ALPN) with this certificate chain and
     * key instead of cleartext HTTP; {@link HttpFStreamServer#reloadTls()} reads them again. Default
     * null: cleartext HTTP/1.1 and h2c (HTTP/2 with prior knowledge).
     */
    public HttpFStreamServerBuilder tls(TlsConfig tls) {
        this.tls = tls;
        return this;
    }

    /**
     * Opens the admin listener on this address: {@code /metrics} (Prometheus text format), {@code
     * /healthz} and {@code /readyz}, apart from the streams. Default: none.
     *
     * @param host a host name or address; null or empty for all interfaces
     * @param port 0 to 65535; 0 picks a free port, readable from {@link HttpFStreamServer#adminAddress()} after start
     */
    public HttpFStreamServerBuilder admin(String host, int port) {
        this.admin = new AdminConfig(host, port);
        return this;
    }

    /**
     * With {@code true} (the default), one line per request and per WebSocket session on the SLF4J
     * logger {@code httpfstream.access}; {@code false} adds no access-log handler at all.
     */
    public HttpFStreamServerBuilder accessLog(boolean accessLog) {
        this.accessLog = accessLog;
        return this;
    }

    /**
     * How long {@link HttpFStreamServer#close()} lets appenders and requests in progress finish after
     * it stopped listening (default 10 s); then it ends them. Zero: at once.
     *
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public HttpFStreamServerBuilder drainTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("drain timeout < 0: " + timeout);
        }
        this.drainTimeout = timeout;
        return this;
    }

    /**
     * Turns on authentication and authorisation: every request needs a token of the grant file or a
     * signed link (see {@link AuthConfig}). Default null: everything is open to everyone.
     */
    public HttpFStreamServerBuilder auth(AuthConfig auth) {
        this.auth = auth;
        return this;
    }

    /** Shorthand for {@code auth(AuthConfig.of(tokens))}: grants from this file, no rate limit. */
    public HttpFStreamServerBuilder tokens(Path tokens) {
        this.auth = AuthConfig.of(tokens);
        return this;
    }

    /** The storage root folder (default {@code /tmp/httpfstream}); created on start if missing. */
    public HttpFStreamServerBuilder root(Path root) {
        this.root = Objects.requireNonNull(root, "root");
        return this;
    }

    /**
     * The address to listen on (default: all interfaces, port 8080).
     *
     * @param host a host name or address; null or empty for all interfaces
     * @param port 0 to 65535; 0 picks a free port, readable from {@link HttpFStreamServer#port()} after start
     */
    public HttpFStreamServerBuilder bind(String host, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        this.host = host;
        this.port = port;
        return this;
    }

    /** Transport tunables; see {@link HttpFStreamSettings#defaults()}. */
    public HttpFStreamServerBuilder settings(HttpFStreamSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        return this;
    }

    /** Resource limits; see {@link Limits#defaults()}. */
    public HttpFStreamServerBuilder limits(Limits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
        return this;
    }

    /**
     * Which browser pages may write (append, create, close, delete, change subscriptions): requests
     * and WebSocket upgrades with an {@code Origin} header from any other page get {@code 403}.
     * Default {@link OriginPolicy#sameOriginOnly()}; requests without {@code Origin} are not affected.
     */
    public HttpFStreamServerBuilder allowOrigins(OriginPolicy origins) {
        this.origins = Objects.requireNonNull(origins, "origins");
        return this;
    }

    /**
     * Where subscription webhooks may be sent; default {@link WebhookTargets#publicOnly()}: public
     * addresses over https only.
     */
    public HttpFStreamServerBuilder webhookTargets(WebhookTargets webhooks) {
        this.webhooks = Objects.requireNonNull(webhooks, "webhooks");
        return this;
    }

    /** Shorthand for {@code settings(settings().withPingInterval(d))}. */
    public HttpFStreamServerBuilder pingInterval(Duration d) {
        this.settings = settings.withPingInterval(d);
        return this;
    }

    /** Shorthand for {@code settings(settings().withAppenderTimeout(d))}. */
    public HttpFStreamServerBuilder appenderTimeout(Duration d) {
        this.settings = settings.withAppenderTimeout(d);
        return this;
    }

    /**
     * With {@code true}, every append is on stable storage before followers see it, before an
     * HTTP append is answered and before a WebSocket append's Close 1000; concurrent appends share
     * one sync (see {@link StreamStore#StreamStore(Path, boolean)}). Default false: the page cache.
     */
    public HttpFStreamServerBuilder fsync(boolean fsync) {
        this.fsync = fsync;
        return this;
    }

    /**
     * Where streams live, for every protocol: {@value HttpFStreamServer#STORAGE_FILE} (the default: plain
     * files under the root) or {@value HttpFStreamServer#STORAGE_MEMORY} (in memory, lost when the server
     * stops; for tests and throwaway servers). The root keeps the server's own folder either way.
     *
     * @throws IllegalArgumentException for any other name
     */
    public HttpFStreamServerBuilder storage(String kind) {
        if (HttpFStreamServer.STORAGE_NATS.equals(kind) && nats != null) {
            return this; // set by nats(urls)
        }
        if (!HttpFStreamServer.STORAGE_FILE.equals(kind) && !HttpFStreamServer.STORAGE_MEMORY.equals(kind)) {
            throw new IllegalArgumentException("storage must be file or memory (or nats, with nats(urls)): " + kind);
        }
        this.storage = kind;
        return this;
    }

    /**
     * Makes the server a front node over a NATS JetStream cluster: streams live on the cluster reached at
     * {@code urls} ({@code nats://host:port}, any of its servers), shared with every other front node
     * (see {@link org.httpfstream.store.nats.NatsStorage}). Sets {@link #storage} to {@value
     * HttpFStreamServer#STORAGE_NATS}.
     *
     * @throws IllegalArgumentException if {@code urls} is empty
     */
    public HttpFStreamServerBuilder nats(java.util.List<String> urls) {
        return nats(org.httpfstream.store.nats.NatsConnectionOptions.of(urls));
    }

    /**
     * Like {@link #nats(java.util.List)}, with how to connect: credentials, TLS, connection name.
     */
    public HttpFStreamServerBuilder nats(org.httpfstream.store.nats.NatsConnectionOptions options) {
        this.nats = java.util.Objects.requireNonNull(options, "options");
        this.storage = HttpFStreamServer.STORAGE_NATS;
        return this;
    }

    /**
     * As {@link #nats(java.util.List)}, with the layout on the cluster {@code config} (its namespace,
     * shards, replicas, lease TTL) instead of {@link org.httpfstream.store.nats.NatsConfig#DEFAULT}; every
     * front node of one deployment must use the same.
     */
    public HttpFStreamServerBuilder nats(java.util.List<String> urls, org.httpfstream.store.nats.NatsConfig config) {
        this.natsConfig = Objects.requireNonNull(config, "config");
        return nats(urls);
    }

    /**
     * Starts on NATS settings known to lose acknowledged appends (a server without a cluster, fewer than
     * 3 replicas, a server version with a known data-loss bug) with a loud warning instead of refusing to
     * start (default false: the server's start fails naming the setting). See {@link
     * org.httpfstream.store.nats.NatsStorage#connect(org.httpfstream.store.nats.NatsConnectionOptions,
     * org.httpfstream.store.nats.NatsConfig, boolean, org.httpfstream.store.StoreLimits)}.
     */
    public HttpFStreamServerBuilder natsAllowUnsafe(boolean allow) {
        this.natsAllowUnsafe = allow;
        return this;
    }

    /** Shorthand for {@code settings(settings().withLongPollTimeout(d))}. */
    public HttpFStreamServerBuilder longPollTimeout(Duration d) {
        this.settings = settings.withLongPollTimeout(d);
        return this;
    }

    /** Shorthand for {@code settings(settings().withMaxReadBytes(bytes))}; {@code 0}: no cap. */
    public HttpFStreamServerBuilder maxReadBytes(long bytes) {
        this.settings = settings.withMaxReadBytes(bytes);
        return this;
    }

    /** A server with these options, not started yet ({@link HttpFStreamServer#start()}). */
    public HttpFStreamServer build() {
        return new HttpFStreamServer(this);
    }
}
