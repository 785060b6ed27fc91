package org.httpfstream.server.guard;

import org.httpfstream.server.HttpFStreamSettings;
import org.httpfstream.server.Limits;
import org.httpfstream.server.Refusals;
import org.httpfstream.server.routing.RawResponse;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two deadlines of an HTTP connection before its requests are handled: a new connection must send
 * the first byte of a request within {@link Limits#requestTimeout()}, else it is closed without an
 * answer (there is no request to answer; counted as {@link Refusals.Reason#REQUEST_TIMEOUT}); and every
 * request head, on a new or a keep-alive connection, must arrive whole within {@link
 * Limits#headerTimeout()} of its first byte, else the connection gets {@code 408 Request Timeout} with
 * one line and is closed (counted as {@link Refusals.Reason#HEADER_TIMEOUT}). A client that sends its
 * headers a byte a second is cut after the header timeout, whatever {@code idle} would let it do.
 *
 * <p>What it does not time: a request body (its size is bounded by {@link Limits#maxBodyBytes()}, a
 * body that stops is cut by the idle timeout, {@link HttpFStreamSettings#idleTimeout()}); the time
 * between the requests of a keep-alive connection (the idle timeout again); and anything while a
 * response is under way, so long-polls, SSE and {@code ?follow} reads, which answer for long, are never
 * cut by it. A head that arrives while the previous answer is still being written (pipelining) is
 * timed from the moment that answer is complete. On a WebSocket upgrade (the {@code 101} response) it
 * takes itself out of the pipeline.
 *
 * <p>It is two handlers sharing this state: {@link #bytes()}, before the HTTP codec, sees when the
 * first byte of a head arrives; {@link #messages()}, right after it, sees when the head is decoded and
 * when each response is written whole. A deadline is kept as a time, and one timer per connection
 * checks it, so a keep-alive connection making many requests schedules about one timer per header
 * timeout, not one per request.
 *
 * <p>Per channel, not sharable. Thread safety: confined to the channel's event loop.
 */
public final class RequestTimer {
    private static final Logger LOG = LoggerFactory.getLogger(RequestTimer.class);
    private static final long NONE = Long.MAX_VALUE;

    private enum State {
        /** A new connection that has sent nothing yet. */
        NEW,
        /** Waiting for the next request (no byte of its head seen yet). */
        BETWEEN,
        /** The first bytes of a request head arrived; its end has not. */
        HEAD,
        /** A request head was decoded; its body, if any, is coming. */
        REQUEST
    }

    private final long requestTimeoutNanos;
    private final long headerTimeoutNanos;
    private final Duration requestTimeout;
    private final Duration headerTimeout;
    private final Refusals refusals;
    private final Bytes bytes = new Bytes();
    private final Messages messages = new Messages();

    private ChannelHandlerContext bytesCtx;
    private State state = State.NEW;
    /** When the connection became active, then when the current head's first byte arrived. */
    private long since;
    /** Requests decoded whose response has not been written whole yet. */
    private int unanswered;
    /** Bytes came while a response was pending: a pipelined head, timed once the response is done. */
    private boolean bytesWaiting;
    private boolean started;
    /** Upgraded or closed: nothing more to time. */
    private boolean done;
    /** The one timer; it fires at or before the current deadline and re-arms itself as needed. */
    private ScheduledFuture<?> timer;
    /** When {@link #timer} fires ({@link System#nanoTime()}). */
    private long timerAt;

    /**
     * @param requestTimeout time for the first byte of a connection's first request; zero for none
     * @param headerTimeout time for each request head, from its first byte; zero for none
     */
    public RequestTimer(Duration requestTimeout, Duration headerTimeout, Refusals refusals) {
        this.requestTimeout = requestTimeout;
        this.headerTimeout = headerTimeout;
        this.requestTimeoutNanos = requestTimeout.toNanos();
        this.headerTimeoutNanos = headerTimeout.toNanos();
        this.refusals = refusals;
    }

    /** The handler that goes before the HTTP codec. */
    public ChannelInboundHandlerAdapter bytes() {
        return bytes;
    }

    /** The handler that goes right after the HTTP codec. */
    public ChannelDuplexHandler messages() {
        return messages;
    }

    private void start(ChannelHandlerContext ctx) {
        if (started) {
            return;
        }
        started = true;
        since = System.nanoTime();
        arm();
    }

    /** The first bytes of a head (or of what may be one) arrived now. */
    private void headBegins() {
        state = State.HEAD;
        since = System.nanoTime();
        bytesWaiting = false;
        arm();
    }

    private long deadline() {
        if (state == State.NEW && requestTimeoutNanos > 0) {
            return since + requestTimeoutNanos;
        }
        if (state == State.HEAD && headerTimeoutNanos > 0) {
            return since + headerTimeoutNanos;
        }
        return NONE;
    }

    /** Makes sure the timer fires at or before the current deadline: keeps it if so, else moves it. */
    private void arm() {
        if (done) {
            return;
        }
        long deadline = deadline();
        if (deadline == NONE) {
            return;
        }
        if (timer != null) {
            if (timerAt - deadline <= 0) {
                return; // fires soon enough, and re-arms itself for the rest
            }
            timer.cancel(false);
        }
        timerAt = deadline;
        timer = bytesCtx.executor().schedule(this::check, Math.max(0, deadline - System.nanoTime()),
                TimeUnit.NANOSECONDS);
    }

    private void check() {
        timer = null;
        if (done || !bytesCtx.channel().isActive()) {
            return;
        }
        long deadline = deadline();
        if (deadline == NONE) {
            return;
        }
        if (System.nanoTime() - deadline < 0) {
            arm();
            return;
        }
        done = true;
        if (state == State.NEW) {
            refusals.count(Refusals.Reason.REQUEST_TIMEOUT);
            LOG.debug("closing connection {}: no request within {}", bytesCtx.channel().remoteAddress(),
                    requestTimeout);
            bytesCtx.close();
        } else {
            refusals.count(Refusals.Reason.HEADER_TIMEOUT);
            LOG.debug("closing connection {}: request head not whole within {}",
                    bytesCtx.channel().remoteAddress(), headerTimeout);
            // Below the HTTP codec, which holds half a head: the answer goes out as bytes.
            bytesCtx.channel().config().setAutoRead(false);
            bytesCtx.writeAndFlush(RawResponse.closing("408 Request Timeout",
                    "request head not received whole within " + format(headerTimeout)
                            + " of its first byte (-header-timeout)", 0))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** {@code d} as Go writes durations, for messages: {@code 500ms}, {@code 10s}, {@code 1m30s}. */
    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 1000 != 0 || ms == 0) {
            return ms + "ms";
        }
        long s = ms / 1000;
        StringBuilder b = new StringBuilder();
        if (s >= 3600) {
            b.append(s / 3600).append('h');
        }
        if (s >= 60 && s % 3600 / 60 != 0) {
            b.append(s % 3600 / 60).append('m');
        }
        if (s % 60 != 0) {
            b.append(s % 60).append('s');
        }
        return b.toString();
    }

    private void stop() {
        done = true;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /** Before the HTTP codec: sees the bytes as they come. */
    private final class Bytes extends ChannelInboundHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            bytesCtx = ctx;
            if (ctx.channel().isActive()) {
                start(ctx);
            }
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            start(ctx);
            super.channelActive(ctx);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (!done && msg instanceof ByteBuf b && b.isReadable()
                    && (state == State.NEW || state == State.BETWEEN)) {
                if (unanswered == 0) {
                    headBegins();
                } else {
                    bytesWaiting = true;
                }
            }
            super.channelRead(ctx, msg);
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
    }

    /** Right after the HTTP codec: sees requests decoded and responses written. */
    private final class Messages extends ChannelDuplexHandler {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (msg instanceof HttpRequest) {
                state = State.REQUEST;
                unanswered++;
                bytesWaiting = false;
            }
            if (msg instanceof LastHttpContent && state == State.REQUEST) {
                state = State.BETWEEN;
            }
            super.channelRead(ctx, msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (msg instanceof HttpResponse r && r.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                super.write(ctx, msg, promise); // 100 Continue is not the answer; 101 ends HTTP
                if (r.status().code() == 101) {
                    upgraded(ctx.pipeline());
                }
                return;
            }
            if (msg instanceof LastHttpContent && unanswered > 0 && --unanswered == 0 && bytesWaiting
                    && state == State.BETWEEN && !done) {
                headBegins();
            }
            super.write(ctx, msg, promise);
        }

        private void upgraded(ChannelPipeline p) {
            stop();
            if (p.context(bytes) != null) {
                p.remove(bytes);
            }
            if (p.context(messages) != null) {
                p.remove(messages);
            }
        }
    }
}
