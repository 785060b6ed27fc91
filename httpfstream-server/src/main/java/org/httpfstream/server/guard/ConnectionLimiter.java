package org.httpfstream.server.guard;

import org.httpfstream.server.HttpFStreamInitializer;
import org.httpfstream.server.Limits;
import org.httpfstream.server.Refusals;
import org.httpfstream.server.routing.RawResponse;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds the open connections of one server, in total ({@link Limits#maxConnections()}) and per client
 * address ({@link Limits#maxConnectionsPerAddress()}). A connection past either limit is answered at
 * once, before any byte is read, with a {@code 503} and one line saying which limit, and closed; it is
 * counted as {@link Refusals.Reason#CONNECTIONS}. A connection admitted is counted until it closes, so
 * the counts are exact however a connection ends (the pair is {@code channelActive} and {@code
 * channelInactive}, and only connections admitted are given back).
 *
 * <p>First in every connection's pipeline ({@link HttpFStreamInitializer}) and never removed, also
 * not by a WebSocket upgrade.
 *
 * <p>{@link Sharable}, one instance per server. Thread safety: safe for use by every event loop; the
 * counts are a {@link PlaceCounts} (lock-free).
 */
@Sharable
public final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimiter.class);
    /** Seconds a refused client is asked to wait before it tries again. */
    static final int RETRY_AFTER_SECONDS = 5;
    /** Set on an admitted connection: its counts are given back when it closes. */
    private static final AttributeKey<InetAddress> ADMITTED = AttributeKey.valueOf("httpfstream.admitted");
    /** The key of clients whose address is not an IP address (none over TCP; for completeness). */
    private static final InetAddress UNKNOWN = InetAddress.getLoopbackAddress();

    /** Open connections per client address. */
    private final PlaceCounts<InetAddress> open;
    private final Refusals refusals;

    /**
     * @param maxConnections open connections in total; 0 for no limit
     * @param maxPerAddress open connections from one client address; 0 for no limit
     */
    public ConnectionLimiter(int maxConnections, int maxPerAddress, Refusals refusals) {
        this.open = new PlaceCounts<>("maxConnections", maxConnections, "maxPerAddress", maxPerAddress);
        this.refusals = refusals;
    }

    /** Open connections admitted and not yet closed. For tests and diagnostics. */
    public int open() {
        return open.total();
    }

    /** Open connections admitted from {@code address} and not yet closed. For tests and diagnostics. */
    public int open(InetAddress address) {
        return open.of(address);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        InetAddress address = address(ctx.channel().remoteAddress());
        String refused = admit(address);
        if (refused != null) {
            refusals.count(Refusals.Reason.CONNECTIONS);
            LOG.debug("connection from {} refused: {}", address, refused);
            // Answered before the request is read: the client sees why rather than a reset. Written
            // below the HTTP codec, which is not in the pipeline yet when this runs.
            ctx.channel().config().setAutoRead(false);
            ctx.writeAndFlush(RawResponse.closing("503 Service Unavailable", refused, RETRY_AFTER_SECONDS))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.channel().attr(ADMITTED).set(address);
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        InetAddress address = ctx.channel().attr(ADMITTED).getAndSet(null);
        if (address != null) {
            open.release(address);
        }
        super.channelInactive(ctx);
    }

    /** Takes a place for a connection from {@code address}; the reason it is refused, or null. */
    private String admit(InetAddress address) {
        return switch (open.take(address)) {
            case TOTAL_FULL -> "too many connections: the server has " + open.maxTotal() + " open (limit "
                    + open.maxTotal() + ", -max-connections)";
            case KEY_FULL -> "too many connections from " + address.getHostAddress() + ": " + open.maxPerKey()
                    + " open (limit per address, -max-connections-per-address)";
            case TAKEN -> null;
        };
    }

    private static InetAddress address(SocketAddress remote) {
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress();
        }
        return UNKNOWN;
    }
}
