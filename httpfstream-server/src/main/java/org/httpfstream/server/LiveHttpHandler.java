package org.httpfstream.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import org.httpfstream.store.Offsets;

/**
 * A plain-HTTP live read ({@code GET /path?follow}): the raw bytes as HTTP/1.1 chunks, from the start
 * offset until the append session ends; then the last chunk, with the trailer {@code
 * Stream-Next-Offset}, and the connection closes. A read failure or server shutdown aborts the
 * response (the client sees an incomplete chunked body, not an end). Per channel, not sharable; see
 * {@link CursorHandler}.
 */
final class LiveHttpHandler extends CursorHandler {

    LiveHttpHandler(String name, int maxMessage) {
        super(name, maxMessage);
    }

    @Override
    String kind() {
        return "http chunked";
    }

    @Override
    Object message(ByteBuf payload) {
        return new DefaultHttpContent(payload);
    }

    @Override
    void writeEnd(ChannelHandlerContext ctx, long endPosition) {
        LastHttpContent last = new DefaultLastHttpContent();
        last.trailingHeaders().set(HttpFStreamHandler.NEXT_OFFSET, Offsets.format(endPosition));
        ctx.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    void writeError(ChannelHandlerContext ctx) {
        ctx.close();
    }

    @Override
    void writeGoingAway(ChannelHandlerContext ctx) {
        ctx.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        io.netty.util.ReferenceCountUtil.release(msg); // a pipelined request during a live response
    }
}
