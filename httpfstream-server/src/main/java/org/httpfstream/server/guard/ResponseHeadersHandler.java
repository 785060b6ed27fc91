package org.httpfstream.server.guard;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Adds the browser security and CORS headers to every HTTP response: {@code X-Content-Type-Options:
 * nosniff}, {@code Cross-Origin-Resource-Policy: cross-origin} and {@code Access-Control-Expose-Headers}
 * with the protocol's response headers, so a browser on any origin can read streams with {@code fetch()}.
 * Which origin may read an answer ({@code Access-Control-Allow-Origin}) depends on the request: {@link
 * BrowserOriginHandler} sets it. Headers a handler already set are kept.
 *
 * <p>{@link Sharable}: stateless.
 */
@Sharable
public final class ResponseHeadersHandler extends ChannelOutboundHandlerAdapter {
    static final String EXPOSED = "Stream-Next-Offset, Stream-Cursor, Stream-Up-To-Date, Stream-Closed, "
            + "Stream-TTL, Stream-Expires-At, Stream-Offset, Stream-Writer-Active, Stream-SSE-Data-Encoding, "
            + "Producer-Epoch, Producer-Seq, Producer-Expected-Seq, Producer-Received-Seq, ETag, Location, "
            + "Content-Type";

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof HttpResponse response) {
            HttpHeaders h = response.headers();
            setIfAbsent(h, "X-Content-Type-Options", "nosniff");
            setIfAbsent(h, "Cross-Origin-Resource-Policy", "cross-origin");
            setIfAbsent(h, "Access-Control-Expose-Headers", EXPOSED);
        }
        super.write(ctx, msg, promise);
    }

    private static void setIfAbsent(HttpHeaders h, String name, String value) {
        if (!h.contains(name)) {
            h.set(name, value);
        }
    }
}
