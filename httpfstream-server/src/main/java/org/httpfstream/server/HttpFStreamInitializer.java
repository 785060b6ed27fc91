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
 *   aggregator  HttpObjectAggregator requests are GETs: small bodies only
 *   request     HttpFStreamHandler   routes APPEND / FOLLOW
 * </pre>
 *
 * After a WebSocket upgrade, the handshake swaps the HTTP codec for the WebSocket frame codec, and
 * {@code idle} and {@code request} give way to {@code ws-keepalive} ({@link WebSocketKeepAlive}) and
 * {@code append} ({@link AppendHandler}) or {@code follow} ({@link FollowHandler}).
 */
public final class HttpFStreamInitializer extends ChannelInitializer<Channel> {
    private static final int MAX_REQUEST_BODY = 8 * 1024;

    private final HttpFStreamSettings settings;
    private final HttpFStreamHandler handler;

    public HttpFStreamInitializer(StreamStore store, HttpFStreamSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.handler = new HttpFStreamHandler(store, settings);
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        p.addLast("idle", new IdleStateHandler(true, 0, 0, settings.idleTimeout().toMillis(),
                TimeUnit.MILLISECONDS));
        p.addLast("http", new HttpServerCodec());
        p.addLast("aggregator", new HttpObjectAggregator(MAX_REQUEST_BODY));
        p.addLast("request", handler);
    }
}
