package org.httpfstream.server.ws;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.httpfstream.auth.TokenBucket;

/**
 * Holds a WebSocket appender to its token's byte rate by backpressure: the bytes it sends are charged to
 * the token's bucket as they arrive from the socket (frame headers included); a read that puts the
 * bucket in debt is held back until the debt is paid, and meanwhile the connection reads nothing, so
 * the appender's TCP window fills and it slows down. Nothing is refused or lost, and at most one
 * socket read (256 KiB) per appender waits in memory. First in the pipeline.
 *
 * <p>Per channel, not {@code @Sharable}; runs on the channel's event loop only.
 */
public final class AppendRateThrottle extends ChannelInboundHandlerAdapter {
    private final TokenBucket bytes;
    private final LongSupplier nanoTime;
    /** Reads held back, in order. Only the event loop accesses this. */
    private final Queue<Object> held = new ArrayDeque<>();
    private boolean inactive; // Only the event loop accesses this.

    public AppendRateThrottle(TokenBucket bytes, LongSupplier nanoTime) {
        this.bytes = bytes;
        this.nanoTime = nanoTime;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!held.isEmpty()) { // a read that was under way when reading stopped
            held.add(msg);
            return;
        }
        long wait = msg instanceof ByteBuf buf ? bytes.take(buf.readableBytes(), nanoTime.getAsLong()) : 0;
        if (wait == 0) {
            ctx.fireChannelRead(msg);
            return;
        }
        held.add(msg);
        ctx.channel().config().setAutoRead(false);
        ctx.executor().schedule(() -> release(ctx), wait, TimeUnit.NANOSECONDS);
    }

    private void release(ChannelHandlerContext ctx) {
        Object msg;
        while ((msg = held.poll()) != null) {
            ctx.fireChannelRead(msg);
        }
        ctx.fireChannelReadComplete();
        if (inactive) {
            ctx.fireChannelInactive();
        } else {
            ctx.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (held.isEmpty()) {
            ctx.fireChannelReadComplete();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (held.isEmpty()) {
            ctx.fireChannelInactive();
        } else {
            inactive = true; // passed on after the held bytes
        }
    }
}
