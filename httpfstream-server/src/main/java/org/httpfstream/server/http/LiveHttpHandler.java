package org.httpfstream.server.http;

import org.httpfstream.server.HttpFStreamInitializer;
import org.httpfstream.server.ServerStats;
import org.httpfstream.server.follow.FollowerHandler;
import org.httpfstream.server.Headers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import org.httpfstream.store.Offsets;
import org.httpfstream.store.Follower;

/**
 * A plain-HTTP live read ({@code GET /path?follow}): the raw bytes as HTTP/1.1 chunks, from the start
 * offset until the append session ends; then the last chunk, with the trailer {@code
 * Stream-Next-Offset}, and the connection closes. A read failure aborts the response (the client sees an
 * incomplete chunked body, not an end). Server shutdown ends it with the trailers {@code
 * Stream-Next-Offset} (where to resume) and {@code Stream-Writer-Active: true}: the stream goes on, and
 * only this trailer tells such an end from the stream's own. Per channel, not sharable; see
 * {@link FollowerHandler}.
 *
 * <p>Keep-alives: a raw byte stream has no no-op message, and a zero-length chunk would end it. What
 * HTTP/1.1 does allow is leading zeros in a chunk's size ({@code chunk-size = 1*HEXDIG}): before
 * the response has been silent for a keep-alive interval, the handler sends one {@code '0'}, the
 * start of the next chunk-size line, below the HTTP encoder. The next chunk then reads {@code
 * 0001a\r\n...} (26 bytes) and the end {@code 000\r\n} (the last chunk), so the decision between more
 * data and the end stays open while bytes keep flowing through proxies. curl and Go read at most 16 hex
 * digits per size, and a chunk here has at most 5 ({@code maxMessage} ≤ 64 KiB), so at most {@link
 * #MAX_ZEROS} zeros are sent in a row.
 *
 * <p>A silence longer than that (about 5 minutes) goes on with a chunk extension: the size line
 * becomes {@code …01;k} and each later keep-alive adds a {@code k} to the extension's name, up to
 * {@link #MAX_SIZE_LINE} bytes (Go's line limit is 4096): about 33 hours more. That commits the chunk
 * to one byte: the next byte of the stream goes out alone ({@code \r\nX\r\n}), the rest as usual. If
 * the stream ends first, there is no byte to send, so the response is aborted instead of ended (every
 * byte of the stream was delivered; the client sees the body cut and resumes, if it wants the
 * trailer's offset, with {@code HEAD}). Trading that corner for a read that no proxy's idle timer cuts
 * is the point.
 *
 * <p>Keep-alives are hop-by-hop: a proxy that decodes the chunks and re-chunks the body (nginx does)
 * reads the zeros and the extensions but passes nothing on, so a second proxy behind it sees silence
 * and its idle timeout cuts the response; its client gets an end without the trailer. Clients behind
 * proxies use SSE or WebSocket, or resume from their offset.
 *
 * <p>An HTTP/1.0 request (see {@link LiveResponses}) gets the raw bytes delimited by the end of the
 * connection: no chunks, so no keep-alives and no trailer.

 * <p>On an HTTP/2 stream there is no chunked encoding and no codec named {@code http}: the chunks go out as
 * DATA frames, the end as trailers, and no keep-alive is sent (HTTP/2 has no no-op for a stream's body).
 */
public final class LiveHttpHandler extends FollowerHandler {
    /** Leading zeros sent in a row at most: 16 hex digits (curl's and Go's limit) less 5 for the size. */
    static final int MAX_ZEROS = 11;
    /** The longest chunk-size line sent, without its CRLF: under Go's 4096-byte line limit. */
    static final int MAX_SIZE_LINE = 4000;
    private static final byte[] ZERO = {'0'};
    /** Commits the current size line to one byte and opens a chunk extension named {@code k…}. */
    private static final byte[] ONE_BYTE = {'1', ';', 'k'};
    private static final byte[] EXTENSION = {'k'};
    /** Silence is checked this many times per keep-alive interval. */
    private static final int TICKS = 6;

    /** True for an HTTP/1.0 response: raw bytes until the connection closes. */
    private final boolean closeDelimited;
    /** Confined to the event loop, as every field below. */
    private final KeepAliveTimer keepAlive;
    /** Keep-alive zeros sent since the last chunk: the current chunk-size line's leading zeros. */
    private int zeros;
    /** Bytes of the current size line sent by keep-alives (zeros, then {@code 1;k…}). */
    private int sizeLine;
    /** The current size line says one byte: the stream's next byte must go out alone. */
    private boolean oneByteOwed;

    /**
     * @param maxMessage largest chunk, at most 64 KiB (its size takes at most 5 hex digits)
     * @param keepAliveNanos the longest silence: a keep-alive byte goes out before it has passed
     * @param closeDelimited true if the response has neither chunks nor a length (HTTP/1.0): then no
     *     keep-alives and no trailer
     */
    public LiveHttpHandler(String name, int maxMessage, long keepAliveNanos, boolean closeDelimited) {
        super(name, maxMessage);
        this.closeDelimited = closeDelimited;
        if (maxMessage > 0x10000) {
            throw new IllegalArgumentException("maxMessage > 64 KiB: " + maxMessage);
        }
        if (keepAliveNanos <= 0) {
            throw new IllegalArgumentException("keepAliveNanos <= 0: " + keepAliveNanos);
        }
        this.keepAlive = new KeepAliveTimer(keepAliveNanos, TICKS);
    }

    @Override
    public void start(Follower subscription, long from) {
        // Close-delimited: no keep-alives, a keep-alive byte would be a byte of the body.
        keepAlive.start(context(), () -> closing, closeDelimited ? null : this::keepAlive);
        super.start(subscription, from);
    }

    /** Sends one keep-alive byte; false if the size line is full or the codec is gone. */
    private boolean keepAlive(ChannelHandlerContext ctx) {
        if (sizeLine >= MAX_SIZE_LINE) {
            return false; // the line is full
        }
        ChannelHandlerContext http = ctx.pipeline().context(HttpFStreamInitializer.HTTP_CODEC);
        if (http == null) {
            return false;
        }
        byte[] keepAlive;
        if (oneByteOwed) {
            keepAlive = EXTENSION;
        } else if (zeros < MAX_ZEROS) {
            keepAlive = ZERO;
            zeros++;
        } else {
            keepAlive = ONE_BYTE;
            oneByteOwed = true;
        }
        sizeLine += keepAlive.length;
        // Written through the codec's own context, so it goes out below the encoder, unframed.
        http.writeAndFlush(Unpooled.wrappedBuffer(keepAlive));
        return true;
    }

    @Override
    protected ServerStats.FollowerKind followerKind() {
        return ServerStats.FollowerKind.FOLLOW;
    }

    @Override
    protected String kind() {
        return "http chunked";
    }

    @Override
    protected Object message(ByteBuf payload) {
        zeros = 0;
        sizeLine = 0;
        keepAlive.sent();
        if (oneByteOwed) {
            oneByteOwed = false;
            ChannelHandlerContext http = context().pipeline().context(HttpFStreamInitializer.HTTP_CODEC);
            // The one-byte chunk the size line promised, below the encoder; it is written before the
            // chunk returned here, which the cursor writes next on this event loop.
            ByteBuf first = http.alloc().buffer(5).writeByte('\r').writeByte('\n')
                    .writeByte(payload.readByte()).writeByte('\r').writeByte('\n');
            http.write(first);
        }
        return new DefaultHttpContent(payload); // an empty one encodes to nothing
    }

    @Override
    protected void writeEnd(ChannelHandlerContext ctx, long endPosition) {
        if (oneByteOwed) { // no byte for the one-byte chunk: abort, as the class comment says
            ctx.close();
            return;
        }
        if (closeDelimited) { // the end of the connection is the end of the body
            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        LastHttpContent last = new DefaultLastHttpContent();
        last.trailingHeaders().set(Headers.NEXT_OFFSET, Offsets.format(endPosition));
        ctx.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    protected void writeError(ChannelHandlerContext ctx) {
        ctx.close();
    }

    /**
     * The server is shutting down: the last chunk, with the trailers {@code Stream-Next-Offset} (where to
     * resume) and {@code Stream-Writer-Active: true} (the stream goes on; its real end has no such
     * trailer). If a keep-alive committed the current chunk to one byte, the response is aborted instead,
     * as at the end (the reader resumes from what it counted).
     */
    @Override
    protected void writeGoingAway(ChannelHandlerContext ctx, long position) {
        keepAlive.cancel();
        if (oneByteOwed) {
            ctx.close();
            return;
        }
        LastHttpContent last = new DefaultLastHttpContent();
        last.trailingHeaders().set(Headers.NEXT_OFFSET, Offsets.format(position))
                .set(Headers.WRITER_ACTIVE, "true");
        ctx.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    protected void stopped() {
        keepAlive.cancel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        io.netty.util.ReferenceCountUtil.release(msg); // a pipelined request during a live response
    }
}
