package org.httpfstream.server.connection;

import org.httpfstream.server.HttpFStreamInitializer;
import org.httpfstream.server.ServerStats;
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
 * <p>Without {@link ServerStats} ({@link #forStream()}) it counts only its own totals: on an HTTP/2
 * stream's child channel, before its frame codec, it counts the payload of the DATA frames written (the
 * stream's share of what its connection's counter, which does count into the stats, sees with the frame
 * heads, HPACK and TLS), for {@link AccessLogHandler}'s {@code out}; it counts no connection.
 *
 * <p>Per channel, not sharable; confined to the channel's event loop (handlers write through the event
 * loop, so {@link #sent()} and {@link #received()} are read there).
 */
public final class TrafficCounter extends ChannelDuplexHandler {
    /** Null: a stream's counter, which counts into no stats. */
    private final ServerStats stats;
    private long received;
    private long sent;

    public TrafficCounter(ServerStats stats) {
        this.stats = java.util.Objects.requireNonNull(stats, "stats");
    }

    private TrafficCounter() {
        this.stats = null;
    }

    /** A counter of one HTTP/2 stream's bytes, which counts into no {@link ServerStats}. */
    public static TrafficCounter forStream() {
        return new TrafficCounter();
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
        if (stats != null) {
            stats.connectionOpened();
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (stats != null) {
            stats.connectionClosed();
        }
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        long n = msg instanceof ByteBuf b ? b.readableBytes()
                : stats == null && msg instanceof ByteBufHolder h ? h.content().readableBytes() : 0;
        if (n > 0) {
            received += n;
            if (stats != null) {
                stats.received(n);
            }
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        long n = size(msg);
        if (n > 0) {
            sent += n;
            if (stats != null) {
                stats.sent(n);
            }
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
