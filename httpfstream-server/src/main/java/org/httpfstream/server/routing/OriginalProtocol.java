package org.httpfstream.server.routing;

import static io.netty.handler.codec.http.HttpHeaderNames.CACHE_CONTROL;
import static io.netty.handler.codec.http.HttpHeaderNames.CONNECTION;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_TYPE;
import static io.netty.handler.codec.http.HttpHeaderNames.TRANSFER_ENCODING;
import static io.netty.handler.codec.http.HttpHeaderNames.UPGRADE;
import static org.httpfstream.server.Headers.APPEND_ACKS;
import static org.httpfstream.server.Headers.EXPECTED_OFFSET;
import static org.httpfstream.server.Headers.FRAMES_HEADER;
import static org.httpfstream.server.Headers.FRAMES_PARAM;
import static org.httpfstream.server.Headers.NEXT_OFFSET;
import static org.httpfstream.server.Headers.OFFSET_PARAM;
import static org.httpfstream.server.Headers.FOLLOW_PARAM;
import static org.httpfstream.server.Headers.STREAM_OFFSET;
import static org.httpfstream.server.Headers.WRITER_ACTIVE;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import org.httpfstream.durable.DurableStreams;
import org.httpfstream.server.BlockingCalls;
import org.httpfstream.server.HttpFStreamSettings;
import org.httpfstream.server.ServerStats;
import org.httpfstream.server.follow.FollowerGate;
import org.httpfstream.server.follow.FollowerHandler;
import org.httpfstream.server.follow.FollowerQuota;
import org.httpfstream.server.http.FileResponder;
import org.httpfstream.server.http.LiveHttpHandler;
import org.httpfstream.server.http.LiveResponses;
import org.httpfstream.server.ws.FollowHandler;
import org.httpfstream.server.ws.WebSocketUpgrade;
import org.httpfstream.store.Follower;
import org.httpfstream.store.NotAStreamException;
import org.httpfstream.store.Offsets;
import org.httpfstream.store.SessionLease;
import org.httpfstream.store.Storage;
import org.httpfstream.store.StoredStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code GET}s of the original httpfstream protocol. {@code APPEND} appends over a WebSocket
 * ({@link WebSocketUpgrade#toAppender}); anything else follows: with a live WebSocket ({@link
 * FollowHandler}) or a live chunked response ({@code ?follow}, {@link LiveHttpHandler}) while an appender
 * is active or a Durable Streams stream is open, else with the file over plain HTTP ({@link
 * FileResponder}); a finished stream to a follower that asks for an upgrade with BINARY messages gets a
 * WebSocket too, which sends the bytes and closes with 1000 (browsers report a {@code 200} to an upgrade
 * as a failure).
 *
 * <p>Every stream is reached through the storage seam ({@link Storage}): an APPEND holds the stream's
 * long-held lease ({@link StoredStream#startSession()}), a read asks whether a session is live ({@link
 * StoredStream#session()}) and follows it ({@link SessionLease#follow}), and a plain read sends the
 * stream's file zero-copy where the store has one ({@link StoredStream#openChannel()}), else its bytes
 * through {@link StoredStream#read}. So every store serves the original protocol.
 *
 * <p>Thread safety: holds only immutable state and thread-safe collaborators; call on the channel's
 * event loop.
 */
public final class OriginalProtocol {
    private static final Logger LOG = LoggerFactory.getLogger(OriginalProtocol.class);

    private final Storage storage;
    private final DurableStreams streams;
    private final HttpFStreamSettings settings;
    private final FollowerGate followers;
    private final WebSocketUpgrade upgrade;
    private final BlockingCalls calls;

    /** The original protocol over {@code storage}, the storage {@code streams} (the Durable Streams rules) use. */
    public OriginalProtocol(Storage storage, DurableStreams streams, HttpFStreamSettings settings,
            FollowerGate followers) {
        this.storage = storage;
        this.streams = streams;
        this.settings = settings;
        this.followers = followers;
        this.upgrade = new WebSocketUpgrade(settings);
        this.calls = BlockingCalls.of(storage);
    }

    /** Where the reads' store work runs: at once, or off the event loop with a store that blocks. */
    BlockingCalls calls() {
        return calls;
    }

    /** An {@code APPEND}: takes the stream's lease and upgrades to a WebSocket appender. */
    void append(ChannelHandlerContext ctx, FullHttpRequest request, String path) {
        if (!WebSocketUpgrade.isUpgrade(request)) {
            FullHttpResponse response = HttpErrors.response(HttpResponseStatus.UPGRADE_REQUIRED,
                    "APPEND needs a WebSocket upgrade (Upgrade: websocket)");
            response.headers().set(UPGRADE, HttpHeaderValues.WEBSOCKET);
            ctx.writeAndFlush(response);
            return;
        }
        WebSocketServerHandshaker handshaker = upgrade.handshaker(ctx, request, false);
        if (handshaker == null) {
            return;
        }
        SessionLease session;
        long expected;
        try {
            expected = Offsets.expected(request.headers().get(EXPECTED_OFFSET));
            session = storage.stream(path).startSession();
        } catch (IOException e) {
            HttpErrors.fail(ctx, e, FailureStatus.Operation.APPEND, "APPEND " + path, false);
            return;
        }
        if (expected >= 0 && session.start() != expected) {
            // Compare-and-append: the session holds the lease, so its start is the stream's length;
            // refused before the upgrade, the lease given back at once.
            long length = session.start();
            session.end();
            LOG.info("APPEND {} refused: expected offset {}, length {}", path, expected, length);
            FullHttpResponse refused = HttpErrors.response(HttpResponseStatus.CONFLICT, EXPECTED_OFFSET + " "
                    + Offsets.format(expected) + " is not the stream's length (" + Offsets.format(length) + ")");
            refused.headers().set(NEXT_OFFSET, Offsets.format(length));
            HttpErrors.send(ctx, refused, false);
            return;
        }
        boolean acks = "true".equalsIgnoreCase(request.headers().get(APPEND_ACKS));
        LOG.info("APPEND {} started at byte {} from {}{}", path, session.start(),
                ctx.channel().remoteAddress(), acks ? " (committed offsets reported)" : "");
        ServerStats.of(ctx.channel()).appendStarted(ServerStats.AppendProtocol.WEBSOCKET);
        upgrade.toAppender(ctx, handshaker, request, path, session, acks);
    }

    /** What a read found at a path: the stream and, while an appender is active, its session. */
    private record Found(String name, StoredStream stream, SessionLease session) {
        boolean live() {
            return session != null;
        }
    }

    /**
     * The stream at {@code path} for reading.
     *
     * @throws NoSuchFileException if nothing was ever written there
     * @throws NotAStreamException if the path names a folder
     */
    private Found lookup(String path) throws IOException {
        StoredStream stream = storage.stream(path);
        SessionLease session = stream.session().orElse(null);
        if (session == null && !stream.exists()) {
            throw stream.folder() ? new NotAStreamException(path + " is a folder, not a stream")
                    : new NoSuchFileException(path);
        }
        return new Found(path, stream, session);
    }

    /**
     * What a read found in the store, before it answers: the stream, its length, the offset asked, and
     * its Durable Streams state if it was created over that protocol.
     *
     * @param open the state if the stream is open there (live until closed), else null
     * @param managed the state if it was created over Durable Streams, else null
     */
    private record Plan(Found info, long tail, long from, DurableStreams.Snapshot open,
            DurableStreams.Snapshot managed) {}

    /** The store work of a read (off the event loop with a store that blocks). */
    private Plan plan(String path, String offset) throws IOException {
        Found info = lookup(path);
        long tail = info.live() ? info.session().length() : info.stream().committedLength();
        long from = Offsets.parse(offset, tail);
        DurableStreams.Snapshot managed = managedSnapshot(path);
        return new Plan(info, tail, from, managed != null && !managed.closed() ? managed : null, managed);
    }

    /** A read: live over a WebSocket or HTTP while the stream is live, else the bytes written so far. */
    void follow(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder query, String path,
            boolean keepAlive) {
        String offset = HttpFStreamHandler.first(query, OFFSET_PARAM);
        calls.answer(ctx, request, () -> plan(path, offset),
                plan -> follow(ctx, request, query, path, offset, plan, keepAlive),
                e -> HttpErrors.fail(ctx, e, FailureStatus.Operation.READ, "FOLLOW " + path, keepAlive));
    }

    /** A read once the store answered {@code plan}; on the event loop. */
    private void follow(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder query, String path,
            String offset, Plan plan, boolean keepAlive) {
        Found info = plan.info();
        long tail = plan.tail();
        long from = plan.from();
        // A stream created over Durable Streams is live until it is closed, whoever appends to it.
        DurableStreams.Snapshot open = plan.open();
        // False once a live read found the session ended meanwhile: then the bytes below are all there
        // is, and Stream-Writer-Active must not tell a client (behind a proxy) that the append goes on.
        boolean writerActive = info.live();
        boolean upgrading = WebSocketUpgrade.isUpgrade(request);
        if ((info.live() || open != null) && upgrading) {
            if (followWebSocket(ctx, request, query, path, info, open, from)) {
                return;
            }
            writerActive = false;
        } else if ((info.live() || open != null) && query.parameters().containsKey(FOLLOW_PARAM)) {
            if (followHttp(ctx, request, path, info, open, from, keepAlive)) {
                return;
            }
            writerActive = false;
        }
        // A finished stream to a follower that asked for BINARY messages (browsers and our clients):
        // upgrade, send the bytes, Close 1000. A browser reports a 200 to an upgrade as a failure.
        if (upgrading && binaryFrames(request, query)) {
            followFinished(ctx, request, path, info, plan.managed(), from);
            return;
        }
        sendFile(ctx, request, path, info, offset == null ? -1 : from, info.live() ? info.session().length() : tail,
                writerActive, keepAlive);
    }

    /**
     * No appender (or it ended meanwhile), or a plain GET: the bytes written so far, from {@code from}
     * ({@code -1}: no offset asked, a {@code Range} may apply) up to {@code length}.
     */
    private static void sendFile(ChannelHandlerContext ctx, FullHttpRequest request, String path, Found info,
            long from, long length, boolean writerActive, boolean keepAlive) {
        try {
            long modified = info.stream().lastModified();
            LOG.debug("GET {}: bytes {} to {}{}", path, Math.max(0, from), length,
                    info.live() ? " (live snapshot)" : "");
            FileResponder.send(ctx, request, info.stream(), from, length, modified, info.live(), keepAlive,
                    streamHeaders(writerActive));
        } catch (IOException e) {
            HttpErrors.fail(ctx, e, FailureStatus.Operation.READ, "FOLLOW " + path, keepAlive);
        }
    }

    /** True if the stream at {@code path} was created over the Durable Streams protocol. */
    boolean managed(String path) {
        try {
            return streams.managed(path);
        } catch (IOException e) {
            return false; // the read reports it
        }
    }

    /** True if the stream at {@code path} was created over the Durable Streams protocol and is closed. */
    boolean closedManaged(String path) {
        DurableStreams.Snapshot s = managedSnapshot(path);
        return s != null && s.closed();
    }

    /** The stream's Durable Streams state if it was created over that protocol, else null. */
    private DurableStreams.Snapshot managedSnapshot(String path) {
        try {
            DurableStreams.Snapshot s = streams.snapshot(path);
            return s != null && s.managed() ? s : null;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Follows an open Durable Streams stream until it is closed, else the append session until it
     * ends, from {@code from}; null if there is nothing live to follow any more.
     */
    private Follower subscribe(Found info, DurableStreams.Snapshot open, FollowerHandler follower, long from) {
        if (open != null) {
            try {
                return streams.follow(open, follower);
            } catch (IOException e) {
                LOG.debug("FOLLOW {}: cannot follow {}", info.name(), open.stream(), e);
                return null;
            }
        }
        return info.session() == null ? null : info.session().follow(from, follower);
    }

    /** Upgrades to a live WebSocket from {@code from}; false if the session ended meanwhile. */
    private boolean followWebSocket(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder query,
            String path, Found info, DurableStreams.Snapshot open, long from) {
        WebSocketServerHandshaker handshaker = upgrade.handshaker(ctx, request, true);
        if (handshaker == null) {
            return true;
        }
        boolean binary = binaryFrames(request, query);
        FollowerQuota.Place place = followers.admitUntilClosed(ctx, info.stream().key(), path, HttpUtil.isKeepAlive(request));
        if (place == null) {
            return true; // answered 503, before the upgrade
        }
        FollowHandler follower = new FollowHandler(path, binary,
                binary ? settings.binaryMessageSize() : settings.textMessageSize());
        Follower subscription = subscribe(info, open, follower, from);
        if (subscription == null) {
            place.release();
            return false;
        }
        upgrade.toFollower(ctx, handshaker, request, path, follower, subscription, from,
                streamHeaders(true).set(STREAM_OFFSET, Offsets.format(from)));
        return true;
    }

    /**
     * Upgrades a BINARY follower of a finished stream (no appender, or a closed Durable Streams stream):
     * it gets the bytes from {@code from} to the end, then Close 1000.
     */
    private void followFinished(ChannelHandlerContext ctx, FullHttpRequest request, String path,
            Found info, DurableStreams.Snapshot managed, long from) {
        WebSocketServerHandshaker handshaker = upgrade.handshaker(ctx, request, true);
        if (handshaker == null) {
            return;
        }
        FollowHandler follower = new FollowHandler(path, true, settings.binaryMessageSize());
        Follower subscription;
        try {
            // Ended from the start: the follower reads to the committed length, then closes. A closed
            // Durable Streams stream is read through the storage seam (a fork's first bytes are its
            // source's, not in its own file).
            subscription = managed != null ? streams.follow(managed, follower)
                    : info.stream().follow(follower, () -> true);
        } catch (IOException e) {
            HttpErrors.fail(ctx, e, FailureStatus.Operation.READ, "FOLLOW " + path, false);
            return;
        }
        LOG.debug("FOLLOW {}: finished stream, bytes from {} over a WebSocket", path, from);
        upgrade.toFollower(ctx, handshaker, request, path, follower, subscription, from,
                streamHeaders(false).set(STREAM_OFFSET, Offsets.format(from)));
    }

    /** True if a follower asked for BINARY messages ({@code X-Frames: binary} or {@code ?frames=binary}). */
    static boolean binaryFrames(FullHttpRequest request, QueryStringDecoder query) {
        return "binary".equalsIgnoreCase(request.headers().get(FRAMES_HEADER))
                || "binary".equalsIgnoreCase(HttpFStreamHandler.first(query, FRAMES_PARAM));
    }

    /**
     * Starts a live response from {@code from}, chunked (HTTP/1.0: delimited by the end of the
     * connection, see {@link LiveResponses}); false if the session ended meanwhile.
     */
    private boolean followHttp(ChannelHandlerContext ctx, FullHttpRequest request, String path, Found info,
            DurableStreams.Snapshot open, long from, boolean keepAlive) {
        boolean closeDelimited = LiveResponses.closeDelimited(request);
        FollowerQuota.Place place = followers.admitUntilClosed(ctx, info.stream().key(), path, keepAlive);
        if (place == null) {
            return true; // answered 503
        }
        LiveHttpHandler live = new LiveHttpHandler(path, Math.min(settings.binaryMessageSize(), 0x10000),
                2 * settings.pingInterval().toNanos(), closeDelimited);
        Follower subscription = subscribe(info, open, live, from);
        if (subscription == null) {
            place.release();
            return false;
        }
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers()
                .set(CONTENT_TYPE, FileResponder.contentType(path))
                .set("X-Content-Type-Options", "nosniff")
                .set(CONNECTION, HttpHeaderValues.CLOSE)
                .set(CACHE_CONTROL, "no-cache, no-transform")
                .set("X-Accel-Buffering", "no")
                .set(STREAM_OFFSET, Offsets.format(from))
                .add(streamHeaders(true));
        if (!closeDelimited) {
            response.headers().set(TRANSFER_ENCODING, HttpHeaderValues.CHUNKED)
                    .set("Trailer", NEXT_OFFSET + ", " + WRITER_ACTIVE);
        }
        WebSocketUpgrade.leaveHttp(ctx);
        ctx.pipeline().addLast("follow", live);
        ctx.channel().writeAndFlush(response).addListener(live.startWhenWritten(subscription, from));
        return true;
    }

    /** Live readers admitted and not yet ended, in total. For tests and diagnostics. */
    int liveReaders() {
        return followers.quota().total();
    }

    private static HttpHeaders streamHeaders(boolean writerActive) {
        return new DefaultHttpHeaders().set(WRITER_ACTIVE, writerActive ? "true" : "false");
    }
}
