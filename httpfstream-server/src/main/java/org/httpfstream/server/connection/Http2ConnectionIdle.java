package org.httpfstream.server.connection;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * Closes an HTTP/2 connection on which nothing was read or written for the idle timeout ({@code idle} before
 * it) and no stream is open. A connection with open streams stays: a quiet {@code ?follow}, SSE or long-poll
 * stream is as long-lived over HTTP/2 as over HTTP/1.1, and each stream has its own {@code idle} handler
 * for the time before its answer begins.
 *
 * <p>Thread safety: {@link Sharable}; stateless.
 */
@Sharable
public final class Http2ConnectionIdle extends ChannelInboundHandlerAdapter {
    public static final Http2ConnectionIdle INSTANCE = new Http2ConnectionIdle();

    private Http2ConnectionIdle() {}

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            Http2FrameCodec codec = ctx.pipeline().get(Http2FrameCodec.class);
            if (codec == null || codec.connection().numActiveStreams() == 0) {
                ctx.close();
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }
}
