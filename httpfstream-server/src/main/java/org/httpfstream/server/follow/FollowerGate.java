package org.httpfstream.server.follow;

import org.httpfstream.server.Refusals;
import org.httpfstream.server.durable.DurableStreamsHandler;
import org.httpfstream.server.routing.HttpErrors;
import org.httpfstream.server.routing.HttpFStreamHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transport side of {@link FollowerQuota}: admits a live read on a channel, or answers {@code 503
 * Service Unavailable} with {@code Retry-After} and one line, and counts the refusal. Used by {@link
 * HttpFStreamHandler} (WebSocket FOLLOW, {@code ?follow}) and {@link DurableStreamsHandler} (long-poll,
 * SSE), always before any upgrade and before the response starts.
 *
 * <p>Thread safety: holds only thread-safe objects; safe from any event loop.
 */
public final class FollowerGate {
    private static final Logger LOG = LoggerFactory.getLogger(FollowerGate.class);
    /** Seconds a refused reader is asked to wait before it tries again. */
    static final int RETRY_AFTER_SECONDS = 5;

    private final FollowerQuota quota;
    private final Refusals refusals;

    public FollowerGate(FollowerQuota quota, Refusals refusals) {
        this.quota = Objects.requireNonNull(quota, "quota");
        this.refusals = Objects.requireNonNull(refusals, "refusals");
    }

    public FollowerQuota quota() {
        return quota;
    }

    /**
     * A place for a live reader of {@code file} (called {@code name}), or null after answering {@code 503}
     * on {@code ctx}. The caller gives the place back when the read ends.
     */
    public FollowerQuota.Place admit(ChannelHandlerContext ctx, Object file, String name, boolean keepAlive) {
        try {
            return quota.admit(file, name);
        } catch (FollowerQuota.Full e) {
            refusals.count(Refusals.Reason.FOLLOWERS);
            LOG.debug("live read of {} from {} refused: {}", name, ctx.channel().remoteAddress(), e.getMessage());
            FullHttpResponse r = HttpErrors.response(HttpResponseStatus.SERVICE_UNAVAILABLE, e.getMessage());
            r.headers().setInt("Retry-After", RETRY_AFTER_SECONDS);
            if (!keepAlive) {
                r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            ChannelFuture f = ctx.writeAndFlush(r);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
            return null;
        }
    }

    /**
     * As {@link #admit}, for a read that ends with its connection (WebSocket, {@code ?follow}, SSE): the
     * place is given back when the channel closes, however it closes. The caller gives it back itself if
     * the read does not start after all.
     */
    public FollowerQuota.Place admitUntilClosed(ChannelHandlerContext ctx, Object file, String name, boolean keepAlive) {
        FollowerQuota.Place place = admit(ctx, file, name, keepAlive);
        if (place != null) {
            ctx.channel().closeFuture().addListener(f -> place.release());
        }
        return place;
    }
}
