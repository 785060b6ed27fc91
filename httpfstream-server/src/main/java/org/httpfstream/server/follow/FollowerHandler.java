package org.httpfstream.server.follow;

import org.httpfstream.server.ServerStats;
import org.httpfstream.server.http.LiveHttpHandler;
import org.httpfstream.server.http.TailBlocks;
import org.httpfstream.server.ws.FollowHandler;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.httpfstream.store.StreamListener;
import org.httpfstream.store.Follower;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A live reader of a stream, the base of every follower (not to be confused with the Durable Streams
 * {@code Stream-Cursor} token, {@link org.httpfstream.server.durable.StreamCursors}): a position in the
 * stream's file. It sends everything from its position up
 * to the committed length while the channel is writable, as messages of at most {@code maxMessage}
 * bytes; it stops when the channel's outbound buffer is full and resumes when it drains, so a reader
 * that stops reading holds at most the high-water mark plus one read block and never slows the appender
 * or other readers. A lagging reader reads older bytes from the file and catches up. When the session
 * has ended and every byte up to its final length is sent, it ends the response.
 *
 * <p>Every byte is sent exactly once: the position only moves forward by what was written, and the
 * committed length is re-read at each step, so notifications that are late or coalesced lose nothing.
 *
 * <p>Subclasses say how bytes are framed: WebSocket messages ({@link FollowHandler}) or HTTP chunks
 * ({@link LiveHttpHandler}). Per channel, not sharable. All state is confined to the channel's event
 * loop except {@link #onChange()}, which may be called from the appender's thread and only schedules
 * a pump.
 */
public abstract class FollowerHandler extends ChannelInboundHandlerAdapter implements StreamListener, ServerStats.Lagging {
    private static final Logger LOG = LoggerFactory.getLogger(FollowerHandler.class);

    /** Bytes read from the file at once; at most this much goes past the channel's high-water mark. */
    public static final int READ_BLOCK = 64 * 1024;

    protected final String name;
    private final int maxMessage;
    private final long startNanos = System.nanoTime();
    private final AtomicBoolean pumpScheduled = new AtomicBoolean();
    private volatile ChannelHandlerContext ctx;
    private Follower subscription;
    private long startPosition;
    private long position;
    private boolean started;
    /** The server went away before {@link #start}: it ends the response as soon as it starts. */
    private boolean goAwayPending;
    /** True once the end, an error or a going-away was sent: nothing more goes out. */
    protected boolean closing;
    /** Where the counts go; set by {@link #start}. */
    private ServerStats stats;
    /** The subscription while started, for {@link #lag()} from other threads. */
    private volatile Follower lagSource;
    /** {@link #position} as of the end of the last pump, for {@link #lag()} from other threads. */
    private volatile long sentPosition;

    public FollowerHandler(String name, int maxMessage) {
        this.name = name;
        this.maxMessage = maxMessage;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** The handler's context, once added to a pipeline. */
    protected ChannelHandlerContext context() {
        return ctx;
    }

    /** What the log calls this kind of reader. */
    protected abstract String kind();

    /** What the metrics call this kind of reader. */
    protected abstract ServerStats.FollowerKind followerKind();

    /** Wraps {@code payload} (whose reference passes to the message) as one outbound message. */
    protected abstract Object message(ByteBuf payload);

    /** Bytes read from the file at once; at most this much goes past the channel's high-water mark. */
    protected int readBlock() {
        return READ_BLOCK;
    }

    /**
     * How many of the bytes read into {@code block} may be sent now (whole messages only); default all.
     * A subclass that overrides this must also return false from {@link #sharesBlocks()}: a shared block
     * may be shorter than asked for and hold no whole message.
     */
    protected int usable(ByteBuf block) {
        return block.readableBytes();
    }

    /** True if this reader may read blocks shared with other readers ({@link TailBlocks}); default true. */
    protected boolean sharesBlocks() {
        return true;
    }

    /**
     * Writes (without flushing) the bytes of {@code block} from position {@code from}; the block is
     * released by the caller. By default, as messages of at most {@code maxMessage} bytes.
     *
     * @param upToDate true if the block reaches the committed length
     * @param last true if the stream has ended and the block reaches its final length
     */
    protected void writeBlock(ChannelHandlerContext ctx, ByteBuf block, long from, boolean upToDate, boolean last) {
        while (block.isReadable()) {
            ctx.write(message(block.readRetainedSlice(Math.min(maxMessage, block.readableBytes()))));
        }
    }

    /**
     * Called when every committed byte is sent and the stream goes on; returns true if it wrote
     * something to flush. By default nothing.
     */
    protected boolean caughtUp(ChannelHandlerContext ctx, long position) {
        return false;
    }

    /** Ends the response after the last byte at {@code endPosition} and closes as fit. */
    protected abstract void writeEnd(ChannelHandlerContext ctx, long endPosition);

    /** Ends the response because the stream could not be read. */
    protected abstract void writeError(ChannelHandlerContext ctx);

    /**
     * Ends the response because the server is shutting down; it is not the end of the stream. Every byte
     * before {@code position}, and none after, was sent: the reader resumes there.
     */
    protected abstract void writeGoingAway(ChannelHandlerContext ctx, long position);

    /**
     * A listener for the write of the response head (or the WebSocket handshake): once it succeeded,
     * {@link #start starts} this follower at {@code from}; if it failed, closes {@code subscription} and
     * the connection.
     */
    public ChannelFutureListener startWhenWritten(Follower subscription, long from) {
        return f -> {
            if (f.isSuccess()) {
                start(subscription, from);
            } else {
                subscription.close();
                f.channel().close();
            }
        };
    }

    /**
     * Starts sending from byte {@code from} of {@code subscription}. Call on the event loop once the
     * response head has been written.
     */
    public void start(Follower subscription, long from) {
        this.subscription = subscription;
        this.startPosition = from;
        this.position = from;
        this.started = true;
        this.sentPosition = from;
        this.lagSource = subscription;
        this.stats = ServerStats.of(ctx.channel());
        stats.followerStarted(followerKind(), this);
        if (goAwayPending) {
            closing = true;
            writeGoingAway(ctx, position);
            return;
        }
        LOG.info("FOLLOW {} started ({}, from byte {}, {} bytes written so far)", name, kind(), from,
                subscription.length());
        pump();
    }

    @Override
    public void onChange() {
        ChannelHandlerContext c = ctx;
        // A reader whose channel is full is not woken for every append: the channel becoming writable
        // again pumps it, and the pump reads the length then (Channel.isWritable is thread-safe).
        if (c != null && c.channel().isWritable() && pumpScheduled.compareAndSet(false, true)) {
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
                        closing = true;
                        writeEnd(ctx, position);
                        wrote = false;
                    } else {
                        wrote |= caughtUp(ctx, position);
                    }
                    break;
                }
                // One read for up to a block (shared with the other followers of this event loop that
                // are at the same bytes), then messages sliced out of it.
                int n = (int) Math.min(Math.max(maxMessage, readBlock()), end - position);
                ByteBuf block = TailBlocks.read(subscription, sharesBlocks(), ctx.alloc(), position, n);
                int used;
                try {
                    used = usable(block);
                    if (used <= 0) {
                        throw new IOException("no whole message in " + block.readableBytes() + " bytes at "
                                + position);
                    }
                    block.writerIndex(block.readerIndex() + used);
                    writeBlock(ctx, block, position, position + used == end, ended && position + used == end);
                } finally {
                    block.release();
                }
                position += used;
                stats.followed(used);
                wrote = true;
            }
        } catch (IOException e) {
            LOG.error("FOLLOW {}: reading the stream failed", name, e);
            closing = true;
            writeError(ctx);
            return;
        }
        sentPosition = position;
        if (wrote) {
            ctx.flush();
        }
    }

    /** Committed bytes not yet sent to this reader (0 once it has ended). Safe from any thread. */
    @Override
    public long lag() {
        Follower s = lagSource;
        return s == null ? 0 : Math.max(0, s.length() - sentPosition);
    }

    /**
     * The server is shutting down: tells the reader, in a way that is not the end of the stream, where to
     * resume, and closes. Call on the event loop, before the stream's session is ended.
     */
    public void goAway() {
        if (closing || !ctx.channel().isActive()) {
            return;
        }
        if (!started) { // the response head is still on its way: end it once it is out
            goAwayPending = true;
            return;
        }
        closing = true;
        writeGoingAway(ctx, position);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable()) {
            pump();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stop();
        stopped();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
        stopped();
    }

    /**
     * Called once the connection closed or this handler left the pipeline, after the subscription
     * closed: a subclass stops its own timers here. Does nothing by default.
     */
    protected void stopped() {
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
        Follower s = subscription;
        subscription = null;
        lagSource = null;
        started = false;
        stats.followerEnded(followerKind(), this);
        TailBlocks.forget(s.sharingKey());
        s.close();
        LOG.info("FOLLOW {} ended{}: {} bytes in {} ms", name, closing ? "" : " (connection closed early)",
                position - startPosition, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
    }
}
