package org.httpfstream.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.httpfstream.store.StreamListener;
import org.httpfstream.store.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A FOLLOW WebSocket: a cursor over the stream's file. It sends everything from its position up to
 * the committed length, as messages of at most {@code maxMessage} bytes, while the channel is
 * writable; it stops when the channel's outbound buffer is full and resumes when it drains, so a
 * follower that stops reading holds at most the high-water mark plus one read block and never slows the
 * appender or other followers. A lagging follower reads older bytes from the file and catches up.
 * When the session has ended and every byte up to its final length is sent, it sends Close 1000.
 *
 * <p>Every byte is sent exactly once: the position only moves forward by what was written, and the
 * committed length is re-read at each step, so notifications that are late or coalesced lose nothing.
 *
 * <p>Per channel, not sharable. All state is confined to the channel's event loop except {@link
 * #onChange()}, which may be called from the appender's thread and only schedules a pump.
 */
final class FollowHandler extends ChannelInboundHandlerAdapter implements StreamListener {
    private static final Logger LOG = LoggerFactory.getLogger(FollowHandler.class);

    /** Bytes read from the file at once; at most this much goes past the channel's high-water mark. */
    static final int READ_BLOCK = 64 * 1024;

    private final String name;
    private final boolean binary;
    private final int maxMessage;
    private final long startNanos = System.nanoTime();
    private final AtomicBoolean pumpScheduled = new AtomicBoolean();
    private volatile ChannelHandlerContext ctx;
    private Subscription subscription;
    private long position;
    private boolean started;
    private boolean closing;

    FollowHandler(String name, boolean binary, int maxMessage) {
        this.name = name;
        this.binary = binary;
        this.maxMessage = maxMessage;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** Starts sending from byte 0 of {@code subscription}; call on the event loop after the handshake. */
    void start(Subscription subscription) {
        this.subscription = subscription;
        this.started = true;
        LOG.info("FOLLOW {} started ({} frames, {} bytes already written)", name,
                binary ? "binary" : "text", subscription.length());
        pump();
    }

    @Override
    public void onChange() {
        ChannelHandlerContext c = ctx;
        if (c != null && pumpScheduled.compareAndSet(false, true)) {
            c.executor().execute(() -> {
                pumpScheduled.set(false);
                pump();
            });
        }
    }

    private void pump() {
        if (!started || closing) {
            return;
        }
        Channel channel = ctx.channel();
        if (!channel.isActive()) {
            return;
        }
        boolean wrote = false;
        try {
            while (channel.isWritable()) {
                boolean ended = subscription.ended(); // before length(): then length() is final
                long end = subscription.length();
                if (position >= end) {
                    if (ended) {
                        finish();
                    }
                    break;
                }
                // One positional read for up to a block, then messages sliced out of it.
                int n = (int) Math.min(Math.max(maxMessage, READ_BLOCK), end - position);
                ByteBuf block = ctx.alloc().ioBuffer(n);
                try {
                    ByteBuffer dst = block.nioBuffer(0, n);
                    while (dst.hasRemaining()) {
                        if (subscription.read(position + dst.position(), dst) < 0) {
                            throw new IOException("file shorter than its committed length");
                        }
                    }
                    block.writerIndex(n);
                    while (block.isReadable()) {
                        ByteBuf payload = block.readRetainedSlice(Math.min(maxMessage, block.readableBytes()));
                        ctx.write(binary ? new BinaryWebSocketFrame(payload) : new TextWebSocketFrame(payload));
                    }
                } finally {
                    block.release();
                }
                position += n;
                wrote = true;
            }
        } catch (IOException e) {
            LOG.error("FOLLOW {}: reading the stream failed", name, e);
            closing = true;
            ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.INTERNAL_SERVER_ERROR,
                    "failed to read stream")).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (wrote) {
            ctx.flush();
        }
    }

    /**
     * The server is shutting down: tells the follower with Close 1001 ("going away"), which is not the
     * end of the stream, and closes. Call on the event loop, before the stream's session is ended.
     */
    void goAway() {
        if (closing || !ctx.channel().isActive()) {
            return;
        }
        closing = true;
        ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE,
                "server shutting down")).addListener(ChannelFutureListener.CLOSE);
    }

    private void finish() {
        closing = true;
        ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE))
                .addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable()) {
            pump();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof CloseWebSocketFrame && !closing) { // the follower hung up
                closing = true;
                ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE))
                        .addListener(ChannelFutureListener.CLOSE);
            }
            // Data frames from a follower mean nothing; they are dropped.
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stop();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("FOLLOW {}: connection failed", name, cause);
        ctx.close();
    }

    private void stop() {
        if (subscription == null) {
            return;
        }
        Subscription s = subscription;
        subscription = null;
        started = false;
        s.close();
        LOG.info("FOLLOW {} ended{}: {} bytes in {} ms", name,
                closing ? "" : " (connection closed early)", position,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
    }
}
