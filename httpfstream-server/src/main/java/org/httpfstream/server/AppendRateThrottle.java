package org.httpfstream.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.httpfstream.auth.TokenBucket;

/**
 * Holds a WebSocket appender to its token's byte rate by backpressure: the bytes it received are
 * charged to the token's bucket as they arrive (frame headers included), and while the bucket is in
 * debt the connection stops reading, so the appender's TCP window fills and it slows down. Nothing is
 * refused or lost. First in the pipeline, so it sees the bytes as they come from the socket.
 *
 * <p>Per channel, not {@code @Sharable}; runs on the channel's event loop only.
 */
final class AppendRateThrottle extends ChannelInboundHandlerAdapter {
    private final TokenBucket bytes;
    private final LongSupplier nanoTime;
    private boolean paused; // Only the event loop accesses this.

    AppendRateThrottle(TokenBucket bytes, LongSupplier nanoTime) {
        this.bytes = bytes;
        this.nanoTime = nanoTime;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf && buf.readableBytes() > 0) {
            long wait = bytes.take(buf.readableBytes(), nanoTime.getAsLong());
            if (wait > 0 && !paused) {
                paused = true;
                ctx.channel().config().setAutoRead(false);
                ctx.executor().schedule(() -> {
                    paused = false;
                    ctx.channel().config().setAutoRead(true);
                }, wait, TimeUnit.NANOSECONDS);
            }
        }
        ctx.fireChannelRead(msg);
    }
}
