package org.httpfstream.server.connection;

import org.httpfstream.server.HttpFStreamInitializer;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * Keeps one connection's answers in the order of its requests while an answer waits (for the group
 * commit of an fsync store): from {@link #hold} to {@link #release}, requests that arrive (pipelined
 * behind the waiting one) are held here, then passed on in order, one at a time, each only once the
 * one before has been answered. The first request held stops reading from the connection until the
 * release, so what is held is bounded by what one read brought; a client that waits for each answer,
 * as most do, costs no change of the channel's read interest. Between holds it passes everything
 * straight through.
 *
 * <p>Per channel, not sharable; confined to the channel's event loop. Sits right before the request
 * handler ({@link HttpFStreamInitializer}); without it in the pipeline, {@code hold} only stops reading.
 */
public final class PipeliningHandler extends ChannelInboundHandlerAdapter {
    private final ArrayDeque<Object> held = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private boolean waiting;
    /** True if this handler turned auto-read off (a request arrived while waiting). */
    private boolean stoppedReading;

    /**
     * The answer of the request being handled on {@code ctx}'s channel will come later: stop reading and
     * hold back later requests until {@link #release}. Call on the event loop.
     */
    public static void hold(ChannelHandlerContext ctx) {
        PipeliningHandler h = ctx.pipeline().get(PipeliningHandler.class);
        if (h != null) {
            h.waiting = true;
        } else {
            ctx.channel().config().setAutoRead(false);
        }
    }

    /**
     * The answer was written: pass on the requests held meanwhile, in order, until one of them waits
     * again, then read again. Call on the event loop.
     */
    public static void release(ChannelHandlerContext ctx) {
        PipeliningHandler h = ctx.pipeline().get(PipeliningHandler.class);
        if (h == null) {
            ctx.channel().config().setAutoRead(true);
            return;
        }
        h.waiting = false;
        Object next;
        while (!h.waiting && (next = h.held.poll()) != null) {
            h.ctx.fireChannelRead(next);
        }
        if (!h.waiting && h.stoppedReading) {
            h.stoppedReading = false;
            h.ctx.fireChannelReadComplete();
            ctx.channel().config().setAutoRead(true);
        }
    }

    /**
     * Runs {@code answer}, the held request's answer, then {@link #release}s, unless the answer held the
     * channel again itself (it handed the request on to work that answers later): the requests held
     * meanwhile then wait for that release. Call on the event loop.
     */
    public static void answerHeld(ChannelHandlerContext ctx, Runnable answer) {
        PipeliningHandler h = ctx.pipeline().get(PipeliningHandler.class);
        if (h == null) { // only reading was stopped: read again, and the answer may stop it again
            ctx.channel().config().setAutoRead(true);
            answer.run();
            return;
        }
        h.waiting = false;
        try {
            answer.run();
        } finally {
            if (!h.waiting) {
                release(ctx);
            }
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (waiting) {
            held.add(msg);
            if (!stoppedReading) {
                stoppedReading = true;
                ctx.channel().config().setAutoRead(false);
            }
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        drop();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        drop();
    }

    private void drop() {
        Object m;
        while ((m = held.poll()) != null) {
            ReferenceCountUtil.release(m);
        }
    }
}
