package org.httpfstream.server.http;

import org.httpfstream.server.Transport;
import org.httpfstream.server.Headers;
import static io.netty.handler.codec.http.HttpHeaderNames.ACCEPT_RANGES;
import static io.netty.handler.codec.http.HttpHeaderNames.CACHE_CONTROL;
import static io.netty.handler.codec.http.HttpHeaderNames.CONNECTION;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_LENGTH;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_RANGE;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_TYPE;
import static io.netty.handler.codec.http.HttpHeaderNames.IF_MODIFIED_SINCE;
import static io.netty.handler.codec.http.HttpHeaderNames.LAST_MODIFIED;
import static io.netty.handler.codec.http.HttpHeaderNames.RANGE;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.Date;
import java.util.Locale;
import org.httpfstream.store.Offsets;
import org.httpfstream.store.StoredStream;

/**
 * Answers a plain-HTTP read of a stream with the bytes it holds: {@code 200} with the whole content,
 * {@code 206} for a single satisfiable {@code Range}, {@code 416} for an unsatisfiable one, {@code
 * 304} for an {@code If-Modified-Since} that still holds. The bytes go out unmodified: zero-copy as a
 * {@link DefaultFileRegion} on a cleartext HTTP/1.1 connection when the store keeps the stream in a file
 * ({@link StoredStream#openChannel()}), else through {@link CatchUpBody} in pooled buffers (TLS encrypts
 * them, HTTP/2 frames them, a store without files is read through {@link StoredStream#read}).
 *
 * <p>Thread safety: stateless; call on the channel's event loop.
 */
public final class FileResponder {
    private FileResponder() {}

    /**
     * Sends {@code length} bytes of {@code stream} (the committed length, which for a live stream may be
     * less than what was written).
     *
     * @param from the offset to start at, or -1 for none (then a {@code Range} header is honoured)
     * @param lastModified modification time in epoch milliseconds
     * @param live true if an appender is active: the response is a snapshot and must not be cached
     * @throws IOException if the stream cannot be opened (nothing was written then)
     */
    public static void send(ChannelHandlerContext ctx, HttpRequest request, StoredStream stream, long from,
            long length, long lastModified, boolean live, boolean keepAlive, HttpHeaders extra)
            throws IOException {
        long start = Math.max(0, from);
        long end = length; // exclusive
        HttpResponseStatus status = HttpResponseStatus.OK;

        String range = from < 0 ? request.headers().get(RANGE) : null; // an offset overrides a Range
        if (range != null) {
            long[] r = parseRange(range, length);
            if (r == UNSATISFIABLE) {
                HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                        HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE);
                response.headers().set(CONTENT_RANGE, "bytes */" + length).setInt(CONTENT_LENGTH, 0);
                finish(ctx, response, null, keepAlive);
                return;
            }
            if (r != null) {
                start = r[0];
                end = r[1];
                status = HttpResponseStatus.PARTIAL_CONTENT;
            }
        }

        long seconds = lastModified / 1000;
        if (!live && range == null && notModified(ctx, request, seconds, keepAlive)) {
            return;
        }
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
        response.headers()
                .set(CONTENT_TYPE, contentType(stream.name()))
                .set("X-Content-Type-Options", "nosniff")
                .set(ACCEPT_RANGES, HttpHeaderValues.BYTES)
                .set(LAST_MODIFIED, DateFormatter.format(new Date(seconds * 1000)))
                .set(CONTENT_LENGTH, end - start);
        if (live) {
            response.headers().set(CACHE_CONTROL, "no-cache");
        }
        response.headers()
                .add(extra)
                .set(Headers.STREAM_OFFSET, Offsets.format(start))
                .set(Headers.NEXT_OFFSET, Offsets.format(end));
        if (status == HttpResponseStatus.PARTIAL_CONTENT) {
            response.headers().set(CONTENT_RANGE, "bytes " + start + "-" + (end - 1) + "/" + length);
        }
        FileChannel channel = end > start ? stream.openChannel().orElse(null) : null; // before any write
        if (end > start && (channel == null || !Transport.zeroCopy(ctx.channel()))) {
            if (!keepAlive) {
                response.headers().set(CONNECTION, HttpHeaderValues.CLOSE);
            }
            CatchUpBody.sendBytes(ctx, response, channel, channel == null ? stream::read
                    : (at, dst) -> channel.read(dst, at), start, end, keepAlive);
            return;
        }
        finish(ctx, response, channel == null ? null : new DefaultFileRegion(channel, start, end - start),
                keepAlive);
    }

    /** Answers 304 and returns true if the file has not changed since the request's If-Modified-Since. */
    private static boolean notModified(ChannelHandlerContext ctx, HttpRequest request, long seconds,
            boolean keepAlive) {
        if (!request.headers().contains(IF_MODIFIED_SINCE)) {
            return false;
        }
        Date since = DateFormatter.parseHttpDate(request.headers().get(IF_MODIFIED_SINCE));
        if (since == null || seconds > since.getTime() / 1000) {
            return false;
        }
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED);
        response.headers().set(LAST_MODIFIED, DateFormatter.format(new Date(seconds * 1000)));
        finish(ctx, response, null, keepAlive);
        return true;
    }

    private static void finish(ChannelHandlerContext ctx, HttpResponse response,
            DefaultFileRegion body, boolean keepAlive) {
        if (!keepAlive) {
            response.headers().set(CONNECTION, HttpHeaderValues.CLOSE);
        }
        ctx.write(response);
        if (body != null) {
            ctx.write(body);
        }
        ChannelFuture done = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        if (!keepAlive) {
            done.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static final long[] UNSATISFIABLE = new long[0];

    /**
     * Parses a single byte range against {@code length}: {start, endExclusive}; {@code UNSATISFIABLE};
     * or null when the header is to be ignored (malformed, not bytes, or several ranges), which RFC
     * 9110 allows.
     */
    static long[] parseRange(String header, long length) {
        String h = header.trim();
        if (!h.regionMatches(true, 0, "bytes=", 0, 6)) {
            return null;
        }
        String spec = h.substring(6).trim();
        if (spec.indexOf(',') >= 0) {
            return null;
        }
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return null;
        }
        try {
            String first = spec.substring(0, dash).trim();
            String last = spec.substring(dash + 1).trim();
            if (first.isEmpty()) { // suffix: the last N bytes
                long n = Long.parseLong(last);
                if (n <= 0 || length == 0) {
                    return n < 0 ? null : UNSATISFIABLE;
                }
                return new long[] {Math.max(0, length - n), length};
            }
            long start = Long.parseLong(first);
            long end = length;
            if (!last.isEmpty()) {
                long lastPosition = Long.parseLong(last);
                if (lastPosition < start) {
                    return null;
                }
                end = Math.min(length, lastPosition + 1);
            }
            if (start < 0) {
                return null;
            }
            if (start >= length) {
                return UNSATISFIABLE;
            }
            return new long[] {start, end};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * Content types by file name. Never {@code text/html} or another type a browser would run: the
     * store holds whatever clients upload, and serving it as active content on our origin would let
     * one client script another's browser.
     */
    public static String contentType(String name) {
        String lower = name.substring(name.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
        int dot = lower.lastIndexOf('.');
        String ext = dot < 0 ? "" : lower.substring(dot + 1);
        switch (ext) {
            case "txt": case "log": case "md": case "csv": case "tsv": case "out": case "err":
            case "html": case "htm": case "xhtml": case "xht": case "shtml": case "xml": case "xsl":
            case "xslt": case "svg": case "js": case "mjs": case "cjs": case "css":
                return "text/plain; charset=utf-8";
            case "json":
                return "application/json";
            case "ndjson": case "jsonl":
                return "application/x-ndjson";
            case "png":
                return "image/png";
            case "jpg": case "jpeg":
                return "image/jpeg";
            case "gif":
                return "image/gif";
            case "pdf":
                return "application/pdf";
            case "gz":
                return "application/gzip";
            case "zip":
                return "application/zip";
            default:
                return "application/octet-stream";
        }
    }
}
