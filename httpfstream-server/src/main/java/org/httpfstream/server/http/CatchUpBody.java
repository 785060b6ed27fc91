package org.httpfstream.server.http;

import org.httpfstream.server.Transport;
import org.httpfstream.server.connection.PipeliningHandler;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.nio.channels.FileChannel;
import org.httpfstream.store.Follower;
import org.httpfstream.durable.DurableStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the body of a catch-up read from the stream's file without holding it: the bytes of a byte
 * stream zero-copy as one {@link DefaultFileRegion} on a cleartext HTTP/1.1 connection; on a TLS
 * connection (which must encrypt the bytes) or an HTTP/2 stream (which frames them) read in pieces
 * of {@link #PIECE} bytes into pooled buffers, a piece only while the channel is writable, as below (over
 * HTTP/2 a channel is writable while its stream's flow-control window is open, so a stalled stream
 * stops only itself); a JSON stream's stored lines as
 * a JSON array, read and rewritten in pieces of {@link #PIECE} bytes ({@code [}, each line end but the
 * last becomes {@code ,}, the last becomes {@code ]}), a piece only while the channel is writable, so
 * a reader that reads slowly holds at most the channel's high-water mark plus a piece. While a JSON
 * body goes out, later requests on the connection are held back ({@link PipeliningHandler}), so their
 * answers cannot come between its pieces.
 *
 * <p>Thread safety: one instance per response, confined to the channel's event loop. A read failure or a closed connection ends
 * the response early (the client sees a body shorter than its {@code Content-Length}); the file is
 * closed on every way out.
 */
public final class CatchUpBody {
    private static final Logger LOG = LoggerFactory.getLogger(CatchUpBody.class);
    /** Bytes of the file read and written at once for a JSON body. */
    static final int PIECE = 64 * 1024;

    private final ChannelHandlerContext ctx;
    /** Reads the bytes; {@code file} if there is one, else the store's reads. */
    private final Follower.Reader reader;
    /** Closed on every way out; null for a store without files. */
    private final FileChannel file;
    private final long end;
    private final boolean keepAlive;
    /** True: rewrite the lines as a JSON array; false: the bytes as they are. */
    private final boolean json;
    private long position;
    /** True until the first piece (of a JSON array, which opens with {@code [}) is out. */
    private boolean first;

    private CatchUpBody(ChannelHandlerContext ctx, FileChannel file, Follower.Reader reader, long from, long end,
            boolean json, boolean keepAlive) {
        this.ctx = ctx;
        this.file = file;
        this.reader = reader;
        this.position = from;
        this.end = end;
        this.json = json;
        this.first = json;
        this.keepAlive = keepAlive;
    }

    /**
     * Writes {@code head} (whose {@code Content-Length} must be {@code end - from}) and then the bytes
     * {@code from} to {@code end} that {@code reader} reads, in pieces as the channel takes them; takes
     * over {@code file} (closed on every way out; null for a store without files). For channels where
     * {@link Transport#zeroCopy} is false, or streams not in a file.
     */
    static void sendBytes(ChannelHandlerContext ctx, HttpResponse head, FileChannel file, Follower.Reader reader,
            long from, long end, boolean keepAlive) {
        PipeliningHandler.hold(ctx);
        ctx.write(head);
        new CatchUpBody(ctx, file, reader, from, end, false, keepAlive).pump();
    }

    /** The body's length: the extent's bytes, or for JSON the array they make. */
    public static long length(DurableStreams.Extent extent, boolean json) {
        if (!json) {
            return extent.length();
        }
        return extent.length() == 0 ? 2 : extent.length() + 1; // '[' + lines less the last '\n' + ']'
    }

    /**
     * Writes {@code head} (whose {@code Content-Length} must be {@link #length}) and then the body; takes
     * over the extent's file channel.
     */
    public static void send(ChannelHandlerContext ctx, HttpResponse head, DurableStreams.Extent extent, boolean json,
            boolean keepAlive) {
        if (json || extent.channel() == null || !Transport.zeroCopy(ctx.channel())) {
            PipeliningHandler.hold(ctx);
            ctx.write(head);
            new CatchUpBody(ctx, extent.channel(), extent::read, extent.from(), extent.next(), json, keepAlive).pump();
            return;
        }
        ctx.write(head);
        if (extent.length() > 0) {
            ctx.write(new DefaultFileRegion(extent.channel(), extent.from(), extent.length())); // closes it
        } else {
            closeQuietly(extent.channel());
        }
        ChannelFuture done = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        if (!keepAlive) {
            done.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Writes pieces while the channel takes them; resumes when the last one has gone out. */
    private void pump() {
        ChannelFuture last = null;
        try {
            while (ctx.channel().isActive()) {
                if (last != null && !ctx.channel().isWritable()) {
                    ctx.flush();
                    last.addListener(f -> {
                        if (f.isSuccess()) {
                            ctx.executor().execute(this::pump); // not nested: a long body would recurse
                        } else {
                            closeQuietly(file);
                        }
                    });
                    return;
                }
                if (position >= end && !first) { // a JSON body has at least its "[]"
                    finish();
                    return;
                }
                last = ctx.write(new DefaultHttpContent(piece()));
            }
            closeQuietly(file); // the connection went away
        } catch (IOException e) {
            LOG.warn("catch-up read failed after {} bytes: {}", position, e.toString());
            closeQuietly(file);
            ctx.close();
        }
    }

    /** The next piece of the array: {@code [} first, line ends as commas, {@code ]} last. */
    private ByteBuf piece() throws IOException {
        int n = (int) Math.min(PIECE, end - position);
        ByteBuf buf = ctx.alloc().buffer(n + 2);
        try {
            if (first) {
                buf.writeByte('[');
                first = false;
            }
            int start = buf.writerIndex();
            while (buf.writerIndex() - start < n) {
                int done = buf.writerIndex() - start;
                int read = reader.read(position + done, buf.nioBuffer(buf.writerIndex(), n - done));
                if (read < 0) {
                    throw new IOException("stream shorter than its committed length");
                }
                buf.writerIndex(buf.writerIndex() + read);
            }
            position += n;
            if (!json) {
                return buf;
            }
            for (int i = start; i < start + n; i++) {
                if (buf.getByte(i) == '\n') {
                    buf.setByte(i, ',');
                }
            }
            if (position >= end) {
                if (n > 0) {
                    buf.writerIndex(buf.writerIndex() - 1); // the last line's end: no comma after it
                }
                buf.writeByte(']');
            }
            return buf;
        } catch (IOException | RuntimeException e) {
            buf.release();
            throw e;
        }
    }

    private void finish() {
        closeQuietly(file);
        ChannelFuture done = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        if (!keepAlive) {
            done.addListener(ChannelFutureListener.CLOSE);
        }
        PipeliningHandler.release(ctx);
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing a stream's file failed", e);
        }
    }
}
