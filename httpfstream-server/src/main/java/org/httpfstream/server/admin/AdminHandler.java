package org.httpfstream.server.admin;

import static io.netty.handler.codec.http.HttpHeaderNames.ALLOW;
import static io.netty.handler.codec.http.HttpHeaderNames.CACHE_CONTROL;
import static io.netty.handler.codec.http.HttpHeaderNames.CONNECTION;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_LENGTH;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_TYPE;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin listener's requests: {@code GET /metrics} (the Prometheus text format), {@code GET
 * /healthz} ({@code 200 ok} while the process serves), {@code GET /readyz} ({@code 200 ready}, or
 * {@code 503} with one line saying why not: draining, or the store not writable). {@code HEAD} as
 * well; anything else is {@code 404} or {@code 405}. It shares nothing with the stream port's
 * namespace: no stream is reachable here, and a stream called {@code /metrics} stays a stream there.
 * Scrapes and readiness probes run on {@code work}, not on the event loop (a probe writes a file); the
 * answer is written back on the channel's event loop.
 *
 * <p>Thread safety: {@link Sharable}; holds only thread-safe objects.
 */
@Sharable
public final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(AdminHandler.class);
    static final String TEXT = "text/plain; charset=utf-8";

    private final ServerMetrics metrics;
    private final Readiness readiness;
    private final Executor work;

    AdminHandler(ServerMetrics metrics, Readiness readiness, Executor work) {
        this.metrics = metrics;
        this.readiness = readiness;
        this.work = work;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (!request.decoderResult().isSuccess()) {
            send(ctx, text(HttpResponseStatus.BAD_REQUEST, "malformed HTTP request"), false, false);
            return;
        }
        boolean head = HttpMethod.HEAD.equals(request.method());
        String path = new QueryStringDecoder(request.uri()).path();
        if (!path.equals("/metrics") && !path.equals("/healthz") && !path.equals("/readyz")) {
            send(ctx, text(HttpResponseStatus.NOT_FOUND, "not found: " + path
                    + " (the admin listener serves /metrics, /healthz and /readyz)"), keepAlive, head);
            return;
        }
        if (!head && !HttpMethod.GET.equals(request.method())) {
            FullHttpResponse r = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed: " + request.method());
            r.headers().set(ALLOW, "GET, HEAD");
            send(ctx, r, keepAlive, false);
            return;
        }
        switch (path) {
            case "/healthz" -> send(ctx, text(HttpResponseStatus.OK, "ok"), keepAlive, head);
            case "/readyz" -> offLoop(ctx, keepAlive, head, () -> {
                String why = readiness.check();
                return why == null ? text(HttpResponseStatus.OK, "ready")
                        : text(HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready: " + why);
            });
            default -> offLoop(ctx, keepAlive, head, () -> {
                ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
                metrics.scrape(out);
                FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                        Unpooled.wrappedBuffer(out.toByteArray()));
                r.headers().set(CONTENT_TYPE, metrics.contentType());
                return r;
            });
        }
    }

    /** Work that may block, whose answer is written back on the event loop. */
    @FunctionalInterface
    private interface Answer {
        FullHttpResponse get() throws Exception;
    }

    private void offLoop(ChannelHandlerContext ctx, boolean keepAlive, boolean head, Answer answer) {
        try {
            work.execute(() -> {
                FullHttpResponse r;
                try {
                    r = answer.get();
                } catch (Exception | LinkageError e) {
                    LOG.error("admin request failed", e);
                    r = text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error: " + e.getClass().getSimpleName());
                }
                FullHttpResponse response = r;
                ctx.executor().execute(() -> send(ctx, response, keepAlive, head));
            });
        } catch (RejectedExecutionException e) { // the server is closing
            send(ctx, text(HttpResponseStatus.SERVICE_UNAVAILABLE, "server closing"), false, head);
        }
    }

    static FullHttpResponse text(HttpResponseStatus status, String line) {
        ByteBuf body = Unpooled.copiedBuffer(line + "\n", StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        r.headers().set(CONTENT_TYPE, TEXT);
        return r;
    }

    private static void send(ChannelHandlerContext ctx, FullHttpResponse r, boolean keepAlive, boolean head) {
        r.headers().setInt(CONTENT_LENGTH, r.content().readableBytes())
                .set(CACHE_CONTROL, "no-store")
                .set("X-Content-Type-Options", "nosniff");
        if (head) {
            r.content().clear();
        }
        if (!keepAlive) {
            r.headers().set(CONNECTION, HttpHeaderValues.CLOSE);
        }
        if (!ctx.channel().isActive()) {
            r.release();
            return;
        }
        ChannelFuture f = ctx.writeAndFlush(r);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("admin connection {} failed", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
