package org.httpfstream.server.ws;

import static io.netty.handler.codec.http.HttpHeaderNames.HOST;
import static io.netty.handler.codec.http.HttpHeaderNames.SEC_WEBSOCKET_KEY;
import static io.netty.handler.codec.http.HttpHeaderNames.UPGRADE;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import org.httpfstream.server.Headers;
import org.httpfstream.server.HttpFStreamSettings;
import org.httpfstream.server.guard.Authorizer;
import org.httpfstream.server.routing.HttpErrors;
import org.httpfstream.store.Follower;
import org.httpfstream.store.Offsets;
import org.httpfstream.store.SessionLease;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket upgrade of the original protocol: checks the handshake, swaps the HTTP handlers of the
 * channel for an appender's ({@link AppendFrameDecoder}, {@link WebSocketKeepAlive}, {@link
 * AppendHandler}) or a follower's ({@link WebSocketKeepAlive}, {@link FollowHandler}), and answers the
 * handshake. The request handler that calls it leaves the pipeline with the {@code idle} handler.
 *
 * <p>Thread safety: immutable; call on the channel's event loop.
 */
public final class WebSocketUpgrade {
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketUpgrade.class);

    private final HttpFStreamSettings settings;
    private final WebSocketDecoderConfig appenderConfig;
    /**
     * For followers: a broken rule is left to {@link FollowHandler}, which answers with a Close frame of
     * its status; Netty's own answer to a bad Close frame is to drop the connection without one.
     */
    private final WebSocketDecoderConfig followerConfig;

    public WebSocketUpgrade(HttpFStreamSettings settings) {
        this.settings = settings;
        this.appenderConfig = WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(settings.maxFrameSize())
                .allowExtensions(false)
                .withUTF8Validator(false) // TEXT frames carry arbitrary bytes in this protocol
                .expectMaskedFrames(true)
                .closeOnProtocolViolation(true)
                .build();
        this.followerConfig = appenderConfig.toBuilder().closeOnProtocolViolation(false).build();
    }

    /** True if {@code request} asks for a WebSocket ({@code Upgrade: websocket}). */
    public static boolean isUpgrade(FullHttpRequest request) {
        return HttpHeaderValues.WEBSOCKET.contentEqualsIgnoreCase(request.headers().get(UPGRADE));
    }

    /**
     * A handshaker for a valid version-13 upgrade request, configured for an appender or a follower;
     * null (after answering 400 or 426) otherwise.
     */
    public WebSocketServerHandshaker handshaker(ChannelHandlerContext ctx, FullHttpRequest request,
            boolean follower) {
        String key = request.headers().get(SEC_WEBSOCKET_KEY);
        if (key == null || key.isBlank()) {
            HttpErrors.send(ctx, HttpResponseStatus.BAD_REQUEST,
                    "bad WebSocket handshake: no Sec-WebSocket-Key", false);
            return null;
        }
        String host = request.headers().get(HOST, "localhost");
        WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory("ws://" + host + request.uri(),
                Authorizer.SUBPROTOCOL, follower ? followerConfig : appenderConfig).newHandshaker(request);
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
        }
        return handshaker;
    }

    /**
     * Makes the channel an appender's, writing into {@code session}, and answers the handshake; if it
     * fails the session ends and the connection closes. With {@code acks} (the appender sent {@link
     * Headers#APPEND_ACKS}) the 101 carries {@link Headers#NEXT_OFFSET}, the session's start, and the
     * appender is then told every committed length ({@link AppendHandler#reportCommits}).
     */
    public void toAppender(ChannelHandlerContext ctx, WebSocketServerHandshaker handshaker, FullHttpRequest request,
            String path, SessionLease session, boolean acks) {
        Channel channel = ctx.channel();
        ChannelPipeline p = ctx.pipeline();
        // The WebSocket handlers go in first: the handshake may complete within handshake() itself.
        leaveHttp(ctx);
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
        AppendHandler appender = new AppendHandler(session, acks);
        p.addLast("append", appender);
        HttpHeaders headers = acks ? new DefaultHttpHeaders().set(Headers.NEXT_OFFSET, Offsets.format(session.start()))
                : null;
        handshake(handshaker, channel, request, headers, f -> {
            if (!f.isSuccess()) {
                session.end();
                f.channel().close();
            } else if (acks) {
                appender.reportCommits(p.context(appender));
            }
        });
        // The handshake has put Netty's frame decoder in too, before the codec; ours replaces it.
        ChannelHandlerContext nettyDecoder = p.context(WebSocketFrameDecoder.class);
        if (nettyDecoder != null) {
            p.remove(nettyDecoder.name());
        }
    }

    /**
     * Makes the channel a follower's and answers the handshake with {@code headers}; once it is done the
     * follower starts at {@code from}. If it fails the subscription closes and the connection too.
     */
    public void toFollower(ChannelHandlerContext ctx, WebSocketServerHandshaker handshaker, FullHttpRequest request,
            String path, FollowHandler follower, Follower subscription, long from, HttpHeaders headers) {
        ChannelPipeline p = ctx.pipeline();
        leaveHttp(ctx);
        p.addLast("ws-keepalive", new WebSocketKeepAlive(settings.pingInterval().toNanos(), 0, false, "FOLLOW " + path));
        p.addLast("follow", follower);
        handshake(handshaker, ctx.channel(), request, headers, follower.startWhenWritten(subscription, from));
    }

    /** Removes the request handler of {@code ctx} and the {@code idle} handler, if any. */
    public static void leaveHttp(ChannelHandlerContext ctx) {
        ChannelPipeline p = ctx.pipeline();
        if (p.get("idle") != null) {
            p.remove("idle");
        }
        p.remove(ctx.name());
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
}
