package org.httpfstream.server.ws;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a WebSocket alive and detects a dead peer: pings it every {@code interval}, answers its
 * pings, and swallows its pongs. If {@code timeoutNanos > 0} and the peer has answered a ping before,
 * a silence (no frame of any kind) longer than the timeout closes the connection: the peer is taken
 * for dead. A peer that never answers pings is not judged by this handler; TCP keep-alive covers it.
 *
 * <p>With {@code pingOnlyReaders}, the peer is pinged only once it has shown that it reads, by sending a
 * ping or a pong of its own. Appenders are treated so: the original Go appender never reads, and pings
 * left unread in its socket make its close a reset that discards the data it had not sent yet.
 *
 * <p>Per channel, not sharable; all state is confined to the channel's event loop.
 */
public final class WebSocketKeepAlive extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketKeepAlive.class);

    private final long intervalNanos;
    private final long timeoutNanos;
    private final String what;
    private final boolean pingOnlyReaders;
    private long lastInbound = System.nanoTime();
    private boolean pongSeen;
    private boolean reads;
    private ScheduledFuture<?> ticker;

    public WebSocketKeepAlive(long intervalNanos, long timeoutNanos, boolean pingOnlyReaders, String what) {
        this.intervalNanos = intervalNanos;
        this.timeoutNanos = timeoutNanos;
        this.pingOnlyReaders = pingOnlyReaders;
        this.what = what;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ticker = ctx.executor().scheduleAtFixedRate(
                () -> tick(ctx), intervalNanos, intervalNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        ticker.cancel(false);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        ticker.cancel(false);
        super.channelInactive(ctx);
    }

    private void tick(ChannelHandlerContext ctx) {
        if (!ctx.channel().isActive()) {
            ticker.cancel(false);
            return;
        }
        if (timeoutNanos > 0 && pongSeen && System.nanoTime() - lastInbound > timeoutNanos) {
            LOG.info("{}: no pong or data for {} ms, closing the connection", what,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastInbound));
            ctx.close();
            return;
        }
        if (pingOnlyReaders && !reads) {
            return;
        }
        if (ctx.channel().isWritable()) { // a peer that is not reading has data pending anyway
            ctx.writeAndFlush(new PingWebSocketFrame());
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastInbound = System.nanoTime();
        if (msg instanceof PingWebSocketFrame) {
            reads = true;
            PingWebSocketFrame ping = (PingWebSocketFrame) msg;
            ctx.writeAndFlush(new PongWebSocketFrame(ping.content()));
        } else if (msg instanceof PongWebSocketFrame) {
            pongSeen = true;
            reads = true;
            ((PongWebSocketFrame) msg).release();
        } else {
            ctx.fireChannelRead(msg);
        }
    }
}
