package org.httpfstream.server.routing;

import org.httpfstream.server.HttpFStreamInitializer;
import org.httpfstream.server.HttpFStreamSettings;
import org.httpfstream.server.Limits;
import org.httpfstream.server.Refusals;
import org.httpfstream.server.ServerStats;
import org.httpfstream.server.follow.CursorHandler;
import org.httpfstream.server.durable.DurableStreamsHandler;
import org.httpfstream.server.guard.Authorizer;
import org.httpfstream.server.follow.FollowerGate;
import org.httpfstream.server.follow.FollowerQuota;
import org.httpfstream.server.http.FileResponder;
import org.httpfstream.server.http.LiveHttpHandler;
import org.httpfstream.server.http.LiveResponses;
import org.httpfstream.server.http.SseSettings;
import org.httpfstream.server.subscriptions.SubscriptionsHandler;
import org.httpfstream.server.ws.AppendFrameDecoder;
import org.httpfstream.server.ws.AppendHandler;
import org.httpfstream.server.ws.FollowHandler;
import org.httpfstream.server.ws.WebSocketKeepAlive;
import static io.netty.handler.codec.http.HttpHeaderNames.ALLOW;
import static io.netty.handler.codec.http.HttpHeaderNames.ACCEPT_RANGES;
import static io.netty.handler.codec.http.HttpHeaderNames.CACHE_CONTROL;
import static io.netty.handler.codec.http.HttpHeaderNames.CONNECTION;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_LENGTH;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_TYPE;
import static io.netty.handler.codec.http.HttpHeaderNames.TRANSFER_ENCODING;
import static io.netty.handler.codec.http.HttpHeaderNames.HOST;
import static io.netty.handler.codec.http.HttpHeaderNames.SEC_WEBSOCKET_KEY;
import static io.netty.handler.codec.http.HttpHeaderNames.UPGRADE;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import org.httpfstream.store.AppendSession;
import org.httpfstream.durable.DurableStreams;
import org.httpfstream.store.Offsets;
import org.httpfstream.store.StreamInfo;
import org.httpfstream.store.StreamStore;
import org.httpfstream.store.Subscription;
import org.httpfstream.subscriptions.WebhookTargets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes one HTTP request. The original httpfstream protocol: a {@code GET} whose verb comes from header
 * {@code X-Verb} or query parameter {@code verb}: {@code APPEND} appends over a WebSocket, anything else
 * follows — with the file over plain HTTP when no appender is active or no upgrade was asked for, and
 * with a live WebSocket otherwise; a finished stream to a follower that asks for an upgrade with BINARY
 * messages gets a WebSocket too, which sends the bytes and closes with 1000 (browsers report a {@code
 * 200} to an upgrade as a failure). The Durable Streams protocol ({@link DurableStreamsHandler}): {@code
 * PUT}, {@code POST}, {@code DELETE}, {@code OPTIONS} and {@code HEAD}, {@code GET}s with {@code live=},
 * and plain {@code GET}s of streams created over it; its control APIs under {@code …/__ds/} go to
 * {@link SubscriptionsHandler}. Both protocols share one {@link StreamStore}.
 *
 * <p>To mount httpfstream in an existing Netty server, put this handler after an {@link
 * io.netty.handler.codec.http.HttpServerCodec} and an {@link
 * io.netty.handler.codec.http.HttpObjectAggregator}, or use {@link HttpFStreamInitializer}. On an
 * upgrade it replaces itself (and the optional {@code "idle"} handler) with the WebSocket handlers.
 *
 * <p>{@link Sharable}: it holds only the store, the settings, the thread-safe protocol handlers and the
 * thread-safe {@link FollowerGate}, which bounds live readers ({@link Limits#maxFollowersPerStream()},
 * {@link Limits#maxFollowers()}).
 */
@Sharable
public final class HttpFStreamHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(HttpFStreamHandler.class);

    /** Request header naming the verb. */
    public static final String VERB_HEADER = "X-Verb";
    /** Query parameter naming the verb when the header is absent. */
    public static final String VERB_PARAM = "verb";
    /** Query parameter / header a follower uses to ask for BINARY messages: {@code frames=binary}. */
    public static final String FRAMES_PARAM = "frames";
    public static final String FRAMES_HEADER = "X-Frames";
    /** Query parameter: the offset to start reading at (see {@link Offsets}). */
    public static final String OFFSET_PARAM = "offset";
    /** Query parameter that makes a plain GET a live, chunked read until the append session ends. */
    public static final String FOLLOW_PARAM = "follow";
    /** Response header: the offset of the first byte of the body / of the first message. */
    public static final String STREAM_OFFSET = "Stream-Offset";
    /** Response header (or trailer): the offset after the last byte of the body. */
    public static final String NEXT_OFFSET = "Stream-Next-Offset";
    /** Response header: {@code true} while an append session is active on the stream. */
    public static final String WRITER_ACTIVE = "Stream-Writer-Active";

    private static final String ALLOWED_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS";

    private final StreamStore store;
    private final DurableStreams streams;
    private final DurableStreamsHandler durable;
    private final SubscriptionsHandler subscriptions;
    private final HttpFStreamSettings settings;
    private final WebSocketDecoderConfig decoderConfig;
    /**
     * For followers: a broken rule is left to {@link FollowHandler}, which answers with a Close frame of
     * its status; Netty's own answer to a bad Close frame is to drop the connection without one.
     */
    private final WebSocketDecoderConfig followerDecoderConfig;
    private final Limits limits;
    private final Refusals refusals;
    private final Authorizer authorizer;
    private final FollowerGate followers;

    public HttpFStreamHandler(StreamStore store, HttpFStreamSettings settings) {
        this(store, settings, Limits.defaults(), new Refusals());
    }

    public HttpFStreamHandler(StreamStore store, HttpFStreamSettings settings, Limits limits,
            Refusals refusals) {
        this(store, settings, limits, refusals, Authorizer.open(refusals), WebhookTargets.publicOnly());
    }

    /**
     * As the four-argument form; {@code authorizer} decides every request, {@code webhooks} says where
     * subscription webhooks may be sent.
     */
    public HttpFStreamHandler(StreamStore store, HttpFStreamSettings settings, Limits limits,
            Refusals refusals, Authorizer authorizer, WebhookTargets webhooks) {
        this(store, settings, limits, refusals, authorizer, webhooks, SseSettings.defaults());
    }

    /** As the six-argument form; {@code sse} says how long SSE responses last. */
    public HttpFStreamHandler(StreamStore store, HttpFStreamSettings settings, Limits limits,
            Refusals refusals, Authorizer authorizer, WebhookTargets webhooks, SseSettings sse) {
        this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.refusals = Objects.requireNonNull(refusals, "refusals");
        this.store = Objects.requireNonNull(store, "store");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.streams = new DurableStreams(store, Clock.systemUTC());
        store.addRefusalListener(e -> refusals.count(e instanceof org.httpfstream.store.StreamTooLargeException
                ? Refusals.Reason.STREAM_SIZE : Refusals.Reason.DISK_FULL));
        this.followers = new FollowerGate(new FollowerQuota(limits.maxFollowersPerStream(), limits.maxFollowers()),
                refusals);
        this.durable = new DurableStreamsHandler(streams, settings, followers, sse);
        this.subscriptions = new SubscriptionsHandler(org.httpfstream.subscriptions.Subscriptions.open(streams,
                webhooks, () -> refusals.count(Refusals.Reason.WEBHOOK_TARGET)));
        this.decoderConfig = WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(settings.maxFrameSize())
                .allowExtensions(false)
                .withUTF8Validator(false) // TEXT frames carry arbitrary bytes in this protocol
                .expectMaskedFrames(true)
                .closeOnProtocolViolation(true)
                .build();
        this.followerDecoderConfig = decoderConfig.toBuilder().closeOnProtocolViolation(false).build();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (!request.decoderResult().isSuccess()) {
            HttpErrors.send(ctx, HttpResponseStatus.BAD_REQUEST, "malformed HTTP request", false);
            return;
        }
        boolean head = HttpMethod.HEAD.equals(request.method());
        if (!HttpMethod.GET.equals(request.method()) && !head && !DurableStreamsHandler.handles(request.method())) {
            FullHttpResponse response = HttpErrors.response(HttpResponseStatus.METHOD_NOT_ALLOWED,
                    "method not allowed: " + request.method());
            response.headers().set(ALLOW, ALLOWED_METHODS);
            ctx.writeAndFlush(response);
            return;
        }
        QueryStringDecoder query;
        String path;
        try {
            String uri = request.uri();
            if (!uri.startsWith("/")) { // absolute-form request target
                URI u = new URI(uri);
                uri = (u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath())
                        + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
            }
            query = new QueryStringDecoder(uri);
            path = query.path();
        } catch (Exception e) {
            HttpErrors.send(ctx, HttpResponseStatus.BAD_REQUEST, "malformed request URI: " + e.getMessage(),
                    keepAlive);
            return;
        }
        if ((query = authorizer.admit(ctx, request, query, path, keepAlive)) == null) {
            return; // refused, or the signing endpoint answered
        }
        int control = (path + "/").indexOf("/" + SubscriptionsHandler.PREFIX + "/");
        if (control >= 0) { // the reserved Durable Streams control APIs
            String rest = path.length() > control + 6 ? path.substring(control + 6) : "";
            subscriptions.handle(ctx, request, path.substring(0, control), rest);
            return;
        }
        String verb = request.headers().get(VERB_HEADER);
        if (verb == null) {
            verb = first(query, VERB_PARAM);
        }
        if (head || DurableStreamsHandler.handles(request.method())) {
            durable.handle(ctx, request, query, path);
        } else if ("APPEND".equals(verb)) {
            append(ctx, request, path);
        } else if (!isUpgrade(request) && !query.parameters().containsKey(FOLLOW_PARAM)
                && (query.parameters().containsKey("live") || managed(path))) {
            durable.handle(ctx, request, query, path);
        } else {
            follow(ctx, request, query, path, keepAlive);
        }
    }

    /** True if the stream at {@code path} was created over the Durable Streams protocol. */
    private boolean managed(String path) {
        try {
            return streams.metadata(store.locate(path)).isPresent();
        } catch (IOException e) {
            return false; // the read reports it
        }
    }

    /** The stream's Durable Streams state if it is open there (live until closed), else null. */
    private DurableStreams.Snapshot openManaged(String path) {
        try {
            DurableStreams.Snapshot s = streams.snapshot(path);
            return s != null && s.managed() && !s.closed() ? s : null;
        } catch (IOException e) {
            return null;
        }
    }

    private void append(ChannelHandlerContext ctx, FullHttpRequest request, String path) {
        if (!isUpgrade(request)) {
            FullHttpResponse response = HttpErrors.response(HttpResponseStatus.UPGRADE_REQUIRED,
                    "APPEND needs a WebSocket upgrade (Upgrade: websocket)");
            response.headers().set(UPGRADE, HttpHeaderValues.WEBSOCKET);
            ctx.writeAndFlush(response);
            return;
        }
        WebSocketServerHandshaker handshaker = handshaker(ctx, request);
        if (handshaker == null) {
            return;
        }
        AppendSession session;
        try {
            session = store.startAppend(path);
        } catch (IOException e) {
            fail(ctx, e, path, true, false);
            return;
        }
        LOG.info("APPEND {} started at byte {} from {}", path, session.length(),
                ctx.channel().remoteAddress());
        ServerStats.of(ctx.channel()).appendStarted(ServerStats.AppendProtocol.WEBSOCKET);
        Channel channel = ctx.channel();
        ChannelPipeline p = ctx.pipeline();
        // The WebSocket handlers go in first: the handshake may complete within handshake() itself.
        upgradePipeline(ctx);
        if (channel instanceof EpollSocketChannel) { // unacknowledged pings end a dead appender's lease
            channel.config().setOption(EpollChannelOption.TCP_USER_TIMEOUT,
                    (int) settings.appenderTimeout().toMillis());
        }
        // The appender's own frame decoder, which unmasks in place and copies no payload, goes after
        // the HTTP codec: bytes that came with the request (a client that did not wait for the
        // handshake response) are handed on to it when the handshake removes the codec.
        p.addLast("append-decoder", new AppendFrameDecoder(settings.maxFrameSize()));
        p.addLast("ws-keepalive", new WebSocketKeepAlive(settings.pingInterval().toNanos(),
                settings.appenderTimeout().toNanos(), true, "APPEND " + path));
        p.addLast("append", new AppendHandler(session));
        handshake(handshaker, channel, request, f -> {
            if (!f.isSuccess()) {
                session.end();
                f.channel().close();
            }
        });
        // The handshake has put Netty's frame decoder in too, before the codec; ours replaces it.
        ChannelHandlerContext nettyDecoder = p.context(WebSocketFrameDecoder.class);
        if (nettyDecoder != null) {
            p.remove(nettyDecoder.name());
        }
    }

    private void follow(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder query,
            String path, boolean keepAlive) {
        StreamInfo info;
        long tail;
        long from;
        String offset = first(query, OFFSET_PARAM);
        try {
            info = store.lookup(path);
            tail = info.live() ? info.session().length() : store.committedLength(info.file());
            from = Offsets.parse(offset, tail);
        } catch (IOException e) {
            fail(ctx, e, path, false, keepAlive);
            return;
        }
        // A stream created over Durable Streams is live until it is closed, whoever appends to it.
        DurableStreams.Snapshot open = openManaged(path);
        // False once a live read found the session ended meanwhile: then the bytes below are all there
        // is, and Stream-Writer-Active must not tell a client (behind a proxy) that the append goes on.
        boolean writerActive = info.live();
        if ((info.live() || open != null) && isUpgrade(request)) {
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
        if (isUpgrade(request) && binaryFrames(request, query)) {
            followFinished(ctx, request, path, info, from);
            return;
        }
        // No appender (or it ended meanwhile), or a plain GET: the bytes written so far.
        try {
            long length = info.live() ? info.session().length() : tail;
            long modified = Files.getLastModifiedTime(info.file()).toMillis();
            LOG.debug("GET {}: bytes {} to {}{}", path, from, length, info.live() ? " (live snapshot)" : "");
            HttpHeaders extra = streamHeaders(writerActive);
            FileResponder.send(ctx, request, info.file(), offset == null ? -1 : from, length, modified,
                    info.live(), keepAlive, extra);
        } catch (IOException e) {
            fail(ctx, e, path, false, keepAlive);
        }
    }

    /**
     * Follows an open Durable Streams stream until it is closed, else the append session until it
     * ends; null if there is nothing live to follow any more.
     */
    private Subscription subscribe(StreamInfo info, DurableStreams.Snapshot open, CursorHandler follower) {
        if (open != null) {
            try {
                return streams.follow(open, follower);
            } catch (IOException e) {
                LOG.debug("FOLLOW {}: cannot follow {}", info.name(), open.file(), e);
                return null;
            }
        }
        return info.session() == null ? null : info.session().subscribe(follower);
    }

    /** Upgrades to a live WebSocket from {@code from}; false if the session ended meanwhile. */
    private boolean followWebSocket(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder query,
            String path, StreamInfo info, DurableStreams.Snapshot open, long from) {
        WebSocketServerHandshaker handshaker = handshaker(ctx, request, followerDecoderConfig);
        if (handshaker == null) {
            return true;
        }
        boolean binary = binaryFrames(request, query);
        FollowerQuota.Place place = followers.admitUntilClosed(ctx, info.file(), path, HttpUtil.isKeepAlive(request));
        if (place == null) {
            return true; // answered 503, before the upgrade
        }
        FollowHandler follower = new FollowHandler(path, binary,
                binary ? settings.binaryMessageSize() : settings.textMessageSize());
        Subscription subscription = subscribe(info, open, follower);
        if (subscription == null) {
            place.release();
            return false;
        }
        upgradeToFollower(ctx, handshaker, request, path, follower, subscription, from, true);
        return true;
    }

    /**
     * Upgrades a BINARY follower of a finished stream (no appender, or a closed Durable Streams stream):
     * it gets the bytes from {@code from} to the end, then Close 1000.
     */
    private void followFinished(ChannelHandlerContext ctx, FullHttpRequest request, String path,
            StreamInfo info, long from) {
        WebSocketServerHandshaker handshaker = handshaker(ctx, request, followerDecoderConfig);
        if (handshaker == null) {
            return;
        }
        FollowHandler follower = new FollowHandler(path, true, settings.binaryMessageSize());
        Subscription subscription;
        try {
            // Ended from the start: the follower reads to the committed length, then closes.
            subscription = store.follow(info.file(), follower, () -> true);
        } catch (IOException e) {
            fail(ctx, e, path, false, false);
            return;
        }
        LOG.debug("FOLLOW {}: finished stream, bytes from {} over a WebSocket", path, from);
        upgradeToFollower(ctx, handshaker, request, path, follower, subscription, from, false);
    }

    private void upgradeToFollower(ChannelHandlerContext ctx, WebSocketServerHandshaker handshaker,
            FullHttpRequest request, String path, FollowHandler follower, Subscription subscription,
            long from, boolean live) {
        ChannelPipeline p = ctx.pipeline();
        upgradePipeline(ctx);
        p.addLast("ws-keepalive", new WebSocketKeepAlive(settings.pingInterval().toNanos(), 0, false, "FOLLOW " + path));
        p.addLast("follow", follower);
        HttpHeaders headers = streamHeaders(live).set(STREAM_OFFSET, Offsets.format(from));
        handshake(handshaker, ctx.channel(), request, headers, f -> {
            if (f.isSuccess()) {
                follower.start(subscription, from);
            } else {
                subscription.close();
                f.channel().close();
            }
        });
    }

    /** True if a follower asked for BINARY messages ({@code X-Frames: binary} or {@code ?frames=binary}). */
    private static boolean binaryFrames(FullHttpRequest request, QueryStringDecoder query) {
        return "binary".equalsIgnoreCase(request.headers().get(FRAMES_HEADER))
                || "binary".equalsIgnoreCase(first(query, FRAMES_PARAM));
    }

    /**
     * Starts a live response from {@code from}, chunked (HTTP/1.0: delimited by the end of the
     * connection, see {@link LiveResponses}); false if the session ended meanwhile.
     */
    private boolean followHttp(ChannelHandlerContext ctx, FullHttpRequest request, String path, StreamInfo info,
            DurableStreams.Snapshot open, long from, boolean keepAlive) {
        boolean closeDelimited = LiveResponses.closeDelimited(request);
        FollowerQuota.Place place = followers.admitUntilClosed(ctx, info.file(), path, keepAlive);
        if (place == null) {
            return true; // answered 503
        }
        LiveHttpHandler live = new LiveHttpHandler(path, Math.min(settings.binaryMessageSize(), 0x10000),
                2 * settings.pingInterval().toNanos(), closeDelimited);
        Subscription subscription = subscribe(info, open, live);
        if (subscription == null) {
            place.release();
            return false;
        }
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers()
                .set(CONTENT_TYPE, FileResponder.contentType(info.file().getFileName().toString()))
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
        ChannelPipeline p = ctx.pipeline();
        upgradePipeline(ctx);
        p.addLast("follow", live);
        ctx.channel().writeAndFlush(response).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                live.start(subscription, from);
            } else {
                subscription.close();
                f.channel().close();
            }
        });
        return true;
    }

    /** Live readers admitted and not yet ended, in total. For tests and diagnostics. */
    public int liveReaders() {
        return followers.quota().total();
    }

    private static HttpHeaders streamHeaders(boolean writerActive) {
        return new DefaultHttpHeaders().set(WRITER_ACTIVE, writerActive ? "true" : "false");
    }

    private void upgradePipeline(ChannelHandlerContext ctx) {
        ChannelPipeline p = ctx.pipeline();
        if (p.get("idle") != null) {
            p.remove("idle");
        }
        p.remove(ctx.name());
    }

    private static void handshake(WebSocketServerHandshaker handshaker, Channel channel,
            FullHttpRequest request, ChannelFutureListener then) {
        handshake(handshaker, channel, request, null, then);
    }

    private static void handshake(WebSocketServerHandshaker handshaker, Channel channel,
            FullHttpRequest request, HttpHeaders responseHeaders, ChannelFutureListener then) {
        ChannelFuture f;
        try {
            f = handshaker.handshake(channel, request, responseHeaders, channel.newPromise());
        } catch (RuntimeException e) { // checked beforehand; a failure here is a bug or a race
            f = channel.newFailedFuture(e);
            LOG.debug("WebSocket handshake with {} failed", channel.remoteAddress(), e);
        }
        f.addListener(then);
    }

    /** A handshaker for a valid version-13 upgrade request; null (after answering) otherwise. */
    private WebSocketServerHandshaker handshaker(ChannelHandlerContext ctx, FullHttpRequest request) {
        return handshaker(ctx, request, decoderConfig);
    }

    private WebSocketServerHandshaker handshaker(ChannelHandlerContext ctx, FullHttpRequest request,
            WebSocketDecoderConfig config) {
        String key = request.headers().get(SEC_WEBSOCKET_KEY);
        if (key == null || key.isBlank()) {
            HttpErrors.send(ctx, HttpResponseStatus.BAD_REQUEST,
                    "bad WebSocket handshake: no Sec-WebSocket-Key", false);
            return null;
        }
        WebSocketServerHandshaker handshaker = handshaker(request, config);
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
        }
        return handshaker;
    }

    private static WebSocketServerHandshaker handshaker(FullHttpRequest request, WebSocketDecoderConfig config) {
        String host = request.headers().get(HOST, "localhost");
        return new WebSocketServerHandshakerFactory("ws://" + host + request.uri(), Authorizer.SUBPROTOCOL, config)
                .newHandshaker(request);
    }

    private static void fail(ChannelHandlerContext ctx, IOException e, String path, boolean append,
            boolean keepAlive) {
        HttpResponseStatus status = HttpErrors.statusFor(e, append);
        if (status == null) {
            LOG.error("{} {} failed", append ? "APPEND" : "FOLLOW", path, e);
            HttpErrors.send(ctx, HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    "internal error: " + e.getClass().getSimpleName(), false);
            return;
        }
        if (!(e instanceof NoSuchFileException)) {
            LOG.info("{} {} refused: {} {}", append ? "APPEND" : "FOLLOW", path, status.code(),
                    e.getMessage());
        }
        HttpErrors.send(ctx, status, HttpErrors.messageFor(e), keepAlive);
    }

    private static boolean isUpgrade(FullHttpRequest request) {
        return HttpHeaderValues.WEBSOCKET.contentEqualsIgnoreCase(request.headers().get(UPGRADE));
    }

    private static String first(QueryStringDecoder query, String name) {
        List<String> values = query.parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent && Boolean.TRUE.equals(ctx.channel().attr(DurableStreamsHandler.POLLING).get())) {
            return; // a long-poll is waiting: its own timeout ends it
        }
        if (evt instanceof IdleStateEvent) {
            LOG.debug("closing idle HTTP connection {}", ctx.channel().remoteAddress());
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("HTTP connection {} failed", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
