package org.httpfstream.server.guard;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import java.util.Locale;

/**
 * Adds the browser security, CORS and content-safety headers to every HTTP response; headers a handler
 * already set are kept.
 *
 * <p>Security and CORS: {@code X-Content-Type-Options: nosniff}, {@code Cross-Origin-Resource-Policy:
 * cross-origin} and {@code Access-Control-Expose-Headers} with the protocol's response headers, so a
 * browser on any origin can read streams with {@code fetch()}. Which origin may read an answer ({@code
 * Access-Control-Allow-Origin}) depends on the request: {@link BrowserOriginHandler} sets it.
 *
 * <p>Content safety: makes sure no response is run by a browser as a page or script of the server's
 * origin, whatever a client stored: streams hold anything their writers send, and a Durable Streams stream is served
 * with the {@code Content-Type} it was created with (the protocol echoes it), which may be {@code
 * text/html}, SVG, XML or JavaScript. Every HTTP response gets
 *
 * <ul>
 *   <li>{@code Content-Security-Policy: }{@value #POLICY}: a browser that renders the body anyway
 *       (in a tab or a frame) puts it in a unique opaque origin with scripts, forms, plugins and
 *       every fetch off; inline style stays, so a text or image still displays normally;
 *   <li>for an active type ({@link #isActive}), {@code Content-Disposition: attachment}: a browser
 *       that navigates to it saves the file instead of showing it. {@code fetch()}, the Durable Streams
 *       clients and every non-browser client read it as before.
 * </ul>
 *
 * Together with {@code X-Content-Type-Options: nosniff} this covers every read path: plain {@code GET}
 * (whole, {@code Range} and {@code offset} reads), {@code ?follow}, the Durable Streams catch-up,
 * long-poll and SSE reads, and {@code HEAD}.
 *
 * <p>Thread safety: stateless, so {@link Sharable}: one instance serves every channel.
 */
@Sharable
public final class ResponseHeadersHandler extends ChannelOutboundHandlerAdapter {
    /** The policy every response carries. */
    static final String POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

    /** The response headers a page on another origin may read. */
    static final String EXPOSED = "Stream-Next-Offset, Stream-Cursor, Stream-Up-To-Date, Stream-Closed, "
            + "Stream-TTL, Stream-Expires-At, Stream-Offset, Stream-Writer-Active, Stream-SSE-Data-Encoding, "
            + "Producer-Epoch, Producer-Seq, Producer-Expected-Seq, Producer-Received-Seq, ETag, Location, "
            + "Content-Type";

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof HttpResponse response) {
            HttpHeaders h = response.headers();
            protect(h);
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

    /** Adds the headers described in the class comment to {@code h}. */
    static void protect(HttpHeaders h) {
        if (!h.contains(HttpHeaderNames.CONTENT_SECURITY_POLICY)) {
            h.set(HttpHeaderNames.CONTENT_SECURITY_POLICY, POLICY);
        }
        String type = h.get(HttpHeaderNames.CONTENT_TYPE);
        if (type != null && isActive(type) && !h.contains(HttpHeaderNames.CONTENT_DISPOSITION)) {
            h.set(HttpHeaderNames.CONTENT_DISPOSITION, "attachment");
        }
    }

    /**
     * True if a browser could run a body of this {@code Content-Type} as a document or script: HTML,
     * XHTML, SVG, any XML (XSLT can make HTML of it), JavaScript and ECMAScript types, and multipart
     * types (a part may be HTML). Errs on the side of yes: any type naming html, xml, xsl, svg or script,
     * and anything that is not a {@code type/subtype} at all.
     */
    public static boolean isActive(String contentType) {
        String t = contentType.toLowerCase(Locale.ROOT);
        int semicolon = t.indexOf(';');
        String media = (semicolon < 0 ? t : t.substring(0, semicolon)).trim();
        int slash = media.indexOf('/');
        if (slash <= 0 || slash == media.length() - 1) {
            return true;
        }
        return t.contains("html") || t.contains("xml") || t.contains("xsl") || t.contains("svg") || t.contains("script")
                || media.startsWith("multipart/");
    }
}
