package org.httpfstream.server.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The silence timer of a live HTTP response ({@code ?follow}, SSE): it looks {@code ticks} times per
 * interval whether the response has been silent for nearly the interval, and if so (and the channel
 * is writable, so nothing is queued anyway) asks its owner to send a keep-alive. The owner tells it of
 * every other write ({@link #sent()}). Written here rather than with Netty's {@code IdleStateHandler}
 * because what counts as silence is the owner's bytes, not the channel's, and the keep-alive must be
 * sent by the owner, in its framing.
 *
 * <p>Thread safety: not thread safe; confined to the channel's event loop.
 */
final class KeepAliveTimer {
    /** A keep-alive sender: true if it sent one, false if it could not this time. */
    interface Beat {
        boolean send(ChannelHandlerContext ctx);
    }

    private final long intervalNanos;
    private final long tickNanos;
    private ScheduledFuture<?> task;
    /** When the last byte or keep-alive went out ({@link System#nanoTime()}). */
    private long lastSentNanos;

    /**
     * @param intervalNanos the longest silence: a keep-alive goes out before it has passed
     * @param ticks how many times per interval silence is checked
     */
    KeepAliveTimer(long intervalNanos, int ticks) {
        this.intervalNanos = intervalNanos;
        this.tickNanos = intervalNanos / ticks;
    }

    /** Counts silence from now; with {@code beat}, checks it every tick until {@code ended} says so. */
    void start(ChannelHandlerContext ctx, BooleanSupplier ended, Beat beat) {
        lastSentNanos = System.nanoTime();
        if (beat != null) {
            task = ctx.executor().scheduleAtFixedRate(() -> tick(ctx, ended, beat), tickNanos, tickNanos,
                    TimeUnit.NANOSECONDS);
        }
    }

    private void tick(ChannelHandlerContext ctx, BooleanSupplier ended, Beat beat) {
        if (ended.getAsBoolean() || !ctx.channel().isActive()) {
            cancel();
            return;
        }
        long now = System.nanoTime();
        if (now - lastSentNanos < intervalNanos - tickNanos || !ctx.channel().isWritable()) {
            return; // not silent for long enough, or bytes are queued anyway
        }
        if (beat.send(ctx)) {
            lastSentNanos = now;
        }
    }

    /** Something other than a keep-alive went out now. */
    void sent() {
        lastSentNanos = System.nanoTime();
    }

    /** Stops the checks; idempotent. */
    void cancel() {
        if (task != null) {
            task.cancel(false);
            task = null;
        }
    }
}
