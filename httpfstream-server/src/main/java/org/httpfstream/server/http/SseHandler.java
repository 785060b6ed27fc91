package org.httpfstream.server.http;

import org.httpfstream.server.ServerStats;
import org.httpfstream.server.follow.FollowerHandler;
import org.httpfstream.server.durable.StreamCursors;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.httpfstream.json.JsonMessages;
import org.httpfstream.store.Offsets;
import org.httpfstream.store.Follower;

/**
 * A Durable Streams SSE read ({@code GET /path?offset=…&live=sse}): every block of bytes becomes an
 * {@code event: data} (UTF-8 text, one {@code data:} line per line of text; a JSON array of whole
 * messages for JSON streams; base64 for other content types), each followed by an {@code event:
 * control} with {@code streamNextOffset}, {@code streamCursor} and {@code upToDate}. When the stream
 * is closed and every byte is sent, the last control event says {@code streamClosed: true} and the
 * connection closes. The connection is also closed after {@code maxAge} so that caches can collapse
 * readers; clients reconnect from the last offset. Server shutdown ends it the same way, after a last
 * {@code control} event with the offset to resume from. Per channel, not sharable; see
 * {@link FollowerHandler}.
 *
 * <p>Keep-alives: before the response has been silent for {@code keepAlive} (the WebSocket ping
 * interval, 15 s by default; checked three times per interval, so after two thirds of it), it sends
 * the comment {@link #KEEP_ALIVE} ({@code ": keep-alive"} and an empty line), which SSE readers
 * ignore, so that a proxy's idle read timeout (nginx's default is 60 s) does not cut a quiet stream.
 * A comment is a whole SSE block; it only goes out between events.
 */
public final class SseHandler extends FollowerHandler {
    /** How data events are encoded. */
    public enum Encoding { TEXT, JSON, BASE64 }

    private static final int JSON_READ_BLOCK = 32 * 1024 * 1024;
    /** The keep-alive comment: ignored by every SSE reader, and a whole block of the event stream. */
    static final String KEEP_ALIVE = ": keep-alive\n\n";
    /** Silence is checked this many times per keep-alive interval. */
    private static final int TICKS = 3;

    private final Encoding encoding;
    private final String clientCursor;
    private final Duration maxAge;
    /** Confined to the event loop, as every field below. */
    private final KeepAliveTimer keepAlive;
    private boolean controlSent;
    private boolean closedSent;

    /**
     * @param maxAge how long the response lasts at most; then it ends cleanly
     * @param keepAlive the longest silence: a keep-alive comment goes out before it has passed
     */
    public SseHandler(String name, Encoding encoding, String clientCursor, Duration maxAge, Duration keepAlive) {
        super(name, READ_BLOCK);
        if (keepAlive.isNegative() || keepAlive.isZero()) {
            throw new IllegalArgumentException("keepAlive <= 0: " + keepAlive);
        }
        this.encoding = encoding;
        this.clientCursor = clientCursor;
        this.maxAge = maxAge;
        this.keepAlive = new KeepAliveTimer(keepAlive.toNanos(), TICKS);
    }

    @Override
    public void start(Follower subscription, long from) {
        keepAlive.start(context(), () -> closing, this::keepAlive);
        super.start(subscription, from);
    }

    /** Sends one keep-alive comment. */
    private boolean keepAlive(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(new DefaultHttpContent(ctx.alloc().buffer(KEEP_ALIVE.length())
                .writeBytes(KEEP_ALIVE.getBytes(StandardCharsets.US_ASCII))));
        return true;
    }

    @Override
    protected void stopped() {
        keepAlive.cancel();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        super.handlerAdded(ctx);
        ctx.executor().schedule(() -> {
            if (!closing && ctx.channel().isActive()) {
                closing = true;
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
            }
        }, maxAge.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    protected ServerStats.FollowerKind followerKind() {
        return ServerStats.FollowerKind.SSE;
    }

    @Override
    protected String kind() {
        return "sse, " + encoding.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    protected int readBlock() {
        return encoding == Encoding.JSON ? JSON_READ_BLOCK : READ_BLOCK;
    }

    @Override
    protected boolean sharesBlocks() {
        return false;
    }

    @Override
    protected int usable(ByteBuf block) {
        int n = block.readableBytes();
        if (encoding == Encoding.JSON) {
            int i = block.forEachByteDesc(0, n, b -> b != '\n');
            return i + 1; // 0 if no whole message
        }
        if (encoding == Encoding.TEXT) { // do not cut a UTF-8 sequence
            for (int back = 1; back <= Math.min(3, n); back++) {
                int b = block.getByte(n - back) & 0xff;
                if ((b & 0xc0) == 0x80) {
                    continue; // a continuation byte: look further back for the lead
                }
                int len = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
                return len > back && n - back > 0 ? n - back : n;
            }
        }
        return n;
    }

    @Override
    protected Object message(ByteBuf payload) {
        return new DefaultHttpContent(payload);
    }

    @Override
    protected void writeBlock(ChannelHandlerContext ctx, ByteBuf block, long from, boolean upToDate, boolean last) {
        StringBuilder sb = new StringBuilder(block.readableBytes() + 128).append("event: data\n");
        switch (encoding) {
            case JSON -> {
                byte[] lines = ByteBufUtil.getBytes(block);
                sb.append("data:").append(new String(JsonMessages.toArray(lines), StandardCharsets.UTF_8))
                        .append('\n');
            }
            case BASE64 -> sb.append("data:")
                    .append(Base64.getEncoder().encodeToString(ByteBufUtil.getBytes(block))).append('\n');
            default -> {
                String text = block.toString(StandardCharsets.UTF_8);
                for (String line : text.split("\r\n|\r|\n", -1)) {
                    // A reader drops one space after "data:": keep a line's own leading space.
                    sb.append(line.startsWith(" ") ? "data: " : "data:").append(line).append('\n');
                }
            }
        }
        sb.append('\n');
        long next = from + block.readableBytes();
        block.skipBytes(block.readableBytes());
        control(sb, next, upToDate, last);
        keepAlive.sent();
        ctx.write(new DefaultHttpContent(ctx.alloc().buffer().writeBytes(sb.toString().getBytes(StandardCharsets.UTF_8))));
    }

    @Override
    protected boolean caughtUp(ChannelHandlerContext ctx, long position) {
        if (controlSent) {
            return false;
        }
        StringBuilder sb = new StringBuilder();
        control(sb, position, true, false);
        keepAlive.sent();
        ctx.write(new DefaultHttpContent(ctx.alloc().buffer().writeBytes(sb.toString().getBytes(StandardCharsets.UTF_8))));
        return true;
    }

    private void control(StringBuilder sb, long next, boolean upToDate, boolean closed) {
        sb.append("event: control\ndata:{\"streamNextOffset\":\"").append(Offsets.format(next)).append('"');
        if (closed) {
            sb.append(",\"streamClosed\":true,\"upToDate\":true");
            closedSent = true;
        } else {
            sb.append(",\"streamCursor\":\"").append(StreamCursors.next(clientCursor, System.currentTimeMillis()))
                    .append('"');
            if (upToDate) {
                sb.append(",\"upToDate\":true");
            }
        }
        sb.append("}\n\n");
        controlSent = true;
    }

    @Override
    protected void writeEnd(ChannelHandlerContext ctx, long endPosition) {
        if (!closedSent) {
            StringBuilder sb = new StringBuilder();
            control(sb, endPosition, true, true);
            ctx.write(new DefaultHttpContent(ctx.alloc().buffer().writeBytes(sb.toString().getBytes(StandardCharsets.UTF_8))));
        }
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    protected void writeError(ChannelHandlerContext ctx) {
        ctx.close();
    }

    /**
     * The server is shutting down: a last {@code control} event with {@code streamNextOffset} (where to
     * resume) and {@code streamCursor}, not {@code streamClosed}, then the end of the response, as when
     * {@code maxAge} has passed: the reader reconnects from that offset.
     */
    @Override
    protected void writeGoingAway(ChannelHandlerContext ctx, long position) {
        StringBuilder sb = new StringBuilder();
        control(sb, position, false, false);
        ctx.write(new DefaultHttpContent(ctx.alloc().buffer().writeBytes(sb.toString().getBytes(StandardCharsets.UTF_8))));
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg); // a pipelined request during a live response
    }
}
