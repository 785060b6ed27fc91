package org.httpfstream.server.guard;

import org.httpfstream.server.HttpFStreamSettings;
import org.httpfstream.server.Limits;
import org.httpfstream.server.Refusals;
import org.httpfstream.server.routing.HttpErrors;
import static io.netty.handler.codec.http.HttpHeaderNames.CONNECTION;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gathers a request and its body into one {@link io.netty.handler.codec.http.FullHttpRequest}, up to
 * {@link Limits#maxBodyBytes()}. A body past it, declared by {@code Content-Length} or found out while
 * a chunked body arrives, gets {@code 413 Content Too Large} with one line naming the limit, and the
 * connection is closed rather than read to the end (counted as {@link Refusals.Reason#BODY_SIZE});
 * with {@code Expect: 100-continue}, before the client sends any of it (Netty's own aggregator would
 * answer a bare {@code 417} there). WebSocket messages are not bounded here but by {@link
 * HttpFStreamSettings#maxFrameSize()}.
 *
 * <p>Per channel, not sharable (a {@link HttpObjectAggregator}). Thread safety: confined to the
 * channel's event loop; the {@link Refusals} it counts in is thread-safe.
 */
public final class BodyAggregator extends HttpObjectAggregator {
    private static final Logger LOG = LoggerFactory.getLogger(BodyAggregator.class);

    private final Refusals refusals;

    /** @param maxBodyBytes largest body; 0 or more than 2 GiB - 1 mean 2 GiB - 1 */
    public BodyAggregator(long maxBodyBytes, Refusals refusals) {
        super(maxContentLength(maxBodyBytes));
        this.refusals = refusals;
    }

    /** What the aggregator can take for {@code maxBodyBytes} (0: no limit, i.e. all it can hold). */
    static int maxContentLength(long maxBodyBytes) {
        return maxBodyBytes <= 0 || maxBodyBytes > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) maxBodyBytes;
    }

    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        if (HttpUtil.is100ContinueExpected(start) && isContentLengthInvalid(start, maxContentLength)) {
            return null; // then the declared length is found too large: handleOversizedMessage answers 413
        }
        return super.newContinueResponse(start, maxContentLength, pipeline);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
        if (!(oversized instanceof HttpRequest request)) {
            super.handleOversizedMessage(ctx, oversized);
            return;
        }
        refusals.count(Refusals.Reason.BODY_SIZE);
        long declared = HttpUtil.getContentLength(oversized, -1L);
        LOG.info("{} {} from {} refused: body of {} bytes, more than {} (-max-body-size)", request.method(),
                request.uri(), ctx.channel().remoteAddress(), declared < 0 ? "more than the limit" : declared,
                maxContentLength());
        FullHttpResponse r = HttpErrors.response(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                "request body too large: " + (declared < 0 ? "more than " + maxContentLength() : declared)
                        + " bytes, the limit is " + maxContentLength() + " (-max-body-size)");
        r.headers().set(CONNECTION, HttpHeaderValues.CLOSE);
        ctx.channel().config().setAutoRead(false);
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }
}
