package org.httpfstream.server.ws;

import org.httpfstream.server.ServerStats;
import org.httpfstream.server.follow.FollowerHandler;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.ReferenceCountUtil;

/**
 * A FOLLOW WebSocket: bytes go out as TEXT (default; arbitrary bytes, never UTF-8-checked) or BINARY
 * messages; the end of the append session is Close 1000 after the last byte; a read failure is Close
 * 1011; server shutdown is Close 1001. A Close from the follower is answered (1000, or 1002 for a status
 * code RFC 6455 does not allow, see {@link CloseCodes}) and ends the connection.
 * Per channel, not sharable; see {@link FollowerHandler}.
 */
public final class FollowHandler extends FollowerHandler {
    private final boolean binary;

    public FollowHandler(String name, boolean binary, int maxMessage) {
        super(name, maxMessage);
        this.binary = binary;
    }

    @Override
    protected ServerStats.FollowerKind followerKind() {
        return ServerStats.FollowerKind.WEBSOCKET;
    }

    @Override
    protected String kind() {
        return binary ? "websocket, binary" : "websocket, text";
    }

    @Override
    protected Object message(ByteBuf payload) {
        return binary ? new BinaryWebSocketFrame(payload) : new TextWebSocketFrame(payload);
    }

    @Override
    protected void writeEnd(ChannelHandlerContext ctx, long endPosition) {
        ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE))
                .addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    protected void writeError(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.INTERNAL_SERVER_ERROR,
                "failed to read stream")).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    protected void writeGoingAway(ChannelHandlerContext ctx, long position) {
        ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE,
                "server shutting down")).addListener(ChannelFutureListener.CLOSE);
    }

    /** A frame that breaks a rule (its decoder does not answer it): Close with the rule's status. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof CorruptedWebSocketFrameException bad && !closing && ctx.channel().isActive()) {
            closing = true;
            WebSocketCloseStatus status = CloseCodes.forFailure(bad);
            String reason = String.valueOf(bad.getMessage());
            ctx.writeAndFlush(new CloseWebSocketFrame(status.code(),
                    reason.length() > 100 ? reason.substring(0, 100) : reason))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        super.exceptionCaught(ctx, cause);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof CloseWebSocketFrame close && !closing) { // the follower hung up
                closing = true;
                int code = close.statusCode(); // -1: no status
                CloseWebSocketFrame answer = code == -1 || CloseCodes.isValid(code)
                        ? new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE)
                        : new CloseWebSocketFrame(WebSocketCloseStatus.PROTOCOL_ERROR,
                                "invalid close status code: " + code);
                ctx.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
            }
            // Data frames from a follower mean nothing; they are dropped.
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }
}
