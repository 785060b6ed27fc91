package org.httpfstream.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObjectAggregator;
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
 *   aggregator  HttpObjectAggregator Durable Streams bodies up to settings.maxFrameSize (else 413)
 *   pipelining  PipeliningHandler    holds later requests while an answer waits for a group commit
 *   request     HttpFStreamHandler   routes APPEND / FOLLOW and the Durable Streams requests
 * </pre>
 *
 * After a WebSocket upgrade, the handshake swaps the HTTP codec for the WebSocket frame codec (on an
 * APPEND, the appender's own decoder, {@link AppendFrameDecoder}, in place of Netty's), and {@code idle}
 * and {@code request} give way to {@code ws-keepalive} ({@link WebSocketKeepAlive}) and {@code append}
 * ({@link AppendHandler}) or {@code follow} ({@link FollowHandler}). A WebSocket APPEND by a token with a
 * byte rate also gets {@code append-rate} ({@link AppendRateThrottle}) first in the pipeline; the
 * {@link Authorizer} that {@code request} calls first decides every request.
 */
public final class HttpFStreamInitializer extends ChannelInitializer<Channel> {
    /** The name of the HTTP codec in the pipeline. */
    static final String HTTP_CODEC = "http";

    private final HttpFStreamSettings settings;
    private final HttpFStreamHandler handler;
    private final ResponseHeadersHandler headers;

    public HttpFStreamInitializer(StreamStore store, HttpFStreamSettings settings) {
        this(store, settings, Limits.defaults(), new Refusals());
    }

    public HttpFStreamInitializer(StreamStore store, HttpFStreamSettings settings, Limits limits,
            Refusals refusals) {
        this(store, settings, limits, refusals, Authorizer.open(refusals));
    }

    public HttpFStreamInitializer(StreamStore store, HttpFStreamSettings settings, Limits limits,
            Refusals refusals, Authorizer authorizer) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.handler = new HttpFStreamHandler(store, settings, limits, refusals, authorizer);
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
        p.addLast("request", handler);
    }
}
