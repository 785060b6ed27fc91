package org.httpfstream.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.httpfstream.store.StreamStore;

/**
 * The whole httpfstream pipeline of one connection. Before an upgrade:
 *
 * <pre>
 *   idle        IdleStateHandler     closes HTTP connections idle for settings.idleTimeout
 *   http        HttpServerCodec
 *   headers     ResponseHeadersHandler  security and CORS headers on every response
 *   safety      ContentSafetyHandler sandbox CSP on every response, attachment for active types
 *   aggregator  BodyAggregator       Durable Streams bodies up to settings.maxFrameSize (else 413, close)
 *   pipelining  PipeliningHandler    holds later requests while an answer waits for a group commit
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
    private static final ContentSafetyHandler SAFETY = new ContentSafetyHandler();

    public HttpFStreamInitializer(StreamStore store, HttpFStreamSettings settings) {
        this(store, settings, Limits.defaults(), new Refusals());
    }

    public HttpFStreamInitializer(StreamStore store, HttpFStreamSettings settings, Limits limits,
            Refusals refusals) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.handler = new HttpFStreamHandler(store, settings, limits, refusals);
        this.headers = new ResponseHeadersHandler();
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        p.addLast("idle", new IdleStateHandler(true, 0, 0, settings.idleTimeout().toMillis(),
                TimeUnit.MILLISECONDS));
        p.addLast(HTTP_CODEC, new HttpServerCodec());
        p.addLast("headers", headers);
        p.addLast("safety", SAFETY);
        p.addLast("aggregator", new BodyAggregator(settings.maxFrameSize()));
        p.addLast("pipelining", new PipeliningHandler());
        p.addLast("request", handler);
    }
}
