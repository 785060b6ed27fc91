package org.httpfstream.server.connection;

import org.httpfstream.server.Drain;
import org.httpfstream.server.HttpFStreamInitializer;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * Ends one HTTP/1.1 connection cleanly while the server drains ({@link Drain}): every request already
 * read is answered (a {@code POST} waiting for its group commit included, and the requests pipelined
 * behind it), the last answer says {@code Connection: close}, and the connection closes once it is
 * written. A connection with no request waiting is closed at once. Requests read after an answer that
 * said {@code Connection: close} are dropped, unanswered, as RFC 9112 has it.
 *
 * <p>It counts requests read (a request head) against answers written (a response's last content, once
 * its write has completed, so that a body still on its way is not cut; an interim {@code 1xx} answer
 * other than {@code 101} does not count). After a WebSocket upgrade it sees
 * only frames and lets them pass; the follower and appender handlers have their own ways to end.
 *
 * <p>Per channel, not sharable; confined to the channel's event loop. Sits right after the HTTP codec
 * ({@link HttpFStreamInitializer}).
 */
public final class DrainHandler extends ChannelDuplexHandler {
    /** Requests read whose answer has not been completely written. */
    private int pending;
    /** True once the server drains: the connection closes after its last answer. */
    private boolean draining;
    /** True once an answer said {@code Connection: close}: nothing more is read or answered. */
    private boolean closing;

    /** True if {@code channel} is an HTTP connection of a draining server. Call on its event loop. */
    public static boolean draining(Channel channel) {
        DrainHandler h = channel.pipeline().get(DrainHandler.class);
        return h != null && h.draining;
    }

    /**
     * Starts draining this connection: closes it now if no request waits for an answer, else after the
     * last answer. Call on the event loop.
     */
    public void drain(ChannelHandlerContext ctx) {
        draining = true;
        if (pending == 0) {
            ctx.close();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing && (msg instanceof HttpRequest || msg instanceof HttpContent)) {
            ReferenceCountUtil.release(msg); // sent after we said Connection: close
            return;
        }
        if (msg instanceof HttpRequest) {
            pending++;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        boolean interim = msg instanceof HttpResponse r && r.status().codeClass() == HttpStatusClass.INFORMATIONAL
                && r.status().code() != HttpResponseStatus.SWITCHING_PROTOCOLS.code();
        if (draining && !interim && msg instanceof HttpResponse r && pending <= 1
                && r.status().code() != HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
            HttpUtil.setKeepAlive(r, false); // the last answer: say so
            closing = true;
        }
        if (msg instanceof LastHttpContent && !interim) {
            // Answered once written: a body still being sent (a file) is not cut by the drain.
            promise = promise.unvoid();
            promise.addListener(f -> answered(ctx));
        }
        ctx.write(msg, promise);
    }

    private void answered(ChannelHandlerContext ctx) {
        pending = Math.max(0, pending - 1);
        if (draining && pending == 0) {
            closing = true;
            ctx.close();
        }
    }
}
