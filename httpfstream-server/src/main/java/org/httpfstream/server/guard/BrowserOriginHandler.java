package org.httpfstream.server.guard;

import org.httpfstream.server.HttpFStreamInitializer;
import org.httpfstream.server.Refusals;
import org.httpfstream.server.routing.HttpErrors;
import org.httpfstream.server.Headers;
import static io.netty.handler.codec.http.HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS;
import static io.netty.handler.codec.http.HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS;
import static io.netty.handler.codec.http.HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN;
import static io.netty.handler.codec.http.HttpHeaderNames.ACCESS_CONTROL_MAX_AGE;
import static io.netty.handler.codec.http.HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD;
import static io.netty.handler.codec.http.HttpHeaderNames.CONNECTION;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_LENGTH;
import static io.netty.handler.codec.http.HttpHeaderNames.HOST;
import static io.netty.handler.codec.http.HttpHeaderNames.ORIGIN;
import static io.netty.handler.codec.http.HttpHeaderNames.UPGRADE;
import static io.netty.handler.codec.http.HttpHeaderNames.VARY;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.httpfstream.browser.OriginPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Browser-safe writes and CORS, in one place. A writing request — any method but {@code GET}, {@code
 * HEAD} and {@code OPTIONS} (so every {@code PUT}, {@code POST} and {@code DELETE}, the changing control
 * APIs under {@code __ds/} among them), and a {@code GET} with verb {@code APPEND}, upgrade or not — that
 * carries an {@code Origin} the {@link OriginPolicy} does not allow is answered {@code 403} with one line,
 * before any handler sees it, and counted as {@link Refusals.Reason#ORIGIN}. A WebSocket handshake is an
 * upgrade {@code GET}, so this also stops cross-site WebSocket hijacking of an append. Requests without
 * {@code Origin} do not come from a web page and pass.
 *
 * <p>Reads are public: any page may read (and follow, over WebSocket too) a stream, as any non-browser
 * client may, so read answers keep {@code Access-Control-Allow-Origin: *}. An allowed page's writing
 * request gets its own origin back with {@code Vary: Origin}; a refused one gets no CORS header, so the
 * page cannot even read the refusal. CORS preflights ({@code OPTIONS} with {@code Origin} and {@code
 * Access-Control-Request-Method}) are answered here for every path: for an allowed origin with every
 * method, for any other origin only with {@code GET} and {@code HEAD}; a preflight for a writing method
 * from another origin is refused ({@code 403}, counted). A Private Network Access request is granted
 * with whatever the preflight grants.
 *
 * <p>Per channel, not sharable: it keeps the CORS answer of each request it passed on until that
 * request's response goes out; confined to the channel's event loop. Sits right before the request
 * handler ({@link HttpFStreamInitializer}).
 */
public final class BrowserOriginHandler extends ChannelDuplexHandler {
    private static final Logger LOG = LoggerFactory.getLogger(BrowserOriginHandler.class);

    /** The request headers browsers may send: what the clients of both protocols set. */
    static final String ALLOWED_HEADERS = "Authorization, Content-Type, Cache-Control, If-Match, If-None-Match, "
            + "Last-Event-ID, Range, Stream-Seq, Stream-TTL, Stream-Expires-At, Stream-Closed, Producer-Id, "
            + "Producer-Epoch, Producer-Seq, X-Verb, X-Frames";
    public static final String ALL_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS";
    static final String READ_METHODS = "GET, HEAD, OPTIONS";
    /** How long a browser may cache a preflight answer, in seconds. */
    static final String MAX_AGE = "600";
    static final String REQUEST_PRIVATE_NETWORK = "Access-Control-Request-Private-Network";
    static final String ALLOW_PRIVATE_NETWORK = "Access-Control-Allow-Private-Network";
    /** The CORS answer of a read: any origin. */
    private static final String ANY = "*";

    private final OriginPolicy policy;
    private final Refusals refusals;
    /** The Access-Control-Allow-Origin value of each request passed on and not answered yet, in order. */
    private final ArrayDeque<String> answers = new ArrayDeque<>();

    public BrowserOriginHandler(OriginPolicy policy, Refusals refusals) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.refusals = Objects.requireNonNull(refusals, "refusals");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request)) {
            ctx.fireChannelRead(msg);
            return;
        }
        String origin = request.headers().get(ORIGIN);
        if (origin == null) {
            answers.add(ANY);
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            String host = request.headers().get(HOST);
            if (HttpMethod.OPTIONS.equals(request.method())
                    && request.headers().contains(ACCESS_CONTROL_REQUEST_METHOD)) {
                preflight(ctx, request, origin, policy.allows(origin, host));
                return;
            }
            if (!writes(request)) {
                answers.add(ANY);
            } else if (policy.allows(origin, host)) {
                answers.add(origin);
            } else {
                refusals.count(Refusals.Reason.ORIGIN);
                LOG.info("{} {} from origin {} ({}) refused: origin not allowed", request.method(),
                        new QueryStringDecoder(request.uri()).path(), origin, ctx.channel().remoteAddress());
                boolean keepAlive = HttpUtil.isKeepAlive(request) && !request.headers().contains(UPGRADE);
                HttpErrors.send(ctx, HttpResponseStatus.FORBIDDEN, "origin " + origin + " may not write here "
                        + "(allowed: the server's own origin" + (policy.origins().isEmpty() ? ""
                                : " and " + String.join(", ", policy.origins())) + "; see -allow-origin)",
                        keepAlive);
                request.release();
                return;
            }
        } catch (RuntimeException e) {
            request.release();
            throw e;
        }
        ctx.fireChannelRead(msg);
    }

    /** True for a request that changes state: any method but GET, HEAD, OPTIONS, and an APPEND. */
    static boolean writes(FullHttpRequest request) {
        HttpMethod m = request.method();
        if (HttpMethod.OPTIONS.equals(m) || HttpMethod.HEAD.equals(m)) {
            return false;
        }
        if (!HttpMethod.GET.equals(m)) {
            return true;
        }
        String verb = request.headers().get(Headers.VERB_HEADER);
        if (verb == null) {
            List<String> v = new QueryStringDecoder(request.uri()).parameters().get(Headers.VERB_PARAM);
            verb = v == null || v.isEmpty() ? null : v.get(0);
        }
        return verb != null && verb.trim().equalsIgnoreCase("APPEND");
    }

    /** Answers a CORS preflight (and releases it). */
    private void preflight(ChannelHandlerContext ctx, FullHttpRequest request, String origin, boolean allowed) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        String method = request.headers().get(ACCESS_CONTROL_REQUEST_METHOD).trim().toUpperCase(Locale.ROOT);
        boolean read = method.equals("GET") || method.equals("HEAD");
        boolean privateNetwork = "true".equalsIgnoreCase(request.headers().get(REQUEST_PRIVATE_NETWORK));
        request.release();
        FullHttpResponse r;
        if (!allowed && !read) {
            refusals.count(Refusals.Reason.ORIGIN);
            LOG.info("preflight for {} from origin {} ({}) refused: origin not allowed", method, origin,
                    ctx.channel().remoteAddress());
            r = HttpErrors.response(HttpResponseStatus.FORBIDDEN, "origin " + origin + " may not " + method
                    + " here (see -allow-origin)");
        } else {
            r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT, Unpooled.EMPTY_BUFFER);
            r.headers()
                    .set(ACCESS_CONTROL_ALLOW_ORIGIN, allowed ? origin : ANY)
                    .set(ACCESS_CONTROL_ALLOW_METHODS, allowed ? ALL_METHODS : READ_METHODS)
                    .set(ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS)
                    .set(ACCESS_CONTROL_MAX_AGE, MAX_AGE)
                    .setInt(CONTENT_LENGTH, 0);
            if (privateNetwork) {
                // Chrome's Private Network Access asks before a public page reaches a private server: what
                // this preflight grants (reads to anyone, writes to allowed origins) holds there too.
                r.headers().set(ALLOW_PRIVATE_NETWORK, "true");
            }
        }
        r.headers().set(VARY, "Origin");
        if (!keepAlive) {
            r.headers().set(CONNECTION, HttpHeaderValues.CLOSE);
        }
        var f = ctx.writeAndFlush(r);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof HttpResponse response) {
            int code = response.status().code();
            if (code >= 200 || code == 101) { // the final answer of the oldest request passed on
                String allow = answers.poll();
                if (allow != null && !response.headers().contains(ACCESS_CONTROL_ALLOW_ORIGIN)) {
                    response.headers().set(ACCESS_CONTROL_ALLOW_ORIGIN, allow);
                    if (!ANY.equals(allow)) {
                        response.headers().add(VARY, "Origin");
                    }
                }
            }
        }
        super.write(ctx, msg, promise);
    }
}
