package org.httpfstream.server.viewer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.httpfstream.server.connection.PipeliningHandler;
import org.httpfstream.viewer.StreamSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The body of a {@code ?lines} or {@code ?tail} answer: the SGR prefix, then bytes {@code from} to
 * {@code end} of the stream, read and written {@value #PIECE} bytes at a time, the next piece
 * only once the previous one is written (so a slow reader holds one piece, never the range). Works
 * the same over cleartext, TLS and HTTP/2 streams.
 *
 * <p>Thread safety: confined to the channel's event loop once {@link #send} is called there.
 */
final class RangeBody {
    private static final Logger LOG = LoggerFactory.getLogger(RangeBody.class);
    static final int PIECE = 64 * 1024;

    private final ChannelHandlerContext ctx;
    private final StreamSource file;
    private final long end;
    private final boolean keepAlive;
    private long position;

    private RangeBody(ChannelHandlerContext ctx, StreamSource file, long from, long end, boolean keepAlive) {
        this.ctx = ctx;
        this.file = file;
        this.position = from;
        this.end = end;
        this.keepAlive = keepAlive;
    }

    /**
     * Writes {@code head} (its {@code Content-Length} already set), {@code prefix}, then the range of
     * {@code file}, which it takes over and closes. Call on the event loop, with the channel held
     * ({@link PipeliningHandler#hold}); it releases the channel at the end.
     */
    static void send(ChannelHandlerContext ctx, HttpResponse head, String prefix, StreamSource file, long from,
            long end, boolean keepAlive) {
        ctx.write(head);
        if (!prefix.isEmpty()) {
            ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer(prefix, StandardCharsets.US_ASCII)));
        }
        new RangeBody(ctx, file, from, end, keepAlive).next();
    }

    private void next() {
        if (!ctx.channel().isActive()) {
            close();
            return;
        }
        if (position >= end) {
            close();
            ChannelFuture done = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            if (!keepAlive) {
                done.addListener(ChannelFutureListener.CLOSE);
            }
            PipeliningHandler.release(ctx);
            return;
        }
        int n = (int) Math.min(PIECE, end - position);
        ByteBuf buf = ctx.alloc().buffer(n);
        try {
            while (buf.writerIndex() < n) {
                int read = file.read(position + buf.writerIndex(),
                        buf.nioBuffer(buf.writerIndex(), n - buf.writerIndex()));
                if (read < 0) {
                    throw new IOException("stream shorter than its index says");
                }
                buf.writerIndex(buf.writerIndex() + read);
            }
        } catch (IOException e) {
            buf.release();
            LOG.warn("reading lines failed at byte {}: {}", position, e.toString());
            close();
            ctx.close();
            return;
        }
        position += n;
        ctx.writeAndFlush(new DefaultHttpContent(buf)).addListener(f -> {
            if (f.isSuccess()) {
                next();
            } else {
                close();
            }
        });
    }

    private void close() {
        file.close();
    }
}
