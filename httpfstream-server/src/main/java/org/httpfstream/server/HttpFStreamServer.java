package org.httpfstream.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.httpfstream.auth.AccessControl;
import org.httpfstream.auth.AuthConfig;
import org.httpfstream.auth.GrantFileException;
import org.httpfstream.browser.OriginPolicy;
import org.httpfstream.server.admin.AdminConfig;
import org.httpfstream.server.admin.AdminServer;
import org.httpfstream.server.admin.Readiness;
import org.httpfstream.server.admin.ServerMetrics;
import org.httpfstream.server.connection.TlsContexts;
import org.httpfstream.server.guard.Authorizer;
import org.httpfstream.server.http.SseSettings;
import org.httpfstream.server.routing.HttpFStreamHandler;
import org.httpfstream.store.MetadataStore;
import org.httpfstream.store.StreamStore;
import org.httpfstream.subscriptions.WebhookTargets;
import org.httpfstream.tls.TlsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A standalone httpfstream server: streams under one root folder, served over HTTP/1.1 and
 * WebSocket, and HTTP/2; over TLS if given a certificate ({@link HttpFStreamServerBuilder#tls}). The Java form of the original {@code httpfstream.New(root)} plus {@code
 * http.ListenAndServe}.
 *
 * <pre>{@code
 * try (HttpFStreamServer server = HttpFStreamServer.builder()
 *     .root(Path.of("/tmp/httpfstream"))
 *     .bind("127.0.0.1", 8080)
 *     .build()
 *     .start()) {
 *   System.out.println("serving on " + server.uri());
 *   ...
 * }
 * }</pre>
 *
 * <p>Thread safety: {@link #start()} and {@link #close()} may be called from any thread; {@code
 * close()} is idempotent, and a second call while the first drains ends the drain at once ({@link
 * Drain}). {@link #isDraining()} may be called at any time; the other accessors are valid after {@code
 * start()} returns.
 */
public final class HttpFStreamServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpFStreamServer.class);

    /** How long {@link #close()} waits for appenders and answers by default. */
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(10);

    private final Path root;
    private final String host;
    private final int port;
    private final HttpFStreamSettings settings;
    private final boolean fsync;
    /** {@link HttpFStreamServerBuilder#storage}: streams in plain files under the root. */
    public static final String STORAGE_FILE = "file";
    /** {@link HttpFStreamServerBuilder#storage}: streams in memory, every protocol's. */
    public static final String STORAGE_MEMORY = "memory";
    /** {@link HttpFStreamServerBuilder#nats}: streams on a NATS JetStream cluster, this server a front node. */
    public static final String STORAGE_NATS = "nats";
    private final org.httpfstream.store.nats.NatsConnectionOptions nats;
    private final org.httpfstream.store.nats.NatsConfig natsConfig;
    private final boolean natsAllowUnsafe;
    /** Where streams live: {@code file} or {@code memory}. */
    private final String storageKind;
    private final Limits limits;
    private final OriginPolicy origins;
    private final WebhookTargets webhooks;
    private final SseSettings sse;
    private final Duration viewerIdle;
    private final Refusals refusals = new Refusals();
    private final AuthConfig authConfig;
    private final TlsConfig tlsConfig;
    private volatile TlsContexts tls; // null without TLS; set in start()
    private final AdminConfig adminConfig;
    private final boolean accessLog;
    private final ServerStats stats = new ServerStats();
    private final Readiness readiness;
    private volatile ServerMetrics metrics;
    private AdminServer admin; // Guarded by lock; null without an admin listener.
    private final Duration drainTimeout;
    private final Drain drain = new Drain();

    private final Object lock = new Object();
    private StreamStore store; // Guarded by lock.
    private org.httpfstream.store.Storage storage; // Guarded by lock; where every protocol's streams live.
    private AccessControl access; // Guarded by lock; null without a grant file.
    private Listener listener; // Guarded by lock.
    private ChannelGroup channels; // Guarded by lock.
    private volatile InetSocketAddress localAddress;
    private volatile HttpFStreamInitializer initializer;
    private boolean started; // Guarded by lock.
    private boolean closed; // Guarded by lock.

    HttpFStreamServer(HttpFStreamServerBuilder b) {
        this.root = b.root;
        this.host = b.host;
        this.port = b.port;
        this.settings = b.settings;
        this.fsync = b.fsync;
        this.storageKind = b.storage;
        this.nats = b.nats;
        this.natsConfig = b.natsConfig;
        this.natsAllowUnsafe = b.natsAllowUnsafe;
        this.limits = b.limits;
        this.authConfig = b.auth;
        this.tlsConfig = b.tls;
        this.origins = b.origins;
        this.webhooks = b.webhooks;
        this.sse = b.sse;
        this.viewerIdle = b.viewerIdle;
        this.adminConfig = b.admin;
        this.accessLog = b.accessLog;
        this.readiness = new Readiness(root.resolve(MetadataStore.FOLDER));
        this.drainTimeout = b.drainTimeout;
    }

    /** A builder with the defaults; see {@link HttpFStreamServerBuilder}. */
    public static HttpFStreamServerBuilder builder() {
        return new HttpFStreamServerBuilder();
    }

    /**
     * Creates the root folder if needed, binds the address and starts serving. Returns this server.
     *
     * @throws java.net.BindException if the address is in use
     * @throws IOException if the root cannot be created
     * @throws IllegalStateException if called twice
     */
    public HttpFStreamServer start() throws IOException {
        synchronized (lock) {
            if (started) {
                throw new IllegalStateException("already started");
            }
            started = true;
            openStore();
            listener = new Listener();
            channels = new DefaultChannelGroup("httpfstream", GlobalEventExecutor.INSTANCE);
            // The composition root: the domain over the store, the protocol handlers, the pipeline.
            storage = streamStorage();
            HttpFStreamHandler router = ServerContext.compose(store, storage,
                    new ServerContext.Protocols(settings, limits, webhooks, sse, viewerIdle), new Authorizer(access, refusals),
                    refusals);
            initializer = new HttpFStreamInitializer(
                    new ServerContext(settings, limits, refusals, origins, router, tls, channels, stats, accessLog));
            try {
                localAddress = listener.bind(host, port, channels, drain, initializer);
            } catch (IOException e) {
                closed = true; // nothing to close but the threads, the store and the grant file
                listener.shutdown();
                store.close();
                if (access != null) {
                    access.close();
                }
                throw e;
            }
            // Debug: whoever starts the server says so at info, once, with what it knows (the command line
            // logs "Starting server on ..." after this, when it is ready to be stopped).
            LOG.debug("httpfstream serving {} on {} ({}{})", store.root(), localAddress,
                    listener.epoll ? "epoll" : "nio", tls == null ? ", HTTP/1.1 and h2c"
                            : ", TLS by " + tls.engine() + ", HTTP/1.1 and h2 by ALPN");
            if (adminConfig != null) {
                startAdmin();
            }
            if (access == null && !localAddress.getAddress().isLoopbackAddress()) {
                LOG.warn("httpfstream on {} is open to anyone who can reach it: no grant file (-tokens), "
                        + "so everyone may read, append to and delete every stream", localAddress);
            }
            return this;
        }
    }

    /**
     * Where every protocol's streams live: the files of the store, or an in-memory store that closes
     * with it ({@link HttpFStreamServerBuilder#storage}); the store's root keeps the server's own folder
     * either way.
     */
    private org.httpfstream.store.Storage streamStorage() throws IOException {
        if (STORAGE_NATS.equals(storageKind)) {
            try {
                org.httpfstream.store.Storage cluster = org.httpfstream.store.nats.NatsStorage.connect(nats,
                        natsConfig, natsAllowUnsafe, store.limits());
                store.addCloseListener(cluster::close);
                return cluster;
            } catch (IOException e) {
                closed = true; // as when binding fails: the threads, the store and the grant file
                listener.shutdown();
                store.close();
                if (access != null) {
                    access.close();
                }
                throw e;
            }
        }
        if (!STORAGE_MEMORY.equals(storageKind)) {
            return new org.httpfstream.store.FileStorage(store);
        }
        org.httpfstream.store.Storage memory = new org.httpfstream.store.memory.MemoryStorage(store.limits());
        store.addCloseListener(memory::close);
        return memory;
    }

    /** Loads the TLS pair, opens the store and the grant file; on failure undoes what it did and throws. */
    private void openStore() throws IOException {
        if (tlsConfig != null) {
            try {
                tls = TlsContexts.load(tlsConfig); // before anything that must be undone
            } catch (IOException e) {
                closed = true;
                throw e;
            }
        }
        store = new StreamStore(root, fsync, new org.httpfstream.store.StoreLimits(
                limits.maxStreamBytes(), limits.maxProducersPerStream()));
        if (authConfig != null) {
            try {
                access = AccessControl.start(authConfig, store.root().resolve(MetadataStore.FOLDER));
            } catch (IOException | GrantFileException e) {
                closed = true;
                store.close();
                throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
            }
        }
    }

    /** Starts the admin listener; on failure releases everything start() took and throws. */
    private void startAdmin() throws IOException {
        ServerMetrics m = new ServerMetrics(store, stats, refusals);
        store.metrics(m);
        metrics = m;
        try {
            admin = AdminServer.start(adminConfig, listener.boss, listener.workers, listener.channelType, m,
                    readiness);
        } catch (IOException e) {
            closed = true;
            channels.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
            store.close();
            if (access != null) {
                access.close();
            }
            listener.shutdown();
            throw e;
        }
        LOG.info("httpfstream admin listener (/metrics, /healthz, /readyz) on {}", admin.localAddress());
    }

    /**
     * The address of the admin listener ({@code /metrics}, {@code /healthz}, {@code /readyz}); the real
     * port when port 0 was asked for; null if this server has none ({@link HttpFStreamServerBuilder#admin}).
     */
    public InetSocketAddress adminAddress() {
        synchronized (lock) {
            return admin == null ? null : admin.localAddress();
        }
    }

    /** This server's Prometheus metrics, or null without an admin listener; valid after start. */
    public ServerMetrics metrics() {
        return metrics;
    }

    /** The transport's counts (connections, bytes, live readers, appends); kept with or without metrics. */
    public ServerStats stats() {
        return stats;
    }

    /**
     * Marks the server as draining or not: while it drains, {@code /readyz} answers {@code 503} so that a
     * load balancer stops sending it new clients. {@link #close()} sets it.
     */
    public void setDraining(boolean draining) {
        readiness.setDraining(draining);
    }

    /** What {@code /readyz} answers from: draining, and whether the store can be written. */
    public Readiness readiness() {
        return readiness;
    }

    /** The address the server listens on; the real port when port 0 was asked for. */
    public InetSocketAddress localAddress() {
        InetSocketAddress a = localAddress;
        if (a == null) {
            throw new IllegalStateException("not started");
        }
        return a;
    }

    /** The port the server listens on. */
    public int port() {
        return localAddress().getPort();
    }

    /** The base URI of the server, such as {@code http://127.0.0.1:8080/}; wildcard binds give 127.0.0.1. */
    public URI uri() {
        InetSocketAddress a = localAddress();
        String h = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        if (h.indexOf(':') >= 0) {
            h = "[" + h + "]";
        }
        return URI.create((tls == null ? "http://" : "https://") + h + ":" + a.getPort() + "/");
    }

    /**
     * Bytes waiting in the server's outbound buffers, over all connections: what slow readers cost the
     * server's memory. For tests and diagnostics.
     */
    long pendingOutboundBytes() {
        long total = 0;
        for (Channel ch : channels) {
            ChannelOutboundBuffer buffer = ch.unsafe().outboundBuffer();
            if (buffer != null) {
                total += buffer.totalPendingWriteBytes();
            }
        }
        return total;
    }

    /** Open connections counted against {@link Limits#maxConnections()}. For tests and diagnostics. */
    int openConnections() {
        return initializer.openConnections();
    }

    /** Live readers counted against {@link Limits#maxFollowers()}. For tests and diagnostics. */
    int liveReaders() {
        return initializer.liveReaders();
    }

    /** The refusals counted so far, by reason. */
    public Refusals refusals() {
        return refusals;
    }

    /**
     * Reads the grant file again now, as on SIGHUP (it is also re-read when its contents change). A file
     * with a bad line is refused, with the line's number in the log, and the grants in force stay; open
     * connections are not touched either way.
     *
     * @return true if new grants are in force; false if unchanged, refused, or there is no grant file
     */
    public boolean reloadTokens() {
        AccessControl a;
        synchronized (lock) {
            a = access;
        }
        return a != null && a.reloadTokens();
    }

    /**
     * Reads the TLS certificate and key files again now, as on SIGHUP: new connections get the new pair,
     * open ones keep theirs. A pair that cannot be used is refused (one line in the log) and the pair in
     * force stays.
     *
     * @return true if the new pair is in force; false if refused or this server has no TLS
     */
    public boolean reloadTls() {
        TlsContexts t = tls;
        return t != null && t.reload();
    }

    /** The TLS engine in use, {@code "OpenSSL"} (BoringSSL) or {@code "JDK"}; null without TLS. For tests and diagnostics. */
    String tlsEngine() {
        TlsContexts t = tls;
        return t == null ? null : t.engine();
    }

    /** True if this server speaks TLS ({@code https}, {@code wss}); valid after start. */
    public boolean secure() {
        return tls != null;
    }

    /** The decisions on who may do what, or null if this server has no grant file; valid after start. */
    public AccessControl accessControl() {
        synchronized (lock) {
            return access;
        }
    }

    /** The limits this server enforces. */
    public Limits limits() {
        return limits;
    }

    /** The storage root as given to the builder. */
    public Path root() {
        return root;
    }

    /**
     * Where every protocol's streams live ({@link HttpFStreamServerBuilder#storage}), for embedding and
     * tests; valid after {@link #start()}.
     */
    public org.httpfstream.store.Storage storage() {
        synchronized (lock) {
            if (storage == null) {
                throw new IllegalStateException("not started");
            }
            return storage;
        }
    }

    /** The stream store, for embedding; valid after {@link #start()}. */
    public StreamStore store() {
        synchronized (lock) {
            if (store == null) {
                throw new IllegalStateException("not started");
            }
            return store;
        }
    }

    /**
     * True from the moment {@link #close()} begins until the server is closed, and after: the server
     * accepts no connection and is ending those it has. A readiness check reports not ready then.
     */
    public boolean isDraining() {
        return drain.draining();
    }

    /**
     * Drains, then stops. First it stops listening (new connections are refused); it answers the
     * requests it has read ({@code POST}s waiting for their sync included) and closes their connections;
     * it ends every live reader with its resume offset (a WebSocket follower with Close 1001, a {@code
     * ?follow} response with its last chunk and the trailers {@code Stream-Next-Offset} and {@code
     * Stream-Writer-Active: true}, an SSE response after a {@code control} event with {@code
     * streamNextOffset}) and answers waiting long-polls as their timeout would (204 with {@code
     * Stream-Next-Offset}). Appenders may finish for up to the {@linkplain HttpFStreamServerBuilder#drainTimeout drain
     * timeout}. Then it closes every connection still open and ends every append session (appenders get
     * Close 1001; their leases are released, every byte received so far stays in the files), closes the
     * store (the syncs it owes done) and stops the I/O threads. Blocks until done. Idempotent; a call
     * while another one drains ends the drain at once, then waits for the server to be closed.
     */
    @Override
    public void close() {
        ChannelGroup all;
        synchronized (lock) {
            if (!started || closed) {
                return;
            }
            all = channels;
        }
        readiness.setDraining(true);
        if (drain.begin()) { // outside the lock: it may take the drain timeout
            drain.run(all, drainTimeout);
        } else {
            drain.force();
        }
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            Drain.endSessions(channels);
            if (admin != null) {
                admin.close();
            }
            channels.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
            store.close();
            if (access != null) {
                access.close();
            }
            listener.shutdown();
            LOG.info("httpfstream on {} stopped", localAddress);
        }
    }
}
