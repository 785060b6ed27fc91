package org.httpfstream.server.viewer;

import static io.netty.handler.codec.http.HttpHeaderNames.CACHE_CONTROL;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_TYPE;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Predicate;
import org.httpfstream.json.Json;
import org.httpfstream.server.connection.PipeliningHandler;
import org.httpfstream.server.routing.FailureStatus;
import org.httpfstream.server.routing.HttpErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The viewer's HTTP side (issue 14, contract in {@code docs/notes/viewer-api.md}): {@code ?lines=N-M},
 * {@code ?tail=N} (and {@code &follow}), {@code ?search=}, {@code ?status} on a stream, {@code ?list}
 * on a folder, and the page itself ({@code ?view}, static files under {@value ViewerPages#ASSETS}).
 * The router calls {@link #isPage} and {@link #isListing} before authorization (the page holds no
 * stream data; a listing is filtered entry by entry) and {@link #handles} after it.
 *
 * <p>Index and file work blocks (a first view of a 1 GiB log scans it), so it runs on the {@code work}
 * executor, never on the event loop; the answer is written back on the channel's event loop, and the
 * channel reads no further request meanwhile ({@link PipeliningHandler#hold}).
 *
 * <p>Thread safety: {@code @Sharable}-style: holds only thread-safe collaborators; call on the
 * channel's event loop.
 *
 * @param lines the {@code ?lines} and {@code ?tail} answers
 * @param json the JSON answers
 * @param work where index and file work runs (off the event loop)
 */
public record ViewerHandler(LineReplies lines, ViewerJson json, Executor work) {
    private static final Logger LOG = LoggerFactory.getLogger(ViewerHandler.class);
    static final String LINES = "lines";
    static final String TAIL = "tail";
    static final String SEARCH = "search";
    static final String STATUS = "status";
    static final String LIST = "list";
    static final String VIEW = "view";
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            + "img-src 'self' data:";

    /** What an answer computed off the event loop does there. */
    @FunctionalInterface
    interface Reply {
        void send(ChannelHandlerContext ctx, boolean keepAlive);
    }

    /** A computation of a reply that may fail with an I/O error (mapped by {@link FailureStatus}). */
    @FunctionalInterface
    interface Work {
        Reply run() throws IOException;
    }

    /** True for the page and its static files: answered without authorization (no stream data in them). */
    public static boolean isPage(FullHttpRequest request, QueryStringDecoder query) {
        return HttpMethod.GET.equals(request.method())
                && (query.path().startsWith(ViewerPages.ASSETS) || query.parameters().containsKey(VIEW));
    }

    /** True for a folder listing ({@code /folder/?list}, GET or HEAD): authorized entry by entry. */
    public static boolean isListing(FullHttpRequest request, QueryStringDecoder query) {
        return getOrHead(request) && query.path().endsWith("/") && query.parameters().containsKey(LIST);
    }

    private static boolean getOrHead(FullHttpRequest request) {
        return HttpMethod.GET.equals(request.method()) || HttpMethod.HEAD.equals(request.method());
    }

    /** True for the viewer's reads of a stream, GET or HEAD (after authorization). */
    public static boolean handles(FullHttpRequest request, QueryStringDecoder query) {
        if (!getOrHead(request)) {
            return false;
        }
        var p = query.parameters();
        return p.containsKey(LINES) || p.containsKey(TAIL) || p.containsKey(SEARCH) || p.containsKey(STATUS);
    }

    /** Serves the page or one of its files. */
    public void page(ChannelHandlerContext ctx, QueryStringDecoder query, boolean keepAlive) {
        ViewerPages.send(ctx, query, keepAlive);
    }

    /**
     * Answers a listing of {@code path} (a folder), with only the entries {@code readable} accepts; to a
     * HEAD request, its headers only.
     */
    public void list(ChannelHandlerContext ctx, FullHttpRequest request, String path, Predicate<String> readable,
            boolean keepAlive) {
        boolean head = HttpMethod.HEAD.equals(request.method());
        submit(ctx, path, keepAlive, () -> jsonReply(json.list(path, readable), head));
    }

    /**
     * Answers {@code ?lines}, {@code ?tail}, {@code ?search} or {@code ?status} on the stream at {@code
     * path}; to a HEAD request, the same headers without the body ({@code &follow} is then not followed).
     */
    public void handle(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder query, String path,
            boolean keepAlive) {
        var p = query.parameters();
        boolean head = HttpMethod.HEAD.equals(request.method());
        Work w;
        try {
            if (p.containsKey(LINES)) {
                long[] range = LineReplies.range(first(query, LINES));
                w = () -> lines.lines(path, range[0], range[1], head);
            } else if (p.containsKey(TAIL)) {
                long n = LineReplies.count(first(query, TAIL));
                FullHttpRequest follow = p.containsKey("follow") && !head ? request : null;
                w = () -> lines.tail(path, n, follow, head);
            } else if (p.containsKey(SEARCH)) {
                ViewerJson.SearchRequest s = ViewerJson.SearchRequest.of(query);
                w = () -> jsonReply(json.search(path, s), head);
            } else {
                w = () -> jsonReply(json.status(path), head);
            }
        } catch (IllegalArgumentException e) {
            HttpErrors.send(ctx, HttpResponseStatus.BAD_REQUEST, e.getMessage(), keepAlive);
            return;
        }
        submit(ctx, path, keepAlive, w);
    }

    private void submit(ChannelHandlerContext ctx, String path, boolean keepAlive, Work w) {
        PipeliningHandler.hold(ctx);
        try {
            work.execute(() -> {
                Reply reply;
                try {
                    reply = w.run();
                } catch (IOException e) {
                    IOException named = e instanceof java.nio.file.NoSuchFileException
                            ? new java.nio.file.NoSuchFileException(path) : e; // never the file's real path
                    reply = (c, k) -> {
                        HttpErrors.fail(c, named, FailureStatus.Operation.READ, "VIEW " + path, k);
                        PipeliningHandler.release(c);
                    };
                } catch (RuntimeException e) {
                    LOG.warn("viewer request on {} failed", path, e);
                    reply = errorReply(HttpResponseStatus.INTERNAL_SERVER_ERROR, "viewer failed: " + e);
                }
                Reply r = reply;
                ctx.executor().execute(() -> r.send(ctx, keepAlive));
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            HttpErrors.send(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "server shutting down", false);
            PipeliningHandler.release(ctx);
        }
    }

    /** A JSON answer, without its body for HEAD (releases the held channel: see {@link #fullReply}). */
    static Reply jsonReply(Object value, boolean head) {
        return fullReply(HttpResponseStatus.OK, "application/json", Json.write(value), head);
    }

    /**
     * A complete answer with {@code body} ({@code head}: its headers only, the length the body's);
     * releases the channel held for it.
     */
    static Reply fullReply(HttpResponseStatus status, String type, String body, boolean head) {
        return (ctx, keepAlive) -> {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes));
            r.headers().set(CONTENT_TYPE, type).set(CACHE_CONTROL, "no-cache")
                    .set("X-Content-Type-Options", "nosniff")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
            HttpErrors.send(ctx, r, keepAlive);
            PipeliningHandler.release(ctx);
        };
    }

    /** An error answer; releases the channel held for it. */
    static Reply errorReply(HttpResponseStatus status, String message) {
        return (ctx, keepAlive) -> {
            HttpErrors.send(ctx, status, message, keepAlive);
            PipeliningHandler.release(ctx);
        };
    }

    static String first(QueryStringDecoder query, String name) {
        List<String> values = query.parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** A JSON header value: ASCII only (characters above {@code ~} as {@code \\uXXXX}). */
    static String asciiJson(Object value) {
        String s = Json.write(value);
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c > 0x7e) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    static void security(io.netty.handler.codec.http.HttpHeaders h) {
        h.set("Content-Security-Policy", CSP).set("X-Content-Type-Options", "nosniff")
                .set("Referrer-Policy", "no-referrer").set(HttpHeaderNames.X_FRAME_OPTIONS, "DENY");
    }
}
