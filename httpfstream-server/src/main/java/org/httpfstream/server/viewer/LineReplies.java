package org.httpfstream.server.viewer;

import static io.netty.handler.codec.http.HttpHeaderNames.CACHE_CONTROL;
import static io.netty.handler.codec.http.HttpHeaderNames.CONNECTION;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_LENGTH;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_TYPE;
import static io.netty.handler.codec.http.HttpHeaderNames.TRANSFER_ENCODING;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.httpfstream.durable.DurableStreams;
import org.httpfstream.server.Headers;
import org.httpfstream.server.HttpFStreamSettings;
import org.httpfstream.server.connection.PipeliningHandler;
import org.httpfstream.server.follow.FollowerGate;
import org.httpfstream.server.follow.FollowerQuota;
import org.httpfstream.server.http.LiveHttpHandler;
import org.httpfstream.server.http.LiveResponses;
import org.httpfstream.server.ws.WebSocketUpgrade;
import org.httpfstream.store.Follower;
import org.httpfstream.store.Offsets;
import org.httpfstream.store.SessionLease;
import org.httpfstream.store.StoredStream;
import org.httpfstream.viewer.LineIndex;
import org.httpfstream.viewer.LineIndexes;
import org.httpfstream.viewer.Section;
import org.httpfstream.viewer.StreamSource;

/**
 * {@code ?lines=N-M} and {@code ?tail=N} ({@code &follow}): the lines' bytes as they are in the
 * stream, after the SGR sequence that restores the ANSI state at their first byte, with the {@code
 * Line-*} headers of the contract. The index ({@link LineIndexes}) gives the offsets and the state;
 * {@link RangeBody} sends the bytes; a {@code &follow} on a live stream goes on as a plain {@code
 * ?follow} read ({@link LiveHttpHandler}) from the first line's offset.
 *
 * <p>Thread safety: holds only thread-safe collaborators. {@link #lines} and {@link #tail} block (run
 * them off the event loop); the replies they return run on the event loop.
 *
 * @param streams the Durable Streams rules (an open stream there is followed through them)
 * @param indexes the line indexes
 * @param followers the live-reader quota
 * @param settings the transport's tunables (a followed tail's keep-alive and message size)
 */
public record LineReplies(DurableStreams streams, LineIndexes indexes, FollowerGate followers,
        HttpFStreamSettings settings) {
    private static final String LINE_FIRST = Headers.LINE_FIRST;
    private static final String LINE_LAST = Headers.LINE_LAST;
    private static final String LINE_COUNT = Headers.LINE_COUNT;
    private static final String LINE_OFFSET = Headers.LINE_OFFSET;
    private static final String LINE_END_OFFSET = Headers.LINE_END_OFFSET;
    private static final String LINE_SECTIONS = Headers.LINE_SECTIONS;

    /** {@code N-M}, {@code N-} (to the end) or {@code N}: {first, last}; last is MAX_VALUE for open ranges. */
    static long[] range(String text) {
        String s = text == null ? "" : text.strip();
        int dash = s.indexOf('-');
        try {
            long first = Long.parseLong(dash < 0 ? s : s.substring(0, dash));
            long last = dash < 0 ? first : dash == s.length() - 1 ? Long.MAX_VALUE : Long.parseLong(s.substring(dash + 1));
            if (first < 1 || last < first) {
                throw new NumberFormatException();
            }
            return new long[] {first, last};
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad line range: " + text + " (use lines=N-M, N-, or N; from 1)");
        }
    }

    /** A line count of {@code ?tail=N}: 0 or more. */
    static long count(String text) {
        try {
            long n = Long.parseLong(text == null ? "" : text.strip());
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad line count: " + text + " (use tail=N, N >= 0)");
        }
    }

    /** Lines {@code first} to {@code last} (or the end) of the stream at {@code path} ({@code head}: headers only). */
    ViewerHandler.Reply lines(String path, long first, long last, boolean head) throws IOException {
        StoredStream stream = indexes.stream(path);
        LineIndex index = indexes.index(stream);
        long total = index.lineCount();
        if (first > total) {
            return ViewerHandler.errorReply(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                    "line " + first + " is beyond the end: " + path + " has " + total + " lines");
        }
        return reply(stream, index, first, Math.min(last, total), total, null, head);
    }

    /**
     * The last {@code count} lines, then (with {@code follow}, the request) every new byte while the stream
     * is live; {@code head}: headers only.
     */
    ViewerHandler.Reply tail(String path, long count, FullHttpRequest follow, boolean head) throws IOException {
        StoredStream stream = indexes.stream(path);
        LineIndex index = indexes.index(stream);
        long total = index.lineCount();
        long first = count == 0 ? total + 1 : Math.max(1, total - count + 1);
        return reply(stream, index, first, total, total, follow, head);
    }

    private ViewerHandler.Reply reply(StoredStream stream, LineIndex index, long first, long last, long total,
            FullHttpRequest follow, boolean head) throws IOException {
        LineIndex.Position at = first <= total ? index.position(first)
                : index.stateAt(Math.max(1, total), index.indexedLength());
        long end = last >= first ? index.lineStart(last + 1) : at.offset();
        Map<String, Object> headers = new LinkedHashMap<>();
        headers.put(LINE_FIRST, first);
        headers.put(LINE_LAST, last >= first ? last : first - 1);
        headers.put(LINE_COUNT, total);
        headers.put(LINE_OFFSET, at.offset());
        headers.put(LINE_END_OFFSET, end);
        headers.put(LINE_SECTIONS, ViewerHandler.asciiJson(sections(at.sections())));
        StreamSource file = indexes.source(stream);
        if (follow != null) {
            return (ctx, keepAlive) -> follow(ctx, follow, stream, headers, at, file, keepAlive);
        }
        return (ctx, keepAlive) -> send(ctx, headers, at, file, end, head, keepAlive);
    }

    private static List<Map<String, Object>> sections(List<Section> open) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (Section s : open) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("title", s.title());
            m.put("line", s.line());
            m.put("kind", s.kind());
            m.put("collapsed", s.collapsed());
            list.add(m);
        }
        return list;
    }

    private static HttpResponse head(Map<String, Object> headers) {
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        r.headers().set(CONTENT_TYPE, "text/plain; charset=utf-8").set(CACHE_CONTROL, "no-cache")
                .set("X-Content-Type-Options", "nosniff")
                .set("Access-Control-Expose-Headers", String.join(", ", headers.keySet()));
        headers.forEach((k, v) -> r.headers().set(k, String.valueOf(v)));
        return r;
    }

    private static void send(ChannelHandlerContext ctx, Map<String, Object> headers, LineIndex.Position at,
            StreamSource file, long end, boolean headOnly, boolean keepAlive) {
        HttpResponse r = head(headers);
        r.headers().set(CONTENT_LENGTH, at.sgr().length() + end - at.offset());
        if (!keepAlive) {
            r.headers().set(CONNECTION, HttpHeaderValues.CLOSE);
        }
        if (headOnly) {
            RangeBody.send(ctx, r, "", file, at.offset(), at.offset(), keepAlive);
        } else {
            RangeBody.send(ctx, r, at.sgr(), file, at.offset(), end, keepAlive);
        }
    }

    /** A tail that goes on live: a {@code ?follow} read from the first line, after its SGR prefix. */
    private void follow(ChannelHandlerContext ctx, FullHttpRequest request, StoredStream stream,
            Map<String, Object> headers, LineIndex.Position at, StreamSource file, boolean keepAlive) {
        DurableStreams.Snapshot open = openManaged(stream.name());
        SessionLease session = stream.session().orElse(null);
        boolean live = session != null && !session.ended() || open != null;
        if (!live) {
            send(ctx, headers, at, file, (Long) headers.get(LINE_END_OFFSET), false, keepAlive);
            return;
        }
        FollowerQuota.Place place = followers.admitUntilClosed(ctx, stream.key(), stream.name(), keepAlive);
        if (place == null) {
            file.close();
            PipeliningHandler.release(ctx);
            return; // answered 503
        }
        boolean closeDelimited = LiveResponses.closeDelimited(request);
        LiveHttpHandler reader = new LiveHttpHandler(stream.name(), Math.min(settings.binaryMessageSize(), 0x10000),
                2 * settings.pingInterval().toNanos(), closeDelimited);
        Follower subscription = subscribe(session, open, reader, at.offset());
        if (subscription == null) { // ended meanwhile: the lines so far
            place.release();
            send(ctx, headers, at, file, (Long) headers.get(LINE_END_OFFSET), false, keepAlive);
            return;
        }
        file.close();
        HttpResponse r = head(headers);
        r.headers().set(CONNECTION, HttpHeaderValues.CLOSE).set("X-Accel-Buffering", "no")
                .set(CACHE_CONTROL, "no-cache, no-transform")
                .set(Headers.STREAM_OFFSET, Offsets.format(at.offset())).set(Headers.WRITER_ACTIVE, "true");
        if (!closeDelimited) {
            r.headers().set(TRANSFER_ENCODING, HttpHeaderValues.CHUNKED)
                    .set("Trailer", Headers.NEXT_OFFSET + ", " + Headers.WRITER_ACTIVE);
        }
        PipeliningHandler.release(ctx);
        WebSocketUpgrade.leaveHttp(ctx);
        ctx.pipeline().addLast("follow", reader);
        ctx.channel().write(r);
        ctx.channel().writeAndFlush(new DefaultHttpContent(
                Unpooled.copiedBuffer(at.sgr(), StandardCharsets.US_ASCII)))
                .addListener(reader.startWhenWritten(subscription, at.offset()));
    }

    private Follower subscribe(SessionLease session, DurableStreams.Snapshot open, LiveHttpHandler reader,
            long from) {
        if (open != null) {
            try {
                return streams.follow(open, reader);
            } catch (IOException e) {
                return null;
            }
        }
        return session.follow(from, reader);
    }

    /** The stream's Durable Streams state if it is open there (live until closed), else null. */
    DurableStreams.Snapshot openManaged(String path) {
        try {
            DurableStreams.Snapshot s = streams.snapshot(path);
            return s != null && s.managed() && !s.closed() ? s : null;
        } catch (IOException e) {
            return null;
        }
    }
}
