package org.httpfstream.server.viewer;

import static io.netty.handler.codec.http.HttpHeaderNames.CACHE_CONTROL;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_LENGTH;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_DISPOSITION;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_TYPE;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.httpfstream.server.routing.HttpErrors;

/**
 * The viewer's static files, from the classpath folder {@value #FOLDER} of the jar: {@code ?view} on
 * any path answers {@code viewer.html} (the page reads the path from its own URL: a stream, or a
 * folder's listing for a path ending in {@code /}); {@code GET /.httpfstream-viewer/NAME} answers the
 * file {@code NAME} ({@code viewer.js}, {@code viewer.css}, ...). Every answer carries the strict
 * Content-Security-Policy of the contract. Files are read once and kept (they are small and fixed in
 * the jar).
 *
 * <p>Thread safety: stateless but for a concurrent cache of immutable byte arrays.
 */
final class ViewerPages {
    /** Where the server serves the page's files. */
    static final String ASSETS = "/.httpfstream-viewer/";
    static final String FOLDER = "org/httpfstream/viewer/static/";
    static final String PAGE = "viewer.html";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,100}");
    private static final Map<String, Optional<byte[]>> CACHE = new ConcurrentHashMap<>();

    private ViewerPages() {}

    static void send(ChannelHandlerContext ctx, QueryStringDecoder query, boolean keepAlive) {
        String path = query.path();
        String name = path.startsWith(ASSETS) ? path.substring(ASSETS.length()) : PAGE;
        byte[] body = NAME.matcher(name).matches() ? load(name) : null;
        if (body == null) {
            HttpErrors.send(ctx, HttpResponseStatus.NOT_FOUND, "no such viewer file: " + name, keepAlive);
            return;
        }
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.wrappedBuffer(body));
        r.headers().set(CONTENT_TYPE, type(name)).set(CONTENT_LENGTH, body.length).set(CACHE_CONTROL, "no-cache")
                .set(CONTENT_DISPOSITION, "inline"); // our own page: shown, not saved as an attachment
        ViewerHandler.security(r.headers());
        HttpErrors.send(ctx, r, keepAlive);
    }

    private static byte[] load(String name) {
        return CACHE.computeIfAbsent(name, n -> {
            try (InputStream in = ViewerPages.class.getClassLoader().getResourceAsStream(FOLDER + n)) {
                return Optional.ofNullable(in == null ? null : in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).orElse(null);
    }

    static String type(String name) {
        String n = name.toLowerCase(java.util.Locale.ROOT);
        if (n.endsWith(".html")) {
            return "text/html; charset=utf-8";
        } else if (n.endsWith(".js") || n.endsWith(".mjs")) {
            return "text/javascript; charset=utf-8";
        } else if (n.endsWith(".css")) {
            return "text/css; charset=utf-8";
        } else if (n.endsWith(".svg")) {
            return "image/svg+xml";
        } else if (n.endsWith(".png")) {
            return "image/png";
        } else if (n.endsWith(".woff2")) {
            return "font/woff2";
        } else if (n.endsWith(".json") || n.endsWith(".map")) {
            return "application/json";
        }
        return "application/octet-stream";
    }
}
