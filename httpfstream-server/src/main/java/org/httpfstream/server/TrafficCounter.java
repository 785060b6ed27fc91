package org.httpfstream.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;

/**
 * Counts a connection's bytes on the wire, both ways, into its own totals (which {@link AccessLogHandler}
 * reads for its lines) and into the server's {@link ServerStats}; counts the connection as accepted and
 * open. First in every connection's pipeline ({@link HttpFStreamInitializer}), so it sees every byte
 * read and every byte written, also what other handlers write below the HTTP codec; never removed. A
 * written message counts when it is written (queued), not when the socket has taken it. Costs two
 * additions per message, none per byte.
 *
 * <p>Per channel, not sharable; confined to the channel's event loop (handlers write through the event
 * loop, so {@link #sent()} and {@link #received()} are read there).
 */
final class TrafficCounter extends ChannelDuplexHandler {
    private final ServerStats stats;
    private long received;
    private long sent;

    TrafficCounter(ServerStats stats) {
        this.stats = stats;
    }

    /** Bytes read on this connection so far. */
    long received() {
        return received;
    }

    /** Bytes written on this connection so far. */
    long sent() {
        return sent;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        stats.connectionOpened();
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stats.connectionClosed();
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof ByteBuf b) {
            received += b.readableBytes();
            stats.received(b.readableBytes());
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        long n = size(msg);
        if (n > 0) {
            sent += n;
            stats.sent(n);
        }
        super.write(ctx, msg, promise);
    }

    private static long size(Object msg) {
        if (msg instanceof ByteBuf b) {
            return b.readableBytes();
        }
        if (msg instanceof FileRegion r) {
            return r.count() - r.transferred();
        }
        if (msg instanceof ByteBufHolder h) {
            return h.content().readableBytes();
        }
        return 0;
    }
}
