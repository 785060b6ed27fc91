package org.httpfstream.server.routing;

import static io.netty.handler.codec.http.HttpHeaderNames.ALLOW;
import static org.httpfstream.server.Headers.FOLLOW_PARAM;
import static org.httpfstream.server.Headers.VERB_HEADER;
import static org.httpfstream.server.Headers.VERB_PARAM;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import java.net.URI;
import java.util.List;
import java.util.Objects;
import org.httpfstream.server.HttpFStreamInitializer;
import org.httpfstream.server.durable.DurableStreamsHandler;
import org.httpfstream.server.guard.Authorizer;
import org.httpfstream.server.subscriptions.SubscriptionsHandler;
import org.httpfstream.server.viewer.ViewerHandler;
import org.httpfstream.server.ws.WebSocketUpgrade;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes one HTTP request to its protocol. The original httpfstream protocol ({@link OriginalProtocol}):
 * a {@code GET} whose verb comes from header {@code X-Verb} or query parameter {@code verb}: {@code
 * APPEND} appends over a WebSocket, anything else follows. The Durable Streams protocol ({@link
 * DurableStreamsHandler}): {@code PUT}, {@code POST}, {@code DELETE}, {@code OPTIONS} and {@code HEAD},
 * {@code GET}s with {@code live=}, and plain {@code GET}s of streams created over it; its control APIs
 * under {@code …/__ds/} go to {@link SubscriptionsHandler}. The {@link Authorizer} decides every
 * request first. The composition root ({@code org.httpfstream.server.HttpFStreamServer}) builds the
 * protocol handlers and their domain objects and hands them in.
 *
 * <p>To mount httpfstream in an existing Netty server, use {@link HttpFStreamInitializer}. On an upgrade
 * or a live read the protocol handler replaces this handler (and the optional {@code "idle"} handler).
 *
 * <p>Thread safety: {@link Sharable}; it holds only thread-safe protocol handlers.
 */
@Sharable
public final class HttpFStreamHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(HttpFStreamHandler.class);

    private static final String ALLOWED_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS";

    private final Authorizer authorizer;
    private final OriginalProtocol original;
    private final DurableStreamsHandler durable;
    private final SubscriptionsHandler subscriptions;
    /** The log viewer's requests; null: none. */
    private final ViewerHandler viewer;

    public HttpFStreamHandler(Authorizer authorizer, OriginalProtocol original, DurableStreamsHandler durable,
            SubscriptionsHandler subscriptions) {
        this(authorizer, original, durable, subscriptions, null);
    }

    /** As the other constructor, with the log viewer's requests answered by {@code viewer} (null: none). */
    public HttpFStreamHandler(Authorizer authorizer, OriginalProtocol original, DurableStreamsHandler durable,
            SubscriptionsHandler subscriptions, ViewerHandler viewer) {
        this.viewer = viewer;
        this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
        this.original = Objects.requireNonNull(original, "original");
        this.durable = Objects.requireNonNull(durable, "durable");
        this.subscriptions = Objects.requireNonNull(subscriptions, "subscriptions");
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
        QueryStringDecoder query = query(ctx, request, keepAlive);
        if (query == null) {
            return;
        }
        String path = query.path();
        if (viewer != null && ViewerHandler.isPage(request, query)) { // static files: no stream data
            viewer.page(ctx, Authorizer.stripCredentials(request, query), keepAlive);
            return;
        }
        if (viewer != null && ViewerHandler.isListing(request, query)) { // authorized entry by entry
            var readable = authorizer.readable(ctx, request, query, keepAlive);
            if (readable != null) {
                viewer.list(ctx, request, path, readable, keepAlive);
            }
            return;
        }
        if ((query = authorizer.admit(ctx, request, query, path, keepAlive)) == null) {
            return; // refused, or the signing endpoint answered
        }
        route(ctx, request, query, path, head, keepAlive);
    }

    /** The decoded request target (origin or absolute form); null after answering 400. */
    private static QueryStringDecoder query(ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive) {
        try {
            String uri = request.uri();
            if (!uri.startsWith("/")) { // absolute-form request target
                URI u = new URI(uri);
                uri = (u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath())
                        + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
            }
            QueryStringDecoder query = new QueryStringDecoder(uri);
            query.path();
            return query;
        } catch (Exception e) {
            HttpErrors.send(ctx, HttpResponseStatus.BAD_REQUEST, "malformed request URI: " + e.getMessage(),
                    keepAlive);
            return null;
        }
    }

    private void route(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder query, String path,
            boolean head, boolean keepAlive) {
        int control = (path + "/").indexOf("/" + SubscriptionsHandler.PREFIX + "/");
        if (control >= 0) { // the reserved Durable Streams control APIs
            String rest = path.length() > control + 6 ? path.substring(control + 6) : "";
            subscriptions.handle(ctx, request, path.substring(0, control), rest);
            return;
        }
        if (viewer != null && ViewerHandler.handles(request, query)) {
            viewer.handle(ctx, request, query, path, keepAlive);
            return;
        }
        String verb = request.headers().get(VERB_HEADER);
        if (verb == null) {
            verb = first(query, VERB_PARAM);
        }
        if (head || DurableStreamsHandler.handles(request.method())) {
            durable.handle(ctx, request, query, path);
        } else if ("APPEND".equals(verb)) {
            original.append(ctx, request, path);
        } else if (original.calls().inline()) {
            read(ctx, request, query, path, keepAlive, reader(request, query, path));
        } else { // which protocol reads the stream is a question for the store: asked off the event loop
            original.calls().answer(ctx, request, () -> reader(request, query, path),
                    reader -> read(ctx, request, query, path, keepAlive, reader),
                    e -> HttpErrors.fail(ctx, e, FailureStatus.Operation.READ, "GET " + path, keepAlive));
        }
    }

    /** Who answers a read. */
    private enum Reader { DURABLE, ORIGINAL }

    /** Who answers a read of {@code path}: the Durable Streams rules for their streams, else the original. */
    private Reader reader(FullHttpRequest request, QueryStringDecoder query, String path) {
        if (!WebSocketUpgrade.isUpgrade(request) && !query.parameters().containsKey(FOLLOW_PARAM)
                && (query.parameters().containsKey("live") || original.managed(path))) {
            return Reader.DURABLE;
        } else if (!(WebSocketUpgrade.isUpgrade(request) && OriginalProtocol.binaryFrames(request, query))
                && original.closedManaged(path)) {
            // A closed Durable Streams stream has no live read left: its bytes through the storage seam
            // (a fork's first bytes are its source's, not in its own file).
            return Reader.DURABLE;
        }
        return Reader.ORIGINAL;
    }

    private void read(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder query, String path,
            boolean keepAlive, Reader reader) {
        if (reader == Reader.DURABLE) {
            durable.handle(ctx, request, query, path);
        } else {
            original.follow(ctx, request, query, path, keepAlive);
        }
    }

    /** Live readers admitted and not yet ended, in total. For tests and diagnostics. */
    public int liveReaders() {
        return original.liveReaders();
    }

    static String first(QueryStringDecoder query, String name) {
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
