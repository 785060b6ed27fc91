package org.httpfstream.server.subscriptions;

import static io.netty.handler.codec.http.HttpHeaderNames.CACHE_CONTROL;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_LENGTH;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_TYPE;
import static org.httpfstream.server.routing.HttpErrors.send;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.httpfstream.json.Json;
import org.httpfstream.server.Transport;
import org.httpfstream.server.connection.PipeliningHandler;
import org.httpfstream.subscriptions.AlreadyClaimedException;
import org.httpfstream.subscriptions.FencedException;
import org.httpfstream.subscriptions.NoSuchSubscriptionException;
import org.httpfstream.subscriptions.RefusedTargetException;
import org.httpfstream.subscriptions.SubscriptionConflictException;
import org.httpfstream.subscriptions.Subscriptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face of the Durable Streams reserved APIs under {@code {stream-root}/__ds/}: {@code jwks.json}
 * and {@code subscriptions/{id}[/action]}. It reads the request, calls {@link Subscriptions} and answers
 * with what comes back; {@link #response} is the one place where the domain's failures become statuses.
 * The domain answers later, on its own thread: meanwhile the connection's later requests are held back
 * ({@link PipeliningHandler}), and the answer is written on the channel's event loop.
 *
 * <p>Thread safety: stateless apart from the domain it calls; called on event loops. Not a Netty handler
 * itself: the router hands it each request.
 */
public final class SubscriptionsHandler {
    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionsHandler.class);
    public static final String PREFIX = Subscriptions.PREFIX;

    private final Subscriptions subscriptions;

    public SubscriptionsHandler(Subscriptions subscriptions) {
        this.subscriptions = Objects.requireNonNull(subscriptions, "subscriptions");
    }

    /** Handles {@code root/__ds/rest}. */
    public void handle(ChannelHandlerContext ctx, FullHttpRequest request, String root, String rest) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        HttpMethod method = request.method();
        if (rest.equals("jwks.json") && (HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method))) {
            answer(ctx, keepAlive, subscriptions.jwks(), keys -> {
                FullHttpResponse r = json(HttpResponseStatus.OK, keys);
                r.headers().set(CONTENT_TYPE, "application/jwk-set+json").set(CACHE_CONTROL, "public, max-age=300");
                return r;
            });
            return;
        }
        if (!rest.startsWith("subscriptions/")) {
            send(ctx, error(HttpResponseStatus.NOT_FOUND, "NOT_FOUND", "no such control API: " + rest), keepAlive);
            return;
        }
        String tail = rest.substring("subscriptions/".length());
        int slash = tail.indexOf('/');
        String id = slash < 0 ? tail : tail.substring(0, slash);
        String action = slash < 0 ? "" : tail.substring(slash + 1);
        if (id.isEmpty()) {
            send(ctx, error(HttpResponseStatus.BAD_REQUEST, "INVALID_REQUEST", "no subscription id"), keepAlive);
            return;
        }
        String body = request.content().toString(StandardCharsets.UTF_8);
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (action.isEmpty() && HttpMethod.PUT.equals(method)) {
            String baseUrl = (Transport.secure(ctx.channel()) ? "https://" : "http://")
                    + request.headers().get(HttpHeaderNames.HOST, "localhost");
            answer(ctx, keepAlive, subscriptions.create(root, id, body, baseUrl), c -> json(
                    c.created() ? HttpResponseStatus.CREATED : HttpResponseStatus.OK, c.description()));
        } else if (action.isEmpty() && HttpMethod.GET.equals(method)) {
            answer(ctx, keepAlive, subscriptions.describe(root, id), d -> json(HttpResponseStatus.OK, d));
        } else if (action.isEmpty() && HttpMethod.DELETE.equals(method)) {
            answer(ctx, keepAlive, subscriptions.delete(root, id), v -> empty());
        } else if (action.equals("streams") && HttpMethod.POST.equals(method)) {
            answer(ctx, keepAlive, subscriptions.addStreams(root, id, body), v -> empty());
        } else if (action.startsWith("streams/") && HttpMethod.DELETE.equals(method)) {
            answer(ctx, keepAlive, subscriptions.removeStream(root, id, action.substring("streams/".length())),
                    v -> empty());
        } else if (HttpMethod.POST.equals(method) && (action.equals("callback") || action.equals("ack"))) {
            answer(ctx, keepAlive, subscriptions.ack(root, id, authorization, body),
                    r -> json(HttpResponseStatus.OK, r));
        } else if (HttpMethod.POST.equals(method) && action.equals("claim")) {
            answer(ctx, keepAlive, subscriptions.claim(root, id, body), r -> json(HttpResponseStatus.OK, r));
        } else if (HttpMethod.POST.equals(method) && action.equals("release")) {
            answer(ctx, keepAlive, subscriptions.release(root, id, authorization, body), v -> empty());
        } else if (!subscriptions.exists(root, id)) {
            send(ctx, error(HttpResponseStatus.NOT_FOUND, "NOT_FOUND", "no such subscription: " + id), keepAlive);
        } else {
            send(ctx, error(HttpResponseStatus.NOT_FOUND, "NOT_FOUND", "no such subscription API: " + action),
                    keepAlive);
        }
    }

    /**
     * Sends {@code ok(result)} once {@code outcome} completes, or the status of its failure; the
     * connection's later requests wait until then.
     */
    private static <T> void answer(ChannelHandlerContext ctx, boolean keepAlive, CompletableFuture<T> outcome,
            Function<T, FullHttpResponse> ok) {
        PipeliningHandler.hold(ctx);
        outcome.whenComplete((result, failure) -> ctx.executor().execute(() -> {
            try {
                FullHttpResponse r = failure == null ? ok.apply(result) : response(failure);
                if (r == null) {
                    LOG.debug("HTTP connection {} failed", ctx.channel().remoteAddress(), failure);
                    ctx.close();
                } else {
                    send(ctx, r, keepAlive);
                }
            } finally {
                PipeliningHandler.release(ctx);
            }
        }));
    }

    /**
     * The answer to a failed request: the one map from the subscriptions domain's failures to statuses.
     * Null for an unexpected failure: the connection is closed, as for any handler that throws.
     */
    static FullHttpResponse response(Throwable failure) {
        Throwable e = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (e instanceof IllegalArgumentException || e instanceof ClassCastException) {
            return error(HttpResponseStatus.BAD_REQUEST, "INVALID_REQUEST", String.valueOf(e.getMessage()));
        } else if (e instanceof RefusedTargetException) {
            return error(HttpResponseStatus.BAD_REQUEST, "WEBHOOK_URL_REJECTED", e.getMessage());
        } else if (e instanceof NoSuchSubscriptionException) {
            return error(HttpResponseStatus.NOT_FOUND, "NOT_FOUND", e.getMessage());
        } else if (e instanceof SubscriptionConflictException) {
            return error(HttpResponseStatus.CONFLICT, "SUBSCRIPTION_CONFLICT", e.getMessage());
        } else if (e instanceof FencedException) {
            return error(HttpResponseStatus.CONFLICT, "FENCED", e.getMessage());
        } else if (e instanceof AlreadyClaimedException c) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("code", "ALREADY_CLAIMED");
            body.put("current_holder", c.holder());
            body.put("generation", c.generation());
            return json(HttpResponseStatus.CONFLICT, Map.of("error", body));
        }
        return null;
    }

    private static FullHttpResponse error(HttpResponseStatus status, String code, String message) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("code", code);
        e.put("message", message);
        return json(status, Map.of("error", e));
    }

    private static FullHttpResponse json(HttpResponseStatus status, Object body) {
        byte[] bytes = Json.write(body).getBytes(StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        r.headers().set(CONTENT_TYPE, "application/json").set(CONTENT_LENGTH, bytes.length)
                .set(CACHE_CONTROL, "no-store");
        return r;
    }

    private static FullHttpResponse empty() {
        return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT, Unpooled.EMPTY_BUFFER);
    }
}
