package org.httpfstream.server.durable;

import org.httpfstream.server.Drain;
import org.httpfstream.server.HttpFStreamSettings;
import org.httpfstream.server.ServerStats;
import org.httpfstream.server.connection.DrainHandler;
import org.httpfstream.server.connection.PipeliningHandler;
import org.httpfstream.server.follow.FollowerGate;
import org.httpfstream.server.follow.FollowerQuota;
import org.httpfstream.server.http.CatchUpBody;
import org.httpfstream.server.http.FileResponder;
import org.httpfstream.server.http.LiveResponses;
import org.httpfstream.server.http.SseHandler;
import org.httpfstream.server.http.SseSettings;
import org.httpfstream.server.routing.HttpErrors;
import org.httpfstream.server.routing.HttpFStreamHandler;
import static io.netty.handler.codec.http.HttpHeaderNames.ACCEPT_RANGES;
import static io.netty.handler.codec.http.HttpHeaderNames.CACHE_CONTROL;
import static io.netty.handler.codec.http.HttpHeaderNames.CONNECTION;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_LENGTH;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_TYPE;
import static io.netty.handler.codec.http.HttpHeaderNames.ETAG;
import static io.netty.handler.codec.http.HttpHeaderNames.HOST;
import static io.netty.handler.codec.http.HttpHeaderNames.IF_NONE_MATCH;
import static io.netty.handler.codec.http.HttpHeaderNames.TRANSFER_ENCODING;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.httpfstream.durable.DurableStreamException;
import org.httpfstream.durable.DurableStreams;
import org.httpfstream.store.InvalidOffsetException;
import org.httpfstream.store.Offsets;
import org.httpfstream.store.StreamListener;
import org.httpfstream.store.StreamMetadata;
import org.httpfstream.store.Follower;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Durable Streams protocol on HTTP: {@code PUT} creates, {@code POST} appends and closes, {@code
 * DELETE} deletes, {@code HEAD} describes, and {@code GET} reads — catch-up (everything up to the
 * tail, or {@link HttpFStreamSettings#maxReadBytes} if set), {@code
 * live=long-poll} and {@code live=sse} — plus CORS preflight ({@code OPTIONS}). {@link
 * HttpFStreamHandler} routes requests here; the operations themselves are {@link DurableStreams}'.
 *
 * <p>Not a channel handler itself: it answers on the caller's channel. A long-poll waits without a
 * thread (a store watcher and a timer on the channel's event loop); an SSE read replaces the request
 * handler with an {@link SseHandler}. Thread safety: holds only immutable state; safe from any event
 * loop.
 */
public final class DurableStreamsHandler {
    private static final Logger LOG = LoggerFactory.getLogger(DurableStreamsHandler.class);

    static final String STREAM_CLOSED = "Stream-Closed";
    static final String STREAM_UP_TO_DATE = "Stream-Up-To-Date";
    static final String STREAM_CURSOR = "Stream-Cursor";
    static final String STREAM_TTL = "Stream-TTL";
    static final String STREAM_EXPIRES_AT = "Stream-Expires-At";
    static final String STREAM_SEQ = "Stream-Seq";
    static final String PRODUCER_ID = "Producer-Id";
    static final String PRODUCER_EPOCH = "Producer-Epoch";
    static final String PRODUCER_SEQ = "Producer-Seq";
    static final String SSE_ENCODING = "Stream-SSE-Data-Encoding";
    static final String FORKED_FROM = "Stream-Forked-From";
    static final String FORK_OFFSET = "Stream-Fork-Offset";
    static final String FORK_SUB_OFFSET = "Stream-Fork-Sub-Offset";

    /** Set on a channel while a long-poll waits on it: the HTTP idle timeout does not apply then. */
    public static final io.netty.util.AttributeKey<Boolean> POLLING = io.netty.util.AttributeKey.valueOf("httpfstream.polling");

    private static final Pattern DECIMAL = Pattern.compile("0|[1-9][0-9]*");
    private static final long MAX_SAFE_INTEGER = (1L << 53) - 1;

    private final DurableStreams streams;
    private final HttpFStreamSettings settings;
    private final FollowerGate followers;
    private final SseSettings sse;

    public DurableStreamsHandler(DurableStreams streams, HttpFStreamSettings settings, FollowerGate followers) {
        this(streams, settings, followers, SseSettings.defaults());
    }

    public DurableStreamsHandler(DurableStreams streams, HttpFStreamSettings settings, FollowerGate followers,
            SseSettings sse) {
        this.streams = Objects.requireNonNull(streams, "streams");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.followers = Objects.requireNonNull(followers, "followers");
        this.sse = Objects.requireNonNull(sse, "sse");
    }

    /** True for the methods only this protocol has. */
    public static boolean handles(HttpMethod method) {
        return HttpMethod.PUT.equals(method) || HttpMethod.POST.equals(method)
                || HttpMethod.DELETE.equals(method) || HttpMethod.OPTIONS.equals(method);
    }

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
                whenDurable(ctx, streams.delete(path), "DELETE " + path, keepAlive,
                        v -> send(ctx, empty(HttpResponseStatus.NO_CONTENT), keepAlive));
            } else if (HttpMethod.HEAD.equals(method)) {
                head(ctx, path, keepAlive);
            } else {
                read(ctx, request, query, path, keepAlive);
            }
        } catch (BadRequest e) {
            HttpErrors.send(ctx, HttpResponseStatus.BAD_REQUEST, e.getMessage(), keepAlive);
        } catch (IOException e) {
            fail(ctx, e, method + " " + path, keepAlive);
        }
    }

    private void preflight(ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive) {
        FullHttpResponse r = empty(HttpResponseStatus.NO_CONTENT);
        String asked = request.headers().get("Access-Control-Request-Headers");
        r.headers()
                .set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS")
                .set("Access-Control-Allow-Headers", asked != null ? asked
                        : "Content-Type, If-None-Match, Stream-Seq, Stream-TTL, Stream-Expires-At, Stream-Closed, "
                        + "Producer-Id, Producer-Epoch, Producer-Seq, X-Verb, X-Frames")
                .set("Access-Control-Max-Age", "86400");
        send(ctx, r, keepAlive);
    }

    private void create(ChannelHandlerContext ctx, FullHttpRequest request, String path, boolean keepAlive)
            throws IOException {
        HttpHeaders h = request.headers();
        String ttl = h.get(STREAM_TTL);
        String expires = h.get(STREAM_EXPIRES_AT);
        if (ttl != null && expires != null) {
            throw new BadRequest("Stream-TTL and Stream-Expires-At cannot both be given");
        }
        Long ttlSeconds = null;
        if (ttl != null) {
            if (!DECIMAL.matcher(ttl.trim()).matches() || ttl.trim().length() > 15) {
                throw new BadRequest("Stream-TTL must be a non-negative integer of seconds: " + ttl);
            }
            ttlSeconds = Long.parseLong(ttl.trim());
        }
        Instant expiresAt = null;
        if (expires != null) {
            try {
                expiresAt = OffsetDateTime.parse(expires.trim()).toInstant();
            } catch (DateTimeParseException e) {
                throw new BadRequest("Stream-Expires-At must be an RFC 3339 timestamp: " + expires);
            }
        }
        CompletableFuture<DurableStreams.Created> created = streams.create(path, new DurableStreams.CreateRequest(
                h.get(CONTENT_TYPE), ttlSeconds, expires == null ? null : expires.trim(), expiresAt,
                isTrue(h.get(STREAM_CLOSED)), ByteBufUtil.getBytes(request.content()), fork(h)));
        String host = h.get(HOST);
        whenDurable(ctx, created, "PUT " + path, keepAlive, c -> created(ctx, c, path, host, keepAlive));
    }

    private void created(ChannelHandlerContext ctx, DurableStreams.Created c, String path, String host,
            boolean keepAlive) {
        DurableStreams.Snapshot s = c.snapshot();
        FullHttpResponse r = empty(c.created() ? HttpResponseStatus.CREATED : HttpResponseStatus.OK);
        r.headers().set(CONTENT_TYPE, s.metadata().contentType())
                .set(HttpFStreamHandler.NEXT_OFFSET, Offsets.format(s.tail()));
        if (c.created()) {
            r.headers().set("Location", host == null ? path : "http://" + host + path);
        }
        if (s.closed()) {
            r.headers().set(STREAM_CLOSED, "true");
        }
        send(ctx, r, keepAlive);
    }

    /** The fork headers of a create, or null if it is not a fork. */
    private static DurableStreams.ForkRequest fork(HttpHeaders h) throws BadRequest {
        String from = h.get(FORKED_FROM);
        String offset = h.get(FORK_OFFSET);
        String sub = h.get(FORK_SUB_OFFSET);
        if (from == null) {
            if (offset != null || sub != null) {
                throw new BadRequest(FORK_OFFSET + " and " + FORK_SUB_OFFSET + " need " + FORKED_FROM);
            }
            return null;
        }
        long subOffset = 0;
        if (sub != null) {
            if (!DECIMAL.matcher(sub.trim()).matches() || sub.trim().length() > 18) {
                throw new BadRequest(FORK_SUB_OFFSET + " must be a non-negative integer: " + sub);
            }
            subOffset = Long.parseLong(sub.trim());
            if (subOffset > 0 && offset == null) {
                throw new BadRequest(FORK_SUB_OFFSET + " needs " + FORK_OFFSET);
            }
        }
        String source = from.trim();
        if (source.startsWith("http://") || source.startsWith("https://")) {
            source = java.net.URI.create(source).getRawPath();
        }
        source = QueryStringDecoder.decodeComponent(source);
        if (!source.startsWith("/")) {
            throw new BadRequest(FORKED_FROM + " must be a path: " + from);
        }
        return new DurableStreams.ForkRequest(source, offset == null ? null : offset.trim(), subOffset);
    }

    private void append(ChannelHandlerContext ctx, FullHttpRequest request, String path, boolean keepAlive)
            throws IOException {
        HttpHeaders h = request.headers();
        String id = h.get(PRODUCER_ID);
        String epoch = h.get(PRODUCER_EPOCH);
        String seq = h.get(PRODUCER_SEQ);
        DurableStreams.ProducerRequest producer = null;
        if (id != null || epoch != null || seq != null) {
            if (id == null || epoch == null || seq == null) {
                throw new BadRequest("Producer-Id, Producer-Epoch and Producer-Seq go together");
            }
            if (id.isEmpty()) {
                throw new BadRequest("Producer-Id must not be empty");
            }
            producer = new DurableStreams.ProducerRequest(id, safeInteger(epoch, PRODUCER_EPOCH),
                    safeInteger(seq, PRODUCER_SEQ));
        }
        boolean close = isTrue(h.get(STREAM_CLOSED));
        CompletableFuture<DurableStreams.Appended> appended;
        try {
            appended = streams.append(path, new DurableStreams.AppendRequest(h.get(CONTENT_TYPE),
                    h.get(STREAM_SEQ), producer, close, ByteBufUtil.getBytes(request.content())));
        } catch (DurableStreamException e) {
            send(ctx, error(e), keepAlive);
            return;
        }
        boolean produced = producer != null && request.content().isReadable();
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
        r.headers().set(HttpFStreamHandler.NEXT_OFFSET, Offsets.format(a.tail()));
        if (a.closed()) {
            r.headers().set(STREAM_CLOSED, "true");
        }
        if (a.producer() != null) {
            r.headers().set(PRODUCER_EPOCH, a.producer().epoch()).set(PRODUCER_SEQ, a.producer().seq());
        }
        send(ctx, r, keepAlive);
    }

    /**
     * Answers with {@code answer} once {@code outcome} completes, on the channel's event loop: at once if
     * it already has (no fsync), else after the group commit. Meanwhile the connection's later requests
     * are held back ({@link PipeliningHandler}), so answers keep the order of the requests.
     */
    private static <T> void whenDurable(ChannelHandlerContext ctx, CompletableFuture<T> outcome, String what,
            boolean keepAlive, java.util.function.Consumer<T> answer) {
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
            boolean keepAlive, java.util.function.Consumer<T> answer) {
        T result;
        try {
            result = outcome.join();
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null
                    ? c.getCause() : e.getCause();
            fail(ctx, cause instanceof IOException io ? io : new IOException(String.valueOf(cause), cause), what,
                    keepAlive);
            return;
        }
        answer.accept(result);
    }

    /**
     * The value of {@code Stream-Writer-Active}: true while a WebSocket appender holds the stream, and
     * while a stream created over Durable Streams is open (it is live until closed, whoever appends), so
     * that a follower whose proxy dropped its WebSocket upgrade goes on with {@code ?follow}.
     */
    private boolean live(DurableStreams.Snapshot s) {
        return streams.live(s);
    }

    private void head(ChannelHandlerContext ctx, String path, boolean keepAlive) throws IOException {
        DurableStreams.Snapshot s = streams.head(path);
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        HttpHeaders h = response.headers();
        h.set(CONTENT_TYPE, contentType(s))
                .set(CACHE_CONTROL, "no-store")
                .set(HttpFStreamHandler.NEXT_OFFSET, Offsets.format(s.tail()))
                .set(HttpFStreamHandler.WRITER_ACTIVE, Boolean.toString(live(s)));
        if (!s.metadata().json()) {
            h.set(CONTENT_LENGTH, s.tail()).set(ACCEPT_RANGES, HttpHeaderValues.BYTES);
        }
        streamHeaders(h, s);
        if (!keepAlive) {
            h.set(CONNECTION, HttpHeaderValues.CLOSE);
        }
        var done = ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.EMPTY_BUFFER, h, EmptyHttpHeaders.INSTANCE));
        if (!keepAlive) {
            done.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private void read(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder query, String path,
            boolean keepAlive) throws IOException {
        List<String> offsets = query.parameters().get(HttpFStreamHandler.OFFSET_PARAM);
        String live = first(query, "live");
        if (offsets != null && offsets.size() > 1) {
            throw new BadRequest("offset given more than once");
        }
        String offset = offsets == null ? null : offsets.get(0);
        if (live != null && !live.equals("long-poll") && !live.equals("sse")) {
            throw new BadRequest("live must be long-poll or sse: " + live);
        }
        if (live != null && offset == null) {
            throw new BadRequest("live=" + live + " needs an offset");
        }
        DurableStreams.Snapshot s = streams.open(path);
        long from;
        try {
            from = Offsets.parse(offset, s.tail());
        } catch (InvalidOffsetException e) {
            throw new BadRequest(e.getMessage());
        }
        String cursor = first(query, "cursor");
        if ("sse".equals(live)) {
            sse(ctx, request, path, s, from, cursor, keepAlive);
        } else if ("long-poll".equals(live)) {
            if (from < s.tail() || s.closed()) {
                catchUp(ctx, request, s, from, Offsets.NOW.equals(offset), true, cursor, keepAlive);
            } else {
                FollowerQuota.Place place = followers.admit(ctx, s.stream().key(), path, keepAlive);
                if (place != null) {
                    new LongPoll(ctx, request, path, s, from, cursor, keepAlive, place).start();
                }
            }
        } else {
            catchUp(ctx, request, s, from, Offsets.NOW.equals(offset), false, cursor, keepAlive);
        }
    }

    /**
     * Answers with the bytes from {@code from} up to the tail as of now (at most {@code maxReadBytes} of
     * the settings, if set), straight from the file ({@link CatchUpBody}); 204 for a long-poll at the
     * tail of a closed stream.
     */
    private void catchUp(ChannelHandlerContext ctx, FullHttpRequest request, DurableStreams.Snapshot s, long from,
            boolean now, boolean live, String cursor, boolean keepAlive) throws IOException {
        DurableStreams.Extent c = streams.openRead(s, from, settings.maxReadBytes());
        boolean sent = false;
        try {
            sent = catchUp(ctx, request, s, c, now, live, cursor, keepAlive);
        } finally {
            if (!sent) {
                c.close();
            }
        }
    }

    /** True if the body was sent (which takes over the extent's file). */
    private boolean catchUp(ChannelHandlerContext ctx, FullHttpRequest request, DurableStreams.Snapshot s,
            DurableStreams.Extent c, boolean now, boolean live, String cursor, boolean keepAlive) {
        boolean closed = s.closed() && c.upToDate();
        if (live && c.length() == 0) { // long-poll at the tail of a closed stream
            FullHttpResponse r = empty(HttpResponseStatus.NO_CONTENT);
            r.headers().set(HttpFStreamHandler.NEXT_OFFSET, Offsets.format(c.next()))
                    .set(STREAM_UP_TO_DATE, "true").set(STREAM_CLOSED, "true")
                    .set(CACHE_CONTROL, "no-store");
            send(ctx, r, keepAlive);
            return false;
        }
        String etag = "\"" + Integer.toHexString(s.stream().key().hashCode()) + ":" + Offsets.format(c.from()) + ":"
                + Offsets.format(c.next()) + (closed ? ":c" : "") + "\"";
        if (!now && etag.equals(request.headers().get(IF_NONE_MATCH))) {
            FullHttpResponse r = empty(HttpResponseStatus.NOT_MODIFIED);
            r.headers().set(ETAG, etag).set(HttpFStreamHandler.NEXT_OFFSET, Offsets.format(c.next()));
            r.headers().remove(CONTENT_LENGTH);
            send(ctx, r, keepAlive);
            return false;
        }
        boolean json = s.metadata().json();
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        HttpHeaders h = r.headers();
        h.set(CONTENT_TYPE, contentType(s))
                .set(CONTENT_LENGTH, CatchUpBody.length(c, json))
                .set(HttpFStreamHandler.STREAM_OFFSET, Offsets.format(c.from()))
                .set(HttpFStreamHandler.NEXT_OFFSET, Offsets.format(c.next()))
                .set(HttpFStreamHandler.WRITER_ACTIVE, Boolean.toString(live(s)));
        if (c.upToDate()) {
            h.set(STREAM_UP_TO_DATE, "true");
        }
        if (closed) {
            h.set(STREAM_CLOSED, "true");
        } else {
            h.set(STREAM_CURSOR, StreamCursors.next(cursor, System.currentTimeMillis()));
        }
        if (now) {
            h.set(CACHE_CONTROL, "no-store");
        } else {
            h.set(ETAG, etag).set(CACHE_CONTROL, "public, max-age=60, stale-while-revalidate=300");
        }
        if (!keepAlive) {
            h.set(CONNECTION, HttpHeaderValues.CLOSE);
        }
        CatchUpBody.send(ctx, r, c, json, keepAlive);
        return true;
    }

    /**
     * Starts an SSE response. Chunked for HTTP/1.1; an HTTP/1.0 request, which knows no chunked coding,
     * gets it delimited by the end of the connection.
     */
    private void sse(ChannelHandlerContext ctx, FullHttpRequest request, String path, DurableStreams.Snapshot s,
            long from, String cursor, boolean keepAlive) throws IOException {
        FollowerQuota.Place place = followers.admitUntilClosed(ctx, s.stream().key(), path, keepAlive);
        if (place == null) {
            return; // answered 503
        }
        String type = StreamMetadata.mediaType(contentType(s));
        SseHandler.Encoding encoding = s.metadata().json() ? SseHandler.Encoding.JSON
                : type.startsWith("text/") ? SseHandler.Encoding.TEXT : SseHandler.Encoding.BASE64;
        SseHandler sse = new SseHandler(path, encoding, cursor, this.sse.maxAge(), settings.pingInterval());
        Follower subscription;
        try {
            subscription = streams.follow(s, sse);
        } catch (IOException | RuntimeException e) {
            place.release();
            throw e;
        }
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers()
                .set(CONTENT_TYPE, "text/event-stream")
                .set(CONNECTION, HttpHeaderValues.CLOSE)
                .set(CACHE_CONTROL, "no-cache, no-transform")
                .set("X-Accel-Buffering", "no");
        if (!LiveResponses.closeDelimited(request)) {
            response.headers().set(TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        if (encoding == SseHandler.Encoding.BASE64) {
            response.headers().set(SSE_ENCODING, "base64");
        }
        ChannelPipeline p = ctx.pipeline();
        if (p.get("idle") != null) {
            p.remove("idle");
        }
        p.addLast("sse", sse);
        p.remove(ctx.name());
        ctx.channel().writeAndFlush(response).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                sse.start(subscription, from);
            } else {
                subscription.close();
                f.channel().close();
            }
        });
    }

    /** A long-poll read at the tail: answers once data arrives, the stream closes, or the timeout passes. */
    private final class LongPoll implements StreamListener {
        private final ChannelHandlerContext ctx;
        private final FullHttpRequest request;
        private final String path;
        private final DurableStreams.Snapshot snapshot;
        private final long from;
        private final String cursor;
        private final boolean keepAlive;
        /** This reader's place among the live readers, given back when the wait ends. */
        private final FollowerQuota.Place place;
        private final AtomicBoolean done = new AtomicBoolean();
        /** Ends the wait if the connection closes; removed when the wait ends, so polls do not pile up on it. */
        private final io.netty.util.concurrent.GenericFutureListener<io.netty.util.concurrent.Future<? super Void>>
                onClose = f -> finish();
        private ScheduledFuture<?> timeout;

        LongPoll(ChannelHandlerContext ctx, FullHttpRequest request, String path, DurableStreams.Snapshot snapshot,
                long from, String cursor, boolean keepAlive, FollowerQuota.Place place) {
            this.ctx = ctx;
            this.place = place;
            this.path = path;
            this.request = request.retainedDuplicate();
            this.snapshot = snapshot;
            this.from = from;
            this.cursor = cursor;
            this.keepAlive = keepAlive;
        }

        void start() {
            ServerStats.of(ctx.channel()).followerStarted(ServerStats.FollowerKind.LONG_POLL, null);
            ctx.channel().attr(POLLING).set(Boolean.TRUE);
            streams.watch(snapshot, this);
            timeout = ctx.executor().schedule(this::timedOut, settings.longPollTimeout().toMillis(),
                    TimeUnit.MILLISECONDS);
            ctx.channel().closeFuture().addListener(onClose);
            // A draining server answers as the timeout would, at once (Drain).
            ctx.channel().attr(Drain.WAKE).set(this::timedOut);
            check(); // anything that happened before the watch (we are on the channel's event loop)
            if (DrainHandler.draining(ctx.channel())) {
                timedOut();
            }
        }

        @Override
        public void onChange() {
            ctx.executor().execute(this::check);
        }

        private void check() {
            if (done.get()) {
                return;
            }
            try {
                if (!moved()) {
                    return;
                }
                DurableStreams.Snapshot now = streams.refresh(path, snapshot);
                if (now == null) {
                    if (finish()) {
                        fail(ctx, new DurableStreamException(DurableStreamException.Reason.NOT_FOUND,
                                "no such stream: " + path), "long-poll", keepAlive);
                    }
                    return;
                }
                if (now.tail() > from || now.closed()) {
                    if (finish()) {
                        catchUp(ctx, request, now, from, false, true, cursor, keepAlive);
                    }
                }
            } catch (IOException e) {
                if (finish()) {
                    fail(ctx, e, "long-poll", keepAlive);
                }
            }
        }

        /**
         * A cheap first look, without the stream's lock or path resolution: false only if the stream is
         * certainly still open, not deleted and no longer than {@code from}. Anything else (new bytes,
         * closure, deletion, a failure) is left to a full snapshot.
         */
        private boolean moved() {
            try {
                Optional<StreamMetadata> m = snapshot.stream().publishedMetadata();
                if (m.isPresent() && (m.get().closed() || m.get().softDeleted())) {
                    return true;
                }
                return snapshot.stream().committedLength() > from;
            } catch (IOException e) {
                return true; // gone or unreadable: the snapshot says which
            }
        }

        private void timedOut() {
            if (!finish()) {
                return;
            }
            FullHttpResponse r = empty(HttpResponseStatus.NO_CONTENT);
            r.headers().set(HttpFStreamHandler.NEXT_OFFSET, Offsets.format(from))
                    .set(STREAM_UP_TO_DATE, "true")
                    .set(STREAM_CURSOR, StreamCursors.next(cursor, System.currentTimeMillis()))
                    .set(CACHE_CONTROL, "no-store");
            send(ctx, r, keepAlive);
        }

        /** True for the one caller that ends the wait. */
        private boolean finish() {
            if (!done.compareAndSet(false, true)) {
                return false;
            }
            streams.unwatch(snapshot, this);
            ctx.channel().closeFuture().removeListener(onClose);
            ctx.channel().attr(POLLING).set(null);
            ctx.channel().attr(Drain.WAKE).set(null);
            if (timeout != null) {
                timeout.cancel(false);
            }
            place.release();
            ServerStats.of(ctx.channel()).followerEnded(ServerStats.FollowerKind.LONG_POLL, null);
            ctx.executor().execute(request::release);
            return true;
        }
    }

    private void streamHeaders(HttpHeaders h, DurableStreams.Snapshot s) {
        StreamMetadata m = s.metadata();
        if (m.closed()) {
            h.set(STREAM_CLOSED, "true");
        }
        if (m.ttlSeconds() != null) {
            h.set(STREAM_TTL, m.ttlSeconds());
        }
        if (m.expiresAt() != null) {
            h.set(STREAM_EXPIRES_AT, m.expiresAt());
        }
    }

    private static String contentType(DurableStreams.Snapshot s) {
        if (s.managed()) {
            return s.metadata().contentType();
        }
        return FileResponder.contentType(s.stream().name().substring(s.stream().name().lastIndexOf('/') + 1));
    }

    private static FullHttpResponse error(DurableStreamException e) {
        HttpResponseStatus status = switch (e.reason()) {
            case BAD_REQUEST -> HttpResponseStatus.BAD_REQUEST;
            case NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
            case STALE_EPOCH -> HttpResponseStatus.FORBIDDEN;
            case GONE -> HttpResponseStatus.GONE;
            default -> HttpResponseStatus.CONFLICT;
        };
        FullHttpResponse r = HttpErrors.response(status, e.getMessage());
        HttpHeaders h = r.headers();
        switch (e.reason()) {
            case CLOSED -> h.set(STREAM_CLOSED, "true").set(HttpFStreamHandler.NEXT_OFFSET, Offsets.format(e.nextOffset()));
            case STALE_EPOCH -> h.set(PRODUCER_EPOCH, e.producerEpoch());
            case SEQUENCE_GAP -> h.set("Producer-Expected-Seq", e.expectedSeq())
                    .set("Producer-Received-Seq", e.receivedSeq());
            default -> { }
        }
        return r;
    }

    static void fail(ChannelHandlerContext ctx, IOException e, String what, boolean keepAlive) {
        if (e instanceof DurableStreamException d) {
            send(ctx, error(d), keepAlive);
            return;
        }
        HttpResponseStatus status = HttpErrors.statusFor(e, true);
        if (status == null) {
            LOG.error("{} failed", what, e);
            HttpErrors.send(ctx, HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    "internal error: " + e.getClass().getSimpleName(), false);
            return;
        }
        HttpErrors.send(ctx, status, HttpErrors.messageFor(e), keepAlive);
    }

    private static FullHttpResponse empty(HttpResponseStatus status) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
        if (status.code() != 204 && status.code() != 304) {
            r.headers().set(CONTENT_LENGTH, 0);
        }
        return r;
    }

    private static void send(ChannelHandlerContext ctx, FullHttpResponse r, boolean keepAlive) {
        if (!keepAlive) {
            r.headers().set(CONNECTION, HttpHeaderValues.CLOSE);
        }
        var f = ctx.writeAndFlush(r);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static boolean isTrue(String value) {
        return value != null && value.trim().equalsIgnoreCase("true");
    }

    /**
     * Parses a producer number: a decimal integer from 0 to 2^53-1 (JavaScript's largest safe integer,
     * which the protocol's clients can count to), without sign or leading zeros.
     */
    private static long safeInteger(String value, String name) throws BadRequest {
        String v = value.trim();
        if (!DECIMAL.matcher(v).matches()) {
            throw new BadRequest(name + " must be a non-negative decimal integer: " + value);
        }
        // 17 digits or more is past 2^53-1 (16 digits) whatever they are, and may not fit a long.
        if (v.length() > 16 || Long.parseLong(v) > MAX_SAFE_INTEGER) {
            throw new BadRequest(name + " must be at most 2^53-1 (" + MAX_SAFE_INTEGER + "): " + value);
        }
        return Long.parseLong(v);
    }

    private static String first(QueryStringDecoder query, String name) {
        List<String> values = query.parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** A malformed request: answered with 400 and the message. */
    private static final class BadRequest extends IOException {
        private static final long serialVersionUID = 1L;

        BadRequest(String message) {
            super(message);
        }
    }
}
