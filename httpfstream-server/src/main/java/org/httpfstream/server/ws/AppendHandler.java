package org.httpfstream.server.ws;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.httpfstream.store.Follower;
import org.httpfstream.store.InsufficientStorageException;
import org.httpfstream.store.Offsets;
import org.httpfstream.store.SessionLease;
import org.httpfstream.store.StreamTooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The appender's side of an APPEND WebSocket: the payload bytes of its data frames (TEXT, BINARY or
 * continuation; TEXT payloads are arbitrary bytes and are never checked as UTF-8), which {@link
 * AppendFrameDecoder} passes on as plain {@link ByteBuf}s, are written to the stream in arrival order.
 * What one socket read brought is written together, with one gathering write and one notification of
 * the followers, when the read is complete (or at {@link #MAX_PENDING} bytes). The session, and so the
 * writer lease, ends on every way out: a Close frame (answered with Close 1000 once every earlier byte
 * is in the file), the TCP connection closing without a Close frame (the original Go client's normal
 * end: every byte received is kept), an error (a broken frame rule included), a timeout, or server
 * shutdown.
 *
 * <p>A refused append ends the session with a Close frame that says why, after every earlier byte: a
 * stream past its size limit with 1009 ("message too big"), a full disk or another failed write with
 * 1011; nothing of the refused bytes is kept (the store cuts them off).
 *
 * <p>The bytes go to the stream's {@link SessionLease}, whatever store keeps it. Nothing here waits for
 * bytes to be committed: with the file store's fsync the group commit syncs them and publishes them to
 * followers (an engine with asynchronous appends publishes them on acknowledgement), and the Close 1000
 * that answers a Close frame goes out only once every byte of the session is committed (Close 1011 if
 * that failed).
 *
 * <p>An appender that asked for them ({@code Stream-Append-Acks: true}) is told which bytes are
 * committed: after the handshake, a TEXT message with the stream's committed length as an offset token
 * (16 hexadecimal digits) whenever it has grown, coalesced (several commits may give one message). A
 * resuming appender keeps every byte past the last length it was told and may drop the rest. The
 * original clients never ask, and never get such a message.
 *
 * <p>Per channel, not sharable; confined to the channel's event loop, but for {@code reportScheduled},
 * set by the session's listener on the store's thread.
 */
public final class AppendHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(AppendHandler.class);

    /** Frames received but not yet written are written together at this many bytes at the latest. */
    static final int MAX_PENDING = 1024 * 1024;

    private final SessionLease session;
    /** True if the appender asked to be told the committed lengths. */
    private final boolean acks;
    /** The session's follower that tells of commits while reporting them; null before or without. */
    private Follower commits;
    /** The last committed length reported to the appender; -1 before the first. */
    private long reported = -1;
    /** True while a report is scheduled on the event loop; set from the store's thread. */
    private final AtomicBoolean reportScheduled = new AtomicBoolean();
    /** Data bytes of the current socket read, each buffer with its own reference; written together. */
    private final List<ByteBuf> pending = new ArrayList<>();
    private int pendingBytes;
    private String endReason = "connection closed";
    private boolean ended;

    public AppendHandler(SessionLease session) {
        this(session, false);
    }

    /** With {@code acks}, the appender is told the committed lengths once {@link #reportCommits} is called. */
    public AppendHandler(SessionLease session, boolean acks) {
        this.session = session;
        this.acks = acks;
    }

    /**
     * Starts telling the appender the committed lengths: call on the event loop once the handshake's
     * response is written. Does nothing without acks or once the session has ended.
     */
    public void reportCommits(ChannelHandlerContext ctx) {
        if (!acks || ended || commits != null || ctx == null) {
            return;
        }
        commits = session.follow(session.start(), () -> {
            if (reportScheduled.compareAndSet(false, true)) {
                ctx.executor().execute(() -> report(ctx));
            }
        });
        report(ctx);
    }

    /** Sends the committed length if it grew since the last report; on the event loop. */
    private void report(ChannelHandlerContext ctx) {
        reportScheduled.set(false);
        if (ended || !ctx.channel().isActive()) {
            return;
        }
        long length = session.length();
        if (length > reported) {
            reported = length;
            ctx.writeAndFlush(new TextWebSocketFrame(Offsets.format(length)));
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof ByteBuf) {
                ByteBuf data = (ByteBuf) msg;
                if (data.isReadable() && !ended) {
                    pending.add(data.retain());
                    pendingBytes += data.readableBytes();
                    if (pendingBytes >= MAX_PENDING) {
                        writePending(ctx);
                    }
                }
            } else if (msg instanceof CloseWebSocketFrame) {
                writePending(ctx);
                if (!ended) {
                    endReason = "close frame";
                    CompletableFuture<Void> durable = end();
                    if (durable.isDone()) {
                        answerClose(ctx, durable);
                    } else { // with fsync: Close 1000 only once the last byte is on stable storage
                        durable.whenComplete((v, e) -> ctx.executor().execute(() -> answerClose(ctx, durable)));
                    }
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    /** The end of one socket read: everything it brought goes to the file with one gathering write. */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        writePending(ctx);
        ctx.fireChannelReadComplete();
    }

    private void writePending(ChannelHandlerContext ctx) {
        if (pending.isEmpty()) {
            return;
        }
        try {
            if (!ended) {
                List<ByteBuffer> buffers = new ArrayList<>(pending.size());
                for (ByteBuf b : pending) {
                    Collections.addAll(buffers, b.nioBuffers());
                }
                session.append(buffers.toArray(new ByteBuffer[0]));
            }
        } catch (IOException e) {
            if (e instanceof StreamTooLargeException) {
                LOG.info("APPEND {}: refused: {}", session.name(), e.getMessage());
                endReason = "stream size limit";
            } else {
                if (e instanceof InsufficientStorageException) {
                    LOG.warn("APPEND {}: {}", session.name(), e.getMessage());
                } else {
                    LOG.error("APPEND {}: writing failed", session.name(), e);
                }
                endReason = "write failed: " + e;
            }
            IOException refused = e;
            // the Close comes once every byte kept before the refused one is committed: a reader that
            // looks after the Close sees the whole file
            end().whenComplete((v, x) -> ctx.executor().execute(() -> ctx.writeAndFlush(
                    new CloseWebSocketFrame(CloseCodes.forFailure(refused), CloseCodes.appendReason(refused)))
                    .addListener(ChannelFutureListener.CLOSE)));
        } finally {
            releasePending();
        }
    }

    private void releasePending() {
        for (ByteBuf b : pending) {
            b.release();
        }
        pending.clear();
        pendingBytes = 0;
    }

    /**
     * The server is shutting down: ends the session (every byte received stays) and tells the appender
     * with Close 1001 ("going away"), so it knows its append did not end as it asked. Call on the event
     * loop.
     */
    public void goAway(ChannelHandlerContext ctx) {
        if (ended) {
            return;
        }
        writePending(ctx);
        endReason = "server shutting down";
        end();
        ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE,
                "server shutting down")).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        writePending(ctx); // every byte received before the connection closed is kept
        if (!ended) {
            session.vanished(); // no Close frame: the appender went away
        }
        end();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        writePending(ctx);
        end();
    }

    /**
     * A broken frame rule ({@link CorruptedWebSocketFrameException} from {@link AppendFrameDecoder}):
     * keeps every byte before the bad frame, ends the session, then answers with a Close frame of the
     * violation's status, so that an appender that sees it may start again at once. Any other error
     * ends the session and closes the connection.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        writePending(ctx);
        if (cause instanceof CorruptedWebSocketFrameException && !ended) {
            CorruptedWebSocketFrameException bad = (CorruptedWebSocketFrameException) cause;
            LOG.info("APPEND {}: closing with {}: {}", session.name(), bad.closeStatus().code(),
                    bad.getMessage());
            endReason = "bad frame: " + bad.getMessage();
            end();
            ctx.writeAndFlush(new CloseWebSocketFrame(CloseCodes.forFailure(bad), bad.getMessage()))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        LOG.debug("APPEND {}: connection failed", session.name(), cause);
        if (!ended) {
            endReason = "error: " + cause;
            session.vanished();
        }
        end();
        ctx.close();
    }

    /** Answers a Close frame: 1000 if every byte is committed, 1011 if the final sync failed. */
    private void answerClose(ChannelHandlerContext ctx, CompletableFuture<Void> durable) {
        CloseWebSocketFrame answer;
        if (durable.isCompletedExceptionally()) {
            Throwable cause = null;
            try {
                durable.join();
            } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
                cause = e.getCause();
            }
            answer = new CloseWebSocketFrame(CloseCodes.forFailure(cause), CloseCodes.appendReason(cause));
        } else {
            answer = new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE);
        }
        ctx.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
    }

    /** Ends the session; the future completes once its bytes are committed (with fsync: synced). */
    private CompletableFuture<Void> end() {
        if (ended) {
            return CompletableFuture.completedFuture(null);
        }
        ended = true;
        if (commits != null) {
            commits.close();
        }
        CompletableFuture<Void> durable = session.end();
        LOG.info("APPEND {} ended ({}): {} bytes in {} ms", session.name(), endReason,
                session.appended(), TimeUnit.NANOSECONDS.toMillis(session.elapsedNanos()));
        return durable;
    }
}
