package org.httpfstream.server;

import org.httpfstream.server.connection.AccessLogHandler;
import org.httpfstream.server.connection.AlpnSelector;
import org.httpfstream.server.connection.DrainHandler;
import org.httpfstream.server.connection.H2cPrefaceSniffer;
import org.httpfstream.server.connection.Http2ConnectionIdle;
import org.httpfstream.server.connection.PipeliningHandler;
import org.httpfstream.server.connection.TlsContexts;
import org.httpfstream.server.connection.TrafficCounter;
import org.httpfstream.server.guard.Authorizer;
import org.httpfstream.server.guard.BodyAggregator;
import org.httpfstream.server.guard.BrowserOriginHandler;
import org.httpfstream.server.guard.ConnectionLimiter;
import org.httpfstream.server.guard.ContentSafetyHandler;
import org.httpfstream.server.guard.RequestTimer;
import org.httpfstream.server.guard.ResponseHeadersHandler;
import org.httpfstream.server.http.SseSettings;
import org.httpfstream.server.routing.HttpFStreamHandler;
import org.httpfstream.server.ws.AppendFrameDecoder;
import org.httpfstream.server.ws.AppendHandler;
import org.httpfstream.server.ws.AppendRateThrottle;
import org.httpfstream.server.ws.FollowHandler;
import org.httpfstream.server.ws.WebSocketKeepAlive;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.httpfstream.browser.OriginPolicy;
import org.httpfstream.store.StreamStore;
import org.httpfstream.subscriptions.WebhookTargets;

/**
 * The whole httpfstream pipeline of one connection. Before an upgrade:
 *
 * <pre>
 *   traffic     TrafficCounter       counts bytes both ways and connections ({@link ServerStats})
 *   connections ConnectionLimiter    limits.maxConnections[PerAddress] (else 503 and close)
 *   idle        IdleStateHandler     closes HTTP connections idle for settings.idleTimeout
 *   head-start  RequestTimer.bytes   limits.requestTimeout, then limits.headerTimeout from a head's first byte
 *   h2c         H2cPrefaceSniffer    cleartext only: the HTTP/2 preface switches to HTTP/2 (below); leaves
 *   http        HttpServerCodec
 *   access-log  AccessLogHandler     one line per request / WebSocket session (if on)
 *   head-end    RequestTimer.messages  ... to its end (else 408 and close)
 *   drain       DrainHandler         while the server drains: answers what was read, then closes
 *   headers     ResponseHeadersHandler  security and CORS headers on every response
 *   safety      ContentSafetyHandler sandbox CSP on every response, attachment for active types
 *   aggregator  BodyAggregator       request bodies up to limits.maxBodyBytes (else 413 and close)
 *   pipelining  PipeliningHandler    holds later requests while an answer waits for a group commit
 *   origin      BrowserOriginHandler refuses writes from disallowed browser origins; CORS answers
 *   request     HttpFStreamHandler   routes APPEND / FOLLOW and the Durable Streams requests
 * </pre>
 *
 * With TLS ({@link TlsContexts}), {@code tls} (Netty's {@code SslHandler}) and {@code alpn} ({@link
 * AlpnSelector}) follow {@code connections}, and the handlers above from {@code idle} on are added once the
 * client has chosen {@code http/1.1} by ALPN (or offered nothing). Without TLS, {@code h2c} ({@link
 * H2cPrefaceSniffer}) sits before {@code http} until the first bytes tell HTTP/1.1 from HTTP/2.
 *
 * <p>An HTTP/2 connection (ALPN {@code h2}, or the h2c preface) has instead:
 *
 * <pre>
 *   connections ConnectionLimiter    as above
 *   [tls]       SslHandler
 *   idle        IdleStateHandler     with h2-idle: closes the connection when idle with no stream open
 *   h2          Http2FrameCodec      frames, HPACK, flow control (a window per stream)
 *   h2-streams  Http2MultiplexHandler  one child channel per stream, writable while its window is open
 *   h2-idle     Http2ConnectionIdle
 * </pre>
 *
 * and each stream's child channel: {@code idle}, {@code stream-traffic} (if the access log is on: {@link
 * TrafficCounter#forStream()}, the stream's DATA bytes, into no stats: the connection's {@code traffic}
 * already counts them), {@code h2-http} ({@link Http2StreamFrameToHttpObjectCodec}: frames to and from
 * the HTTP/1.1 messages the handlers know; it drops the connection-specific headers such as {@code
 * Connection} and {@code Transfer-Encoding}), {@code access-log} (if on; one line per stream), then
 * {@code headers} to {@code request} as above. Closing a child channel ends its stream (a reset if its response is not complete), not the
 * connection. There is no request timer on HTTP/2 streams (a stream's head arrives in one HEADERS frame
 * sequence) and no WebSocket (it needs HTTP/1.1's upgrade).
 *
 * <p>After a WebSocket upgrade, the handshake swaps the HTTP codec for the WebSocket frame codec (on an
 * APPEND, the appender's own decoder, {@link AppendFrameDecoder}, in place of Netty's), {@code
 * head-start} and {@code head-end} leave, and {@code idle} and {@code request} give way to {@code
 * ws-keepalive} ({@link WebSocketKeepAlive}) and {@code append} ({@link AppendHandler}) or {@code
 * follow} ({@link FollowHandler}). {@code traffic}, {@code connections} and {@code access-log} stay until
 * the connection closes. A WebSocket
 * APPEND by a token with a byte rate also gets {@code append-rate} ({@link AppendRateThrottle}) first in
 * the pipeline; the {@link Authorizer} that {@code request} calls first decides every request.
 */
public final class HttpFStreamInitializer extends ChannelInitializer<Channel> {
    /** The name of the HTTP codec in the pipeline. */
    public static final String HTTP_CODEC = "http";

    private final HttpFStreamSettings settings;
    private final Limits limits;
    private final Refusals refusals;
    private final ConnectionLimiter connections;
    private final HttpFStreamHandler handler;
    private final ResponseHeadersHandler headers;
    private final OriginPolicy origins;
    /** Null: cleartext, HTTP/1.1 or h2c. */
    private final TlsContexts tls;
    /** Where HTTP/2 stream channels are registered (so that closing the server finds their followers), or null. */
    private final ChannelGroup streams;
    private final Http2Streams http2Streams = new Http2Streams();
    /** Streams one HTTP/2 connection may have open at once. */
    static final int MAX_CONCURRENT_STREAMS = 256;
    private final ServerStats stats;
    private final boolean accessLog;
    private static final ContentSafetyHandler SAFETY = new ContentSafetyHandler();

    public HttpFStreamInitializer(StreamStore store, HttpFStreamSettings settings) {
        this(store, settings, Limits.defaults(), new Refusals());
    }

    public HttpFStreamInitializer(StreamStore store, HttpFStreamSettings settings, Limits limits,
            Refusals refusals) {
        this(store, settings, limits, refusals, Authorizer.open(refusals), OriginPolicy.sameOriginOnly(),
                WebhookTargets.publicOnly());
    }

    /**
     * As the four-argument form; {@code authorizer} decides every request, {@code origins} says which
     * browser pages may write, {@code webhooks} where subscription webhooks may be sent.
     */
    public HttpFStreamInitializer(StreamStore store, HttpFStreamSettings settings, Limits limits,
            Refusals refusals, Authorizer authorizer, OriginPolicy origins, WebhookTargets webhooks) {
        this(store, settings, limits, refusals, authorizer, origins, webhooks, SseSettings.defaults(), null, null,
                new ServerStats(), false);
    }

    /**
     * As the seven-argument form; {@code sse} says how long SSE responses last; serves TLS with {@code tls}
     * (null: cleartext) and registers every HTTP/2 stream's channel in {@code streams} (null: not
     * registered); the connections count into {@code stats}, and with {@code accessLog} every request and
     * WebSocket session gets a line on the access log ({@link AccessLogHandler}).
     */
    public HttpFStreamInitializer(StreamStore store, HttpFStreamSettings settings, Limits limits,
            Refusals refusals, Authorizer authorizer, OriginPolicy origins, WebhookTargets webhooks,
            SseSettings sse, TlsContexts tls, ChannelGroup streams, ServerStats stats, boolean accessLog) {
        this(store, null, settings, limits, refusals, authorizer, origins, webhooks, sse, tls, streams, stats,
                accessLog);
    }

    /** As the twelve-argument form; Durable Streams live in {@code storage} (null: the files of {@code store}). */
    public HttpFStreamInitializer(StreamStore store, org.httpfstream.store.Storage storage,
            HttpFStreamSettings settings, Limits limits, Refusals refusals, Authorizer authorizer,
            OriginPolicy origins, WebhookTargets webhooks, SseSettings sse, TlsContexts tls, ChannelGroup streams,
            ServerStats stats, boolean accessLog) {
        this.tls = tls;
        this.streams = streams;
        this.stats = Objects.requireNonNull(stats, "stats");
        this.accessLog = accessLog;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.refusals = Objects.requireNonNull(refusals, "refusals");
        this.origins = Objects.requireNonNull(origins, "origins");
        this.connections = new ConnectionLimiter(limits.maxConnections(), limits.maxConnectionsPerAddress(),
                refusals);
        this.handler = new HttpFStreamHandler(store, storage, settings, limits, refusals, authorizer, webhooks, sse);
        this.headers = new ResponseHeadersHandler();
    }

    /** Open connections admitted, in total. For tests and diagnostics. */
    int openConnections() {
        return connections.open();
    }

    /** Live readers admitted and not yet ended, in total. For tests and diagnostics. */
    int liveReaders() {
        return handler.liveReaders();
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        ch.attr(ServerStats.KEY).set(stats);
        p.addLast("traffic", new TrafficCounter(stats));
        p.addLast("connections", connections);
        if (tls != null) {
            p.addLast("tls", tls.newHandler(ch.alloc()));
            p.addLast("alpn", new AlpnSelector(this));
            return;
        }
        addHttp1(p, true);
    }

    /** Adds the HTTP/1.1 handlers, from {@code idle} on; with {@code sniff}, {@code h2c} before the codec. */
    public void addHttp1(ChannelPipeline p, boolean sniff) {
        RequestTimer timer = new RequestTimer(limits.requestTimeout(), limits.headerTimeout(), refusals);
        p.addLast("idle", idle());
        p.addLast("head-start", timer.bytes());
        if (sniff) {
            p.addLast("h2c", new H2cPrefaceSniffer(this));
        }
        p.addLast(HTTP_CODEC, new HttpServerCodec());
        if (accessLog) {
            p.addLast("access-log", new AccessLogHandler(p.get(TrafficCounter.class)));
        }
        p.addLast("head-end", timer.messages());
        p.addLast("drain", new DrainHandler());
        addRequestHandlers(p);
    }

    /** The handlers of a request, over HTTP/1.1 or on an HTTP/2 stream: from {@code headers} to {@code request}. */
    private void addRequestHandlers(ChannelPipeline p) {
        p.addLast("headers", headers);
        p.addLast("safety", SAFETY);
        p.addLast("aggregator", new BodyAggregator(limits.maxBodyBytes(), refusals));
        p.addLast("pipelining", new PipeliningHandler());
        p.addLast("origin", new BrowserOriginHandler(origins, refusals));
        p.addLast("request", handler);
    }

    private IdleStateHandler idle() {
        return new IdleStateHandler(true, 0, 0, settings.idleTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Adds the HTTP/2 connection handlers at the end of {@code p}. */
    public void addHttp2(ChannelPipeline p) {
        p.addLast("idle", idle());
        p.addLast("h2", Http2FrameCodecBuilder.forServer()
                .initialSettings(Http2Settings.defaultSettings().maxConcurrentStreams(MAX_CONCURRENT_STREAMS))
                .build());
        p.addLast("h2-streams", new Http2MultiplexHandler(http2Streams));
        p.addLast("h2-idle", Http2ConnectionIdle.INSTANCE);
    }

    /**
     * Replaces the HTTP/1.1 handlers around the {@code h2c} sniffer with the HTTP/2 ones, after it; the
     * sniffer then leaves.
     */
    public void switchToHttp2(ChannelPipeline p) {
        for (String name : new String[] {"idle", "head-start", HTTP_CODEC, "access-log", "head-end", "drain", "headers", "safety",
                "aggregator", "pipelining", "origin", "request"}) {
            if (p.get(name) != null) {
                p.remove(name);
            }
        }
        addHttp2(p);
    }

    /** The pipeline of each HTTP/2 stream's child channel. */
    @Sharable
    private final class Http2Streams extends ChannelInitializer<Channel> {
        @Override
        protected void initChannel(Channel ch) {
            if (streams != null) {
                streams.add(ch);
            }
            ChannelPipeline p = ch.pipeline();
            p.addLast("idle", idle());
            if (accessLog) {
                p.addLast("stream-traffic", TrafficCounter.forStream());
            }
            p.addLast("h2-http", new Http2StreamFrameToHttpObjectCodec(true));
            if (accessLog) {
                p.addLast("access-log", new AccessLogHandler(p.get(TrafficCounter.class), true));
            }
            addRequestHandlers(p);
        }
    }
}
