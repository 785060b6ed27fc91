package org.httpfstream.server;

import org.httpfstream.server.connection.AccessLogHandler;
import org.httpfstream.server.connection.AlpnSelector;
import org.httpfstream.server.connection.DrainHandler;
import org.httpfstream.server.connection.H2cPrefaceSniffer;
import org.httpfstream.server.connection.Http2ConnectionIdle;
import org.httpfstream.server.connection.PipeliningHandler;
import org.httpfstream.server.connection.TlsContexts;
import org.httpfstream.server.connection.TrafficCounter;
import org.httpfstream.server.guard.BodyAggregator;
import org.httpfstream.server.guard.BrowserOriginHandler;
import org.httpfstream.server.guard.ConnectionLimiter;
import org.httpfstream.server.guard.RequestTimer;
import org.httpfstream.server.guard.ResponseHeadersHandler;
import org.httpfstream.server.ws.AppendFrameDecoder;
import org.httpfstream.server.ws.AppendHandler;
import org.httpfstream.server.ws.AppendRateThrottle;
import org.httpfstream.server.ws.FollowHandler;
import org.httpfstream.server.ws.WebSocketKeepAlive;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.httpfstream.store.StreamStore;

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
 *   headers     ResponseHeadersHandler  security and CORS headers, sandbox CSP on every response,
 *                                    attachment for active types
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
 * the pipeline; the {@link org.httpfstream.server.guard.Authorizer} that {@code request} calls first
 * decides every request.
 *
 * <p>Everything the handlers need comes in one {@link ServerContext}, built by the composition root.
 * Thread safety: {@link io.netty.channel.ChannelHandler.Sharable}, as every {@code ChannelInitializer};
 * holds only the immutable context and the thread-safe connection limiter.
 */
public final class HttpFStreamInitializer extends ChannelInitializer<Channel> {
    /** The name of the HTTP codec in the pipeline. */
    public static final String HTTP_CODEC = "http";

    /** Streams one HTTP/2 connection may have open at once. */
    static final int MAX_CONCURRENT_STREAMS = 256;
    private static final ResponseHeadersHandler HEADERS = new ResponseHeadersHandler();

    private final ServerContext context;
    private final ConnectionLimiter connections;
    private final Http2Streams http2Streams = new Http2Streams();

    /**
     * The pipeline over {@code store} with the defaults, to mount into another Netty server; see {@link
     * ServerContext#of}.
     */
    public HttpFStreamInitializer(StreamStore store, HttpFStreamSettings settings) {
        this(ServerContext.of(store, settings));
    }

    /** The pipeline with everything {@code context} holds; the composition root builds it. */
    public HttpFStreamInitializer(ServerContext context) {
        this.context = Objects.requireNonNull(context, "context");
        Limits limits = context.limits();
        this.connections = new ConnectionLimiter(limits.maxConnections(), limits.maxConnectionsPerAddress(),
                context.refusals());
    }

    /** Open connections admitted, in total. For tests and diagnostics. */
    int openConnections() {
        return connections.open();
    }

    /** Live readers admitted and not yet ended, in total. For tests and diagnostics. */
    int liveReaders() {
        return context.router().liveReaders();
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        ch.attr(ServerStats.KEY).set(context.stats());
        p.addLast("traffic", new TrafficCounter(context.stats()));
        p.addLast("connections", connections);
        if (context.tls() != null) {
            p.addLast("tls", context.tls().newHandler(ch.alloc()));
            p.addLast("alpn", new AlpnSelector(this));
            return;
        }
        addHttp1(p, true);
    }

    /** Adds the HTTP/1.1 handlers, from {@code idle} on; with {@code sniff}, {@code h2c} before the codec. */
    public void addHttp1(ChannelPipeline p, boolean sniff) {
        Limits limits = context.limits();
        RequestTimer timer = new RequestTimer(limits.requestTimeout(), limits.headerTimeout(), context.refusals());
        p.addLast("idle", idle());
        p.addLast("head-start", timer.bytes());
        if (sniff) {
            p.addLast("h2c", new H2cPrefaceSniffer(this));
        }
        p.addLast(HTTP_CODEC, new HttpServerCodec());
        if (context.accessLog()) {
            p.addLast("access-log", new AccessLogHandler(p.get(TrafficCounter.class)));
        }
        p.addLast("head-end", timer.messages());
        p.addLast("drain", new DrainHandler());
        addRequestHandlers(p);
    }

    /** The handlers of a request, over HTTP/1.1 or on an HTTP/2 stream: from {@code headers} to {@code request}. */
    private void addRequestHandlers(ChannelPipeline p) {
        p.addLast("headers", HEADERS);
        p.addLast("aggregator", new BodyAggregator(context.limits().maxBodyBytes(), context.refusals()));
        p.addLast("pipelining", new PipeliningHandler());
        p.addLast("origin", new BrowserOriginHandler(context.origins(), context.refusals()));
        p.addLast("request", context.router());
    }

    private IdleStateHandler idle() {
        return new IdleStateHandler(true, 0, 0, context.settings().idleTimeout().toMillis(), TimeUnit.MILLISECONDS);
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
        for (String name : new String[] {"idle", "head-start", HTTP_CODEC, "access-log", "head-end", "drain", "headers",
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
            if (context.streams() != null) {
                context.streams().add(ch);
            }
            ChannelPipeline p = ch.pipeline();
            p.addLast("idle", idle());
            if (context.accessLog()) {
                p.addLast("stream-traffic", TrafficCounter.forStream());
            }
            p.addLast("h2-http", new Http2StreamFrameToHttpObjectCodec(true));
            if (context.accessLog()) {
                p.addLast("access-log", new AccessLogHandler(p.get(TrafficCounter.class), true));
            }
            addRequestHandlers(p);
        }
    }
}
