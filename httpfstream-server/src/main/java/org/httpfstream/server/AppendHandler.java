package org.httpfstream.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.httpfstream.store.AppendSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The appender's side of an APPEND WebSocket: every data frame (TEXT, BINARY or continuation; TEXT
 * payloads are arbitrary bytes and are never checked as UTF-8) is written to the stream in arrival
 * order. The session, and so the writer lease, ends on every way out: a Close frame (answered with
 * Close 1000 once every earlier byte is in the file), the TCP connection closing without a Close
 * frame (the original Go client's normal end: every byte received is kept), an error, a timeout, or
 * server shutdown.
 *
 * <p>Per channel, not sharable; confined to the channel's event loop.
 */
final class AppendHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(AppendHandler.class);

    private final AppendSession session;
    private String endReason = "connection closed";
    private boolean ended;

    AppendHandler(AppendSession session) {
        this.session = session;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame
                    || msg instanceof ContinuationWebSocketFrame) {
                append(ctx, ((WebSocketFrame) msg).content());
            } else if (msg instanceof CloseWebSocketFrame) {
                endReason = "close frame";
                end();
                ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE))
                        .addListener(ChannelFutureListener.CLOSE);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void append(ChannelHandlerContext ctx, ByteBuf content) {
        if (session.ended()) {
            return; // ended by shutdown or error; the channel is closing
        }
        try {
            if (content.nioBufferCount() == 1) {
                session.append(content.nioBuffer());
            } else {
                for (ByteBuffer b : content.nioBuffers()) {
                    session.append(b);
                }
            }
        } catch (IOException e) {
            LOG.error("APPEND {}: writing {} failed", session.name(), session.file(), e);
            endReason = "write failed: " + e;
            end();
            ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.INTERNAL_SERVER_ERROR,
                    "failed to persist data")).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * The server is shutting down: ends the session (every byte received stays) and tells the appender
     * with Close 1001 ("going away"), so it knows its append did not end as it asked. Call on the event
     * loop.
     */
    void goAway(ChannelHandlerContext ctx) {
        if (ended) {
            return;
        }
        endReason = "server shutting down";
        end();
        ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE,
                "server shutting down")).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        end();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        end();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        endReason = "error: " + cause;
        LOG.debug("APPEND {}: connection failed", session.name(), cause);
        end();
        ctx.close();
    }

    private void end() {
        if (ended) {
            return;
        }
        ended = true;
        session.end();
        LOG.info("APPEND {} ended ({}): {} bytes in {} ms", session.name(), endReason,
                session.appended(), TimeUnit.NANOSECONDS.toMillis(session.elapsedNanos()));
    }
}
