package org.httpfstream.server;

import static io.netty.handler.codec.http.HttpHeaderNames.ALLOW;
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
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Objects;
import org.httpfstream.store.AppendSession;
import org.httpfstream.store.StreamInfo;
import org.httpfstream.store.StreamStore;
import org.httpfstream.store.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes one HTTP request of the httpfstream protocol. Every request is a {@code GET}; the verb comes
 * from header {@code X-Verb} or query parameter {@code verb}: {@code APPEND} appends over a WebSocket,
 * anything else follows. A FOLLOW is answered with the file over plain HTTP when no appender is active
 * or no upgrade was asked for, and with a live WebSocket otherwise.
 *
 * <p>To mount httpfstream in an existing Netty server, put this handler after an {@link
 * io.netty.handler.codec.http.HttpServerCodec} and an {@link
 * io.netty.handler.codec.http.HttpObjectAggregator}, or use {@link HttpFStreamInitializer}. On an
 * upgrade it replaces itself (and the optional {@code "idle"} handler) with the WebSocket handlers.
 *
 * <p>{@link Sharable}: it holds only the store and the settings.
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

    private final StreamStore store;
    private final HttpFStreamSettings settings;
    private final WebSocketDecoderConfig decoderConfig;

    public HttpFStreamHandler(StreamStore store, HttpFStreamSettings settings) {
        this.store = Objects.requireNonNull(store, "store");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.decoderConfig = WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(settings.maxFrameSize())
                .allowExtensions(false)
                .withUTF8Validator(false) // TEXT frames carry arbitrary bytes in this protocol
                .expectMaskedFrames(true)
                .closeOnProtocolViolation(true)
                .build();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (!request.decoderResult().isSuccess()) {
            HttpErrors.send(ctx, HttpResponseStatus.BAD_REQUEST, "malformed HTTP request", false);
            return;
        }
        if (!HttpMethod.GET.equals(request.method())) {
            FullHttpResponse response = HttpErrors.response(HttpResponseStatus.METHOD_NOT_ALLOWED,
                    "method not allowed: " + request.method() + " (every request is a GET)");
            response.headers().set(ALLOW, "GET");
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
        String verb = request.headers().get(VERB_HEADER);
        if (verb == null) {
            verb = first(query, VERB_PARAM);
        }
        if ("APPEND".equals(verb)) {
            append(ctx, request, path);
        } else {
            follow(ctx, request, query, path, keepAlive);
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
        Channel channel = ctx.channel();
        ChannelPipeline p = ctx.pipeline();
        // The WebSocket handlers go in first: the handshake may complete within handshake() itself.
        upgradePipeline(ctx);
        if (channel instanceof EpollSocketChannel) { // unacknowledged pings end a dead appender's lease
            channel.config().setOption(EpollChannelOption.TCP_USER_TIMEOUT,
                    (int) settings.appenderTimeout().toMillis());
        }
        p.addLast("ws-keepalive", new WebSocketKeepAlive(settings.pingInterval().toNanos(),
                settings.appenderTimeout().toNanos(), "APPEND " + path));
        p.addLast("append", new AppendHandler(session));
        handshake(handshaker, channel, request, f -> {
            if (!f.isSuccess()) {
                session.end();
                f.channel().close();
            }
        });
    }

    private void follow(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder query,
            String path, boolean keepAlive) {
        StreamInfo info;
        try {
            info = store.lookup(path);
        } catch (IOException e) {
            fail(ctx, e, path, false, keepAlive);
            return;
        }
        if (info.live() && isUpgrade(request)) {
            WebSocketServerHandshaker handshaker = handshaker(ctx, request);
            if (handshaker == null) {
                return;
            }
            boolean binary = "binary".equalsIgnoreCase(request.headers().get(FRAMES_HEADER))
                    || "binary".equalsIgnoreCase(first(query, FRAMES_PARAM));
            FollowHandler follower = new FollowHandler(path, binary,
                    binary ? settings.binaryMessageSize() : settings.textMessageSize());
            Subscription subscription = info.session().subscribe(follower);
            if (subscription != null) {
                ChannelPipeline p = ctx.pipeline();
                upgradePipeline(ctx);
                p.addLast("ws-keepalive",
                        new WebSocketKeepAlive(settings.pingInterval().toNanos(), 0, "FOLLOW " + path));
                p.addLast("follow", follower);
                handshake(handshaker, ctx.channel(), request, f -> {
                    if (f.isSuccess()) {
                        follower.start(subscription);
                    } else {
                        subscription.close();
                        f.channel().close();
                    }
                });
                return;
            }
            // The session ended and closed its file in the meantime: the file is complete, send it.
        }
        try {
            long length = info.live() ? info.session().length() : Files.size(info.file());
            long modified = Files.getLastModifiedTime(info.file()).toMillis();
            LOG.debug("GET {}: {} bytes{}", path, length, info.live() ? " (live snapshot)" : "");
            FileResponder.send(ctx, request, info.file(), length, modified, info.live(), keepAlive);
        } catch (IOException e) {
            fail(ctx, e, path, false, keepAlive);
        }
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
        ChannelFuture f;
        try {
            f = handshaker.handshake(channel, request);
        } catch (RuntimeException e) { // checked beforehand; a failure here is a bug or a race
            f = channel.newFailedFuture(e);
            LOG.debug("WebSocket handshake with {} failed", channel.remoteAddress(), e);
        }
        f.addListener(then);
    }

    /** A handshaker for a valid version-13 upgrade request; null (after answering) otherwise. */
    private WebSocketServerHandshaker handshaker(ChannelHandlerContext ctx, FullHttpRequest request) {
        String key = request.headers().get(SEC_WEBSOCKET_KEY);
        if (key == null || key.isBlank()) {
            HttpErrors.send(ctx, HttpResponseStatus.BAD_REQUEST,
                    "bad WebSocket handshake: no Sec-WebSocket-Key", false);
            return null;
        }
        WebSocketServerHandshaker handshaker = handshaker(request);
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
        }
        return handshaker;
    }

    private WebSocketServerHandshaker handshaker(FullHttpRequest request) {
        String host = request.headers().get(HOST, "localhost");
        return new WebSocketServerHandshakerFactory("ws://" + host + request.uri(), null, decoderConfig)
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
