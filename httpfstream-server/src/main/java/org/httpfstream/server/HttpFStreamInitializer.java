package org.httpfstream.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.httpfstream.browser.OriginPolicy;
import org.httpfstream.store.StreamStore;
import org.httpfstream.webhook.WebhookTargets;

/**
 * The whole httpfstream pipeline of one connection. Before an upgrade:
 *
 * <pre>
 *   connections ConnectionLimiter    limits.maxConnections[PerAddress] (else 503 and close)
 *   idle        IdleStateHandler     closes HTTP connections idle for settings.idleTimeout
 *   head-start  RequestTimer.bytes   limits.requestTimeout, then limits.headerTimeout from a head's first byte
 *   http        HttpServerCodec
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
 * After a WebSocket upgrade, the handshake swaps the HTTP codec for the WebSocket frame codec (on an
 * APPEND, the appender's own decoder, {@link AppendFrameDecoder}, in place of Netty's), {@code
 * head-start} and {@code head-end} leave, and {@code idle} and {@code request} give way to {@code
 * ws-keepalive} ({@link WebSocketKeepAlive}) and {@code append} ({@link AppendHandler}) or {@code
 * follow} ({@link FollowHandler}). {@code connections} stays until the connection closes. A WebSocket
 * APPEND by a token with a byte rate also gets {@code append-rate} ({@link AppendRateThrottle}) first in
 * the pipeline; the {@link Authorizer} that {@code request} calls first decides every request.
 */
public final class HttpFStreamInitializer extends ChannelInitializer<Channel> {
    /** The name of the HTTP codec in the pipeline. */
    static final String HTTP_CODEC = "http";

    private final HttpFStreamSettings settings;
    private final Limits limits;
    private final Refusals refusals;
    private final ConnectionLimiter connections;
    private final HttpFStreamHandler handler;
    private final ResponseHeadersHandler headers;
    private final OriginPolicy origins;
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
        this.settings = Objects.requireNonNull(settings, "settings");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.refusals = Objects.requireNonNull(refusals, "refusals");
        this.origins = Objects.requireNonNull(origins, "origins");
        this.connections = new ConnectionLimiter(limits.maxConnections(), limits.maxConnectionsPerAddress(),
                refusals);
        this.handler = new HttpFStreamHandler(store, settings, limits, refusals, authorizer, webhooks);
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
        RequestTimer timer = new RequestTimer(limits.requestTimeout(), limits.headerTimeout(), refusals);
        p.addLast("connections", connections);
        p.addLast("idle", new IdleStateHandler(true, 0, 0, settings.idleTimeout().toMillis(),
                TimeUnit.MILLISECONDS));
        p.addLast("head-start", timer.bytes());
        p.addLast(HTTP_CODEC, new HttpServerCodec());
        p.addLast("head-end", timer.messages());
        p.addLast("drain", new DrainHandler());
        p.addLast("headers", headers);
        p.addLast("safety", SAFETY);
        p.addLast("aggregator", new BodyAggregator(limits.maxBodyBytes(), refusals));
        p.addLast("pipelining", new PipeliningHandler());
        p.addLast("origin", new BrowserOriginHandler(origins, refusals));
        p.addLast("request", handler);
    }
}
