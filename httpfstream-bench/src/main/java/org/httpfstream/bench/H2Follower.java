package org.httpfstream.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * A reader of a stream over HTTP/2: one stream (a child channel of an {@link H2Connections} connection)
 * that sends a GET of its path ({@code ?follow} for a fan-out follower, the plain path for a catch-up
 * read), reads the {@code :status}, then counts the DATA frames' bytes and keeps their CRC32C, computed in
 * place, until the end of the stream (a DATA frame or the trailers with END_STREAM). A reset, or the
 * stream's channel closing before the end, is an error. Each DATA frame is released as soon as it is
 * counted, so the child channel gives the window back to the server as fast as it reads.
 *
 * <p>Per stream; confined to its connection's event loop. Results are safe to read once the cohort has
 * finished.
 */
final class H2Follower extends ChannelInboundHandlerAdapter implements Receiver {
    private final Cohort cohort;
    private final int id;
    private final String path;
    private final ReceivedBytes received = new ReceivedBytes();
    private Channel channel;
    private int status = -1;
    private boolean ended;
    private boolean settled;
    private volatile boolean finished;
    private String error;

    /**
     * @param path request path with its query, starting with '/'
     */
    H2Follower(Cohort cohort, int id, String path) {
        this.cohort = cohort;
        this.id = id;
        this.path = path;
    }

    /** The request path, with its query. */
    String path() {
        return path;
    }

    /** The response's status, or -1 before it came. */
    int status() {
        return status;
    }

    @Override
    public ReceivedBytes received() {
        return received;
    }

    /** True once the stream has ended or failed and the cohort has counted it. */
    boolean isFinished() {
        return finished;
    }

    /** The first thing that went wrong, or null. */
    String error() {
        return error;
    }

    String describe() {
        Channel ch = channel;
        return cohort.name() + " " + id + " (h2): status " + status + ", " + received.count() + " bytes, ended "
                + ended + ", channel " + (ch == null ? "none" : ch.isActive() ? "active" : "closed")
                + (error == null ? "" : ", error " + error);
    }

    /** The stream could not be opened (or its connection could not be made). */
    void openFailed(Throwable cause) {
        fail("stream not opened: " + cause);
        finish();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof Http2HeadersFrame h) {
                if (status < 0) {
                    CharSequence s = h.headers().status();
                    try {
                        status = s == null ? 0 : Integer.parseInt(s.toString());
                    } catch (NumberFormatException e) {
                        status = 0;
                    }
                    if (status != 200 && status != 206) {
                        fail("HTTP " + s);
                        return;
                    }
                    settle();
                }
                if (h.isEndStream()) {
                    end(ctx);
                }
            } else if (msg instanceof Http2DataFrame d) {
                ByteBuf b = d.content();
                int n = b.readableBytes();
                if (n > 0) {
                    received.add(b, b.readerIndex(), n);
                }
                if (d.isEndStream()) {
                    end(ctx);
                }
            } else if (msg instanceof Http2ResetFrame r) {
                fail("stream reset: error code " + r.errorCode());
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void end(ChannelHandlerContext ctx) {
        ended = true;
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (!ended) {
            fail("stream closed before its end (status " + status + ", " + received.count() + " bytes)");
        }
        finish();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail("stream failed: " + cause);
    }

    private void settle() {
        if (!settled) {
            settled = true;
            cohort.opened();
        }
    }

    private void finish() {
        settle();
        if (!finished) {
            finished = true;
            cohort.finished();
        }
    }

    private void fail(String message) {
        if (error == null) {
            error = message;
            report(message);
        }
        settle();
        if (channel != null) {
            channel.close();
        }
    }

    @Override
    public void report(String problem) {
        cohort.error(cohort.name() + " " + id + " (h2): " + problem);
    }

    /**
     * Checks what this reader received: the status, that the stream ended, the byte count and the
     * checksum. Reports a mismatch to the cohort and returns false.
     */
    @Override
    public boolean verify(int expectedStatus, long expectedBytes, long expectedCrc) {
        if (error != null) {
            return false;
        }
        return passes(status != expectedStatus ? "status " + status + ", expected " + expectedStatus
                : !ended ? "the stream did not end"
                : bytesProblem(expectedBytes, expectedCrc));
    }
}
