package org.httpfstream.server;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Aggregates request bodies up to a limit, as {@link HttpObjectAggregator} does, but answers a body
 * past the limit with {@code 413}, one readable line and {@code Connection: close}, and then closes
 * the connection. Netty's aggregator keeps a keep-alive connection open after its {@code 413} and
 * reads and discards the whole declared body, so a client declaring a huge {@code Content-Length}
 * could keep the server reading for as long as it liked. A request that declared {@code Expect:
 * 100-continue} and is refused is closed after Netty's {@code 413} as well.
 *
 * <p>Thread safety: per channel, not sharable (as its superclass); confined to the channel's event loop.
 */
final class BodyAggregator extends HttpObjectAggregator {
    private static final Logger LOG = LoggerFactory.getLogger(BodyAggregator.class);

    BodyAggregator(int maxContentLength) {
        super(maxContentLength, true); // a refused Expect: 100-continue closes too
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        if (!(oversized instanceof HttpRequest request)) {
            ctx.close();
            return;
        }
        LOG.info("{} {} from {} refused: body larger than {} bytes", request.method(), request.uri(),
                ctx.channel().remoteAddress(), maxContentLength());
        FullHttpResponse response = HttpErrors.response(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                "request body larger than " + maxContentLength() + " bytes");
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
}
