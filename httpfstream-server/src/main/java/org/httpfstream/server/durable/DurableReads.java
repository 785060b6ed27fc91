package org.httpfstream.server.durable;

import static io.netty.handler.codec.http.HttpHeaderNames.CACHE_CONTROL;
import static io.netty.handler.codec.http.HttpHeaderNames.CONNECTION;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_LENGTH;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_TYPE;
import static io.netty.handler.codec.http.HttpHeaderNames.ETAG;
import static io.netty.handler.codec.http.HttpHeaderNames.IF_NONE_MATCH;
import static io.netty.handler.codec.http.HttpHeaderNames.TRANSFER_ENCODING;
import static org.httpfstream.server.Headers.NEXT_OFFSET;
import static org.httpfstream.server.Headers.SSE_ENCODING;
import static org.httpfstream.server.Headers.STREAM_CLOSED;
import static org.httpfstream.server.Headers.STREAM_CURSOR;
import static org.httpfstream.server.Headers.STREAM_EXPIRES_AT;
import static org.httpfstream.server.Headers.STREAM_OFFSET;
import static org.httpfstream.server.Headers.STREAM_TTL;
import static org.httpfstream.server.Headers.STREAM_UP_TO_DATE;
import static org.httpfstream.server.Headers.WRITER_ACTIVE;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.util.Objects;
import org.httpfstream.durable.DurableStreams;
import org.httpfstream.server.BlockingCalls;
import org.httpfstream.server.HttpFStreamSettings;
import org.httpfstream.server.follow.FollowerGate;
import org.httpfstream.server.follow.FollowerQuota;
import org.httpfstream.server.http.CatchUpBody;
import org.httpfstream.server.http.FileResponder;
import org.httpfstream.server.http.LiveResponses;
import org.httpfstream.server.http.SseHandler;
import org.httpfstream.server.http.SseSettings;
import org.httpfstream.server.routing.HttpErrors;
import org.httpfstream.store.InvalidOffsetException;
import org.httpfstream.store.Offsets;
import org.httpfstream.store.StreamMetadata;
import org.httpfstream.store.Follower;

/**
 * The Durable Streams {@code GET}: catch-up (everything up to the tail, or {@link
 * HttpFStreamSettings#maxReadBytes} if set, straight from the file by {@link CatchUpBody}), {@code
 * live=long-poll} ({@link LongPoll}) and {@code live=sse} (the request handler gives way to an {@link
 * SseHandler}).
 *
 * <p>Thread safety: holds only immutable state and thread-safe collaborators; safe from any event loop.
 */
final class DurableReads {
    private final DurableStreams streams;
    private final HttpFStreamSettings settings;
    private final FollowerGate followers;
    private final SseSettings sse;
    private final BlockingCalls calls;

    DurableReads(DurableStreams streams, HttpFStreamSettings settings, FollowerGate followers, SseSettings sse,
            BlockingCalls calls) {
        this.calls = Objects.requireNonNull(calls, "calls");
        this.streams = Objects.requireNonNull(streams, "streams");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.followers = Objects.requireNonNull(followers, "followers");
        this.sse = Objects.requireNonNull(sse, "sse");
    }

    DurableStreams streams() {
        return streams;
    }

    HttpFStreamSettings settings() {
        return settings;
    }

    BlockingCalls calls() {
        return calls;
    }

    void read(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder query, String path,
            boolean keepAlive) throws IOException {
        String offset = DurableRequests.offset(query);
        String live = DurableRequests.first(query, "live");
        if (live != null && !live.equals("long-poll") && !live.equals("sse")) {
            throw new DurableRequests.BadRequest("live must be long-poll or sse: " + live);
        }
        if (live != null && offset == null) {
            throw new DurableRequests.BadRequest("live=" + live + " needs an offset");
        }
        String cursor = DurableRequests.first(query, "cursor");
        calls.answer(ctx, request, () -> streams.open(path),
                s -> read(ctx, request, path, offset, live, cursor, s, keepAlive),
                e -> DurableStreamsHandler.fail(ctx, e, "GET " + path, keepAlive));
    }

    /** The read once the stream's state is known; on the event loop. */
    private void read(ChannelHandlerContext ctx, FullHttpRequest request, String path, String offset, String live,
            String cursor, DurableStreams.Snapshot s, boolean keepAlive) throws IOException {
        long from;
        try {
            from = Offsets.parse(offset, s.tail());
        } catch (InvalidOffsetException e) {
            throw new DurableRequests.BadRequest(e.getMessage());
        }
        if ("sse".equals(live)) {
            sse(ctx, request, path, s, from, cursor, keepAlive);
        } else if ("long-poll".equals(live)) {
            if (from < s.tail() || s.closed()) {
                catchUp(ctx, request, s, from, Offsets.NOW.equals(offset), true, cursor, keepAlive);
            } else {
                FollowerQuota.Place place = followers.admit(ctx, s.stream().key(), path, keepAlive);
                if (place != null) {
                    new LongPoll(this, ctx, request, path, s, from, cursor, keepAlive, place).start();
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
    void catchUp(ChannelHandlerContext ctx, FullHttpRequest request, DurableStreams.Snapshot s, long from,
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
            FullHttpResponse r = DurableStreamsHandler.empty(HttpResponseStatus.NO_CONTENT);
            r.headers().set(NEXT_OFFSET, Offsets.format(c.next()))
                    .set(STREAM_UP_TO_DATE, "true").set(STREAM_CLOSED, "true")
                    .set(CACHE_CONTROL, "no-store");
            HttpErrors.send(ctx, r, keepAlive);
            return false;
        }
        String etag = "\"" + Integer.toHexString(s.stream().key().hashCode()) + ":" + Offsets.format(c.from()) + ":"
                + Offsets.format(c.next()) + (closed ? ":c" : "") + "\"";
        if (!now && etag.equals(request.headers().get(IF_NONE_MATCH))) {
            FullHttpResponse r = DurableStreamsHandler.empty(HttpResponseStatus.NOT_MODIFIED);
            r.headers().set(ETAG, etag).set(NEXT_OFFSET, Offsets.format(c.next()));
            r.headers().remove(CONTENT_LENGTH);
            HttpErrors.send(ctx, r, keepAlive);
            return false;
        }
        boolean json = s.metadata().json();
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        HttpHeaders h = r.headers();
        h.set(CONTENT_TYPE, contentType(s))
                .set(CONTENT_LENGTH, CatchUpBody.length(c, json))
                .set(STREAM_OFFSET, Offsets.format(c.from()))
                .set(NEXT_OFFSET, Offsets.format(c.next()))
                .set(WRITER_ACTIVE, Boolean.toString(live(s)));
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
        Follower follower;
        try {
            follower = streams.follow(s, sse);
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
        ctx.channel().writeAndFlush(response).addListener(sse.startWhenWritten(follower, from));
    }

    /**
     * The value of {@code Stream-Writer-Active}: true while a WebSocket appender holds the stream, and
     * while a stream created over Durable Streams is open (it is live until closed, whoever appends), so
     * that a follower whose proxy dropped its WebSocket upgrade goes on with {@code ?follow}.
     */
    boolean live(DurableStreams.Snapshot s) {
        return streams.live(s);
    }

    /** The headers that describe a stream's metadata: closure, TTL, expiry. */
    static void streamHeaders(HttpHeaders h, DurableStreams.Snapshot s) {
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

    static String contentType(DurableStreams.Snapshot s) {
        if (s.managed()) {
            return s.metadata().contentType();
        }
        return FileResponder.contentType(s.stream().name().substring(s.stream().name().lastIndexOf('/') + 1));
    }
}
