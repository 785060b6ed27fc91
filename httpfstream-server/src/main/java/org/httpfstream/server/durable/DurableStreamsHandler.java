package org.httpfstream.server.durable;

import static io.netty.handler.codec.http.HttpHeaderNames.ACCEPT_RANGES;
import static io.netty.handler.codec.http.HttpHeaderNames.CACHE_CONTROL;
import static io.netty.handler.codec.http.HttpHeaderNames.CONNECTION;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_LENGTH;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_TYPE;
import static io.netty.handler.codec.http.HttpHeaderNames.HOST;
import static org.httpfstream.server.Headers.NEXT_OFFSET;
import static org.httpfstream.server.Headers.PRODUCER_EPOCH;
import static org.httpfstream.server.Headers.PRODUCER_SEQ;
import static org.httpfstream.server.Headers.STREAM_CLOSED;
import static org.httpfstream.server.Headers.WRITER_ACTIVE;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.AttributeKey;
import java.io.IOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import org.httpfstream.durable.DurableStreams;
import org.httpfstream.server.BlockingCalls;
import org.httpfstream.server.HttpFStreamSettings;
import org.httpfstream.server.ServerStats;
import org.httpfstream.server.connection.PipeliningHandler;
import org.httpfstream.server.follow.FollowerGate;
import org.httpfstream.server.http.SseSettings;
import org.httpfstream.server.routing.FailureStatus;
import org.httpfstream.server.routing.HttpErrors;
import org.httpfstream.store.Offsets;

/**
 * The Durable Streams protocol on HTTP: {@code PUT} creates, {@code POST} appends and closes, {@code
 * DELETE} deletes, {@code HEAD} describes, and {@code GET} reads ({@link DurableReads}: catch-up, {@code
 * live=long-poll} and {@code live=sse}) — plus CORS preflight ({@code OPTIONS}). The router ({@code
 * org.httpfstream.server.routing.HttpFStreamHandler}) sends requests here; the operations themselves are
 * {@link DurableStreams}', the headers are read by {@link DurableRequests}, and failures are answered
 * by the one failure map ({@link FailureStatus}). The operations run through {@link BlockingCalls}: at
 * once on the event loop with the file and memory stores, on the store's executor with one whose calls
 * are round trips to a cluster (NATS), the answer then written on the event loop.
 *
 * <p>Not a channel handler itself: it answers on the caller's channel. Thread safety: holds only
 * immutable state and thread-safe collaborators; safe from any event loop.
 */
public final class DurableStreamsHandler {
    /** Set on a channel while a long-poll waits on it: the HTTP idle timeout does not apply then. */
    public static final AttributeKey<Boolean> POLLING = AttributeKey.valueOf("httpfstream.polling");

    private final DurableStreams streams;
    private final DurableReads reads;
    private final BlockingCalls calls;

    /**
     * @param streams the Durable Streams operations
     * @param settings the transport's tunables (message sizes, long-poll timeout, read cap)
     * @param followers admits live readers (long-poll, SSE) within the limits
     * @param sse how long SSE responses last
     */
    public DurableStreamsHandler(DurableStreams streams, HttpFStreamSettings settings, FollowerGate followers,
            SseSettings sse) {
        this.streams = streams;
        this.calls = BlockingCalls.of(streams.storage());
        this.reads = new DurableReads(streams, settings, followers, sse, calls);
    }

    /** True for the methods only this protocol has. */
    public static boolean handles(HttpMethod method) {
        return HttpMethod.PUT.equals(method) || HttpMethod.POST.equals(method)
                || HttpMethod.DELETE.equals(method) || HttpMethod.OPTIONS.equals(method);
    }

    /** Answers {@code request} for the stream at {@code path}. Call on the channel's event loop. */
    public void handle(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder query, String path) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        HttpMethod method = request.method();
        try {
            if (HttpMethod.OPTIONS.equals(method)) {
                preflight(ctx, request, keepAlive);
            } else if (HttpMethod.PUT.equals(method)) {
                create(ctx, request, path, keepAlive);
            } else if (HttpMethod.POST.equals(method)) {
                append(ctx, request, path, keepAlive);
            } else if (HttpMethod.DELETE.equals(method)) {
                whenDurable(ctx, calls.future(() -> streams.delete(path)), "DELETE " + path, keepAlive,
                        v -> HttpErrors.send(ctx, empty(HttpResponseStatus.NO_CONTENT), keepAlive));
            } else if (HttpMethod.HEAD.equals(method)) {
                head(ctx, path, keepAlive);
            } else {
                reads.read(ctx, request, query, path, keepAlive);
            }
        } catch (IOException e) {
            fail(ctx, e, method + " " + path, keepAlive);
        }
    }

    /** Answers a failed request: 400 with its message for a malformed one, else by the failure map. */
    static void fail(ChannelHandlerContext ctx, IOException e, String what, boolean keepAlive) {
        if (e instanceof DurableRequests.BadRequest) {
            HttpErrors.send(ctx, HttpResponseStatus.BAD_REQUEST, e.getMessage(), keepAlive);
        } else {
            HttpErrors.fail(ctx, e, FailureStatus.Operation.DURABLE, what, keepAlive);
        }
    }

    private static void preflight(ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive) {
        FullHttpResponse r = empty(HttpResponseStatus.NO_CONTENT);
        String asked = request.headers().get("Access-Control-Request-Headers");
        r.headers()
                .set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS")
                .set("Access-Control-Allow-Headers", asked != null ? asked
                        : "Content-Type, If-None-Match, Stream-Seq, Stream-TTL, Stream-Expires-At, Stream-Closed, "
                        + "Producer-Id, Producer-Epoch, Producer-Seq, X-Verb, X-Frames")
                .set("Access-Control-Max-Age", "86400");
        HttpErrors.send(ctx, r, keepAlive);
    }

    private void create(ChannelHandlerContext ctx, FullHttpRequest request, String path, boolean keepAlive)
            throws IOException {
        DurableStreams.CreateRequest create = DurableRequests.create(request);
        CompletableFuture<DurableStreams.Created> created = calls.future(() -> streams.create(path, create));
        String host = request.headers().get(HOST);
        whenDurable(ctx, created, "PUT " + path, keepAlive, c -> created(ctx, c, path, host, keepAlive));
    }

    private static void created(ChannelHandlerContext ctx, DurableStreams.Created c, String path, String host,
            boolean keepAlive) {
        DurableStreams.Snapshot s = c.snapshot();
        FullHttpResponse r = empty(c.created() ? HttpResponseStatus.CREATED : HttpResponseStatus.OK);
        r.headers().set(CONTENT_TYPE, s.metadata().contentType())
                .set(NEXT_OFFSET, Offsets.format(s.tail()));
        if (c.created()) {
            r.headers().set("Location", host == null ? path : "http://" + host + path);
        }
        if (s.closed()) {
            r.headers().set(STREAM_CLOSED, "true");
        }
        HttpErrors.send(ctx, r, keepAlive);
    }

    private void append(ChannelHandlerContext ctx, FullHttpRequest request, String path, boolean keepAlive)
            throws IOException {
        DurableStreams.AppendRequest append = DurableRequests.append(request);
        CompletableFuture<DurableStreams.Appended> appended = calls.future(() -> streams.append(path, append));
        boolean produced = append.producer() != null && request.content().isReadable();
        boolean body = request.content().isReadable();
        whenDurable(ctx, appended, "POST " + path, keepAlive, a -> {
            if (body && !a.duplicate()) {
                ServerStats.of(ctx.channel()).appendStarted(ServerStats.AppendProtocol.HTTP);
            }
            appended(ctx, a, produced, keepAlive);
        });
    }

    private static void appended(ChannelHandlerContext ctx, DurableStreams.Appended a, boolean produced,
            boolean keepAlive) {
        boolean fresh = produced && !a.duplicate();
        FullHttpResponse r = empty(fresh ? HttpResponseStatus.OK : HttpResponseStatus.NO_CONTENT);
        r.headers().set(NEXT_OFFSET, Offsets.format(a.tail()));
        if (a.closed()) {
            r.headers().set(STREAM_CLOSED, "true");
        }
        if (a.producer() != null) {
            r.headers().set(PRODUCER_EPOCH, a.producer().epoch()).set(PRODUCER_SEQ, a.producer().seq());
        }
        HttpErrors.send(ctx, r, keepAlive);
    }

    /**
     * Answers with {@code answer} once {@code outcome} completes, on the channel's event loop: at once if
     * it already has (no fsync), else after the group commit. Meanwhile the connection's later requests
     * are held back ({@link PipeliningHandler}), so answers keep the order of the requests.
     */
    private static <T> void whenDurable(ChannelHandlerContext ctx, CompletableFuture<T> outcome, String what,
            boolean keepAlive, Consumer<T> answer) {
        if (outcome.isDone()) {
            answer(ctx, outcome, what, keepAlive, answer);
            return;
        }
        PipeliningHandler.hold(ctx);
        outcome.whenComplete((v, e) -> ctx.executor().execute(() -> {
            answer(ctx, outcome, what, keepAlive, answer);
            PipeliningHandler.release(ctx);
        }));
    }

    private static <T> void answer(ChannelHandlerContext ctx, CompletableFuture<T> outcome, String what,
            boolean keepAlive, Consumer<T> answer) {
        T result;
        try {
            result = outcome.join();
        } catch (CompletionException | CancellationException e) {
            Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null
                    ? c.getCause() : e.getCause();
            HttpErrors.fail(ctx, cause instanceof IOException io ? io : new IOException(String.valueOf(cause), cause),
                    FailureStatus.Operation.DURABLE, what, keepAlive);
            return;
        }
        answer.accept(result);
    }

    private void head(ChannelHandlerContext ctx, String path, boolean keepAlive) {
        calls.answer(ctx, null, () -> streams.head(path), s -> head(ctx, s, keepAlive),
                e -> fail(ctx, e, "HEAD " + path, keepAlive));
    }

    private void head(ChannelHandlerContext ctx, DurableStreams.Snapshot s, boolean keepAlive) {
        HttpHeaders h = new DefaultHttpHeaders();
        h.set(CONTENT_TYPE, DurableReads.contentType(s))
                .set(CACHE_CONTROL, "no-store")
                .set(NEXT_OFFSET, Offsets.format(s.tail()))
                .set(WRITER_ACTIVE, Boolean.toString(reads.live(s)));
        if (!s.metadata().json()) {
            h.set(CONTENT_LENGTH, s.tail()).set(ACCEPT_RANGES, HttpHeaderValues.BYTES);
        }
        DurableReads.streamHeaders(h, s);
        if (!keepAlive) {
            h.set(CONNECTION, HttpHeaderValues.CLOSE);
        }
        var done = ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.EMPTY_BUFFER, h, EmptyHttpHeaders.INSTANCE));
        if (!keepAlive) {
            done.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** An answer without a body; {@code Content-Length: 0} unless the status has no body by definition. */
    static FullHttpResponse empty(HttpResponseStatus status) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
        if (status.code() != 204 && status.code() != 304) {
            r.headers().set(CONTENT_LENGTH, 0);
        }
        return r;
    }
}
