package org.httpfstream.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObjectAggregator;
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
 *   idle        IdleStateHandler     closes HTTP connections idle for settings.idleTimeout
 *   http        HttpServerCodec
 *   headers     ResponseHeadersHandler  security and CORS headers on every response
 *   aggregator  HttpObjectAggregator Durable Streams bodies up to settings.maxFrameSize (else 413)
 *   pipelining  PipeliningHandler    holds later requests while an answer waits for a group commit
 *   origin      BrowserOriginHandler refuses writes from disallowed browser origins; CORS answers
 *   request     HttpFStreamHandler   routes APPEND / FOLLOW and the Durable Streams requests
 * </pre>
 *
 * After a WebSocket upgrade, the handshake swaps the HTTP codec for the WebSocket frame codec (on an
 * APPEND, the appender's own decoder, {@link AppendFrameDecoder}, in place of Netty's), and {@code idle}
 * and {@code request} give way to {@code ws-keepalive} ({@link WebSocketKeepAlive}) and {@code append}
 * ({@link AppendHandler}) or {@code follow} ({@link FollowHandler}).
 */
public final class HttpFStreamInitializer extends ChannelInitializer<Channel> {
    /** The name of the HTTP codec in the pipeline. */
    static final String HTTP_CODEC = "http";

    private final HttpFStreamSettings settings;
    private final HttpFStreamHandler handler;
    private final ResponseHeadersHandler headers;
    private final OriginPolicy origins;
    private final Refusals refusals;

    public HttpFStreamInitializer(StreamStore store, HttpFStreamSettings settings) {
        this(store, settings, Limits.defaults(), new Refusals());
    }

    public HttpFStreamInitializer(StreamStore store, HttpFStreamSettings settings, Limits limits,
            Refusals refusals) {
        this(store, settings, limits, refusals, OriginPolicy.sameOriginOnly(), WebhookTargets.publicOnly());
    }

    /**
     * As the four-argument form; {@code origins} says which browser pages may write, {@code webhooks}
     * where subscription webhooks may be sent.
     */
    public HttpFStreamInitializer(StreamStore store, HttpFStreamSettings settings, Limits limits,
            Refusals refusals, OriginPolicy origins, WebhookTargets webhooks) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.refusals = Objects.requireNonNull(refusals, "refusals");
        this.origins = Objects.requireNonNull(origins, "origins");
        this.handler = new HttpFStreamHandler(store, settings, limits, refusals, webhooks);
        this.headers = new ResponseHeadersHandler();
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        p.addLast("idle", new IdleStateHandler(true, 0, 0, settings.idleTimeout().toMillis(),
                TimeUnit.MILLISECONDS));
        p.addLast(HTTP_CODEC, new HttpServerCodec());
        p.addLast("headers", headers);
        p.addLast("aggregator", new HttpObjectAggregator(settings.maxFrameSize()));
        p.addLast("pipelining", new PipeliningHandler());
        p.addLast("origin", new BrowserOriginHandler(origins, refusals));
        p.addLast("request", handler);
    }
}
