package org.httpfstream.server.guard;

import org.httpfstream.server.Headers;
import org.httpfstream.server.Refusals;
import org.httpfstream.server.routing.HttpErrors;
import org.httpfstream.server.routing.HttpFStreamHandler;
import org.httpfstream.server.subscriptions.SubscriptionsHandler;
import org.httpfstream.server.ws.AppendRateThrottle;
import static io.netty.handler.codec.http.HttpHeaderNames.AUTHORIZATION;
import static io.netty.handler.codec.http.HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL;
import static io.netty.handler.codec.http.HttpHeaderNames.UPGRADE;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.AttributeKey;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.httpfstream.auth.AccessControl;
import org.httpfstream.auth.Decision;
import org.httpfstream.auth.Permission;
import org.httpfstream.auth.SignedLinks;
import org.httpfstream.auth.StreamPaths;

/**
 * Authentication and authorisation of every request, before anything is upgraded or stored: the
 * Netty side of {@link AccessControl}. {@link HttpFStreamHandler} calls {@link #admit} once per request,
 * right after parsing its path; it answers {@code 401}, {@code 403} or {@code 429} itself (and the
 * signing endpoint {@code POST /__ds/sign}), and removes the credentials from the request's URI so
 * that they are never stored, echoed or logged.
 *
 * <p>A token travels as {@code Authorization: Bearer TOKEN}, as the query parameter {@code
 * token=TOKEN}, or (for browser WebSockets, which cannot set headers) as two offered subprotocols,
 * {@value #SUBPROTOCOL} and {@code bearer.BASE64URL(TOKEN)}; the server then answers with {@value
 * #SUBPROTOCOL}, never echoing the token. Without a grant file every request is let through, as before.
 *
 * <p>Thread safety: safe for use by any thread; the decisions are {@link AccessControl}'s.
 */
public final class Authorizer {
    /** The subprotocol a browser offers alongside its token, and the one the server chooses. */
    public static final String SUBPROTOCOL = "httpfstream";
    /** The prefix of the subprotocol carrying the token, base64url-encoded without padding. */
    public static final String BEARER_SUBPROTOCOL = "bearer.";
    /** The query parameter carrying a token. */
    public static final String TOKEN_PARAM = "token";
    /** The path of the signing endpoint. */
    public static final String SIGN_PATH = "/" + SubscriptionsHandler.PREFIX + "/sign";
    /**
     * Who made the request being handled on a channel: {@code token:<fingerprint>}, {@code link:<…>} or
     * {@code anonymous}; set by {@link #admit} when a grant file is in use. For the access log.
     */
    public static final AttributeKey<String> PRINCIPAL = AttributeKey.valueOf("httpfstream.principal");

    private static final String REALM = "Bearer realm=\"httpfstream\"";

    private final AccessControl access;
    private final Refusals refusals;

    /**
     * @param access the decisions, or null to let every request through
     */
    public Authorizer(AccessControl access, Refusals refusals) {
        this.access = access;
        this.refusals = refusals;
    }

    /** Lets every request through. */
    public static Authorizer open(Refusals refusals) {
        return new Authorizer(null, refusals);
    }

    /** True if requests need a token or a signed link. */
    public boolean enabled() {
        return access != null;
    }

    /**
     * The permission a request needs, for every route in one place; null if it needs none (CORS
     * preflight, the public key set of webhook signatures).
     *
     * @param path the percent-decoded request path
     * @param verb the original protocol's verb ({@code X-Verb} or {@code verb=}), or null
     */
    public static Permission required(HttpMethod method, String path, String verb) {
        if (HttpMethod.OPTIONS.equals(method)) {
            return null;
        }
        int control = (path + "/").indexOf("/" + SubscriptionsHandler.PREFIX + "/");
        if (control >= 0) {
            boolean read = HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method);
            return read && path.endsWith("/" + SubscriptionsHandler.PREFIX + "/jwks.json") ? null : Permission.ADMIN;
        }
        if (HttpMethod.PUT.equals(method) || HttpMethod.POST.equals(method)) {
            return Permission.APPEND;
        }
        if (HttpMethod.DELETE.equals(method)) {
            return Permission.DELETE;
        }
        if (HttpMethod.GET.equals(method) && "APPEND".equals(verb)) {
            return Permission.APPEND;
        }
        if (HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method)) {
            return Permission.READ;
        }
        return Permission.ADMIN; // a method no route takes today: whoever adds one decides here
    }

    /**
     * Admits or refuses one request. Removes {@code token} and the signed-link parameters from the
     * request's URI whether or not a grant file is in use.
     *
     * @param path the percent-decoded request path
     * @return the request's query without the credentials, or null if this method answered the request
     */
    public QueryStringDecoder admit(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder query,
            String path, boolean keepAlive) {
        String verb = request.headers().get(Headers.VERB_HEADER);
        if (verb == null) {
            verb = first(query, Headers.VERB_PARAM);
        }
        String queryToken = first(query, TOKEN_PARAM);
        AccessControl.Link link = link(query);
        if (queryToken != null || link != null || query.parameters().containsKey(SignedLinks.SCOPE)) {
            query = strip(request, query);
        }
        boolean sign = path.equals(SIGN_PATH);
        if (access == null) {
            if (sign) {
                HttpErrors.send(ctx, HttpResponseStatus.NOT_FOUND,
                        "signed links need a grant file (server flag -tokens)", keepAlive);
                return null;
            }
            return query;
        }
        Permission permission = required(request.method(), path, verb);
        if (permission == null) {
            return query;
        }
        String scope;
        if (sign) {
            String asked = first(query, "path");
            if (!HttpMethod.POST.equals(request.method()) || asked == null || !asked.startsWith("/")) {
                HttpErrors.send(ctx, HttpResponseStatus.BAD_REQUEST,
                        "sign with POST " + SIGN_PATH + "?path=/STREAM_OR_PREFIX/&ttl=DURATION", keepAlive);
                return null;
            }
            scope = StreamPaths.canonicalScope(asked);
        } else if (permission == Permission.ADMIN) { // a control API of the streams under a prefix
            int control = (path + "/").indexOf("/" + SubscriptionsHandler.PREFIX + "/");
            scope = StreamPaths.canonicalScope(path.substring(0, control) + "/");
        } else {
            scope = StreamPaths.canonical(path);
        }
        String token = token(request, queryToken);
        long body = permission == Permission.APPEND ? request.content().readableBytes() : 0;
        Decision d = access.decide(token, link, scope, permission, body);
        ctx.channel().attr(PRINCIPAL).set(d.principal());
        if (!d.allowed()) {
            refuse(ctx, d, keepAlive && !isUpgrade(request));
            return null;
        }
        if (sign) {
            sign(ctx, query, scope, keepAlive);
            return null;
        }
        if (d.bytes() != null && isUpgrade(request) && "APPEND".equals(verb)) {
            ctx.pipeline().addFirst("append-rate", new AppendRateThrottle(d.bytes(), access::nanoTime));
        }
        return query;
    }

    /**
     * For a listing: which paths the request's credentials may read, or null after answering 401
     * (credentials needed and none given). Every path is readable without a grant file. Removes the
     * credentials from the request's URI, as {@link #admit} does.
     */
    public java.util.function.Predicate<String> readable(ChannelHandlerContext ctx, FullHttpRequest request,
            QueryStringDecoder query, boolean keepAlive) {
        String queryToken = first(query, TOKEN_PARAM);
        AccessControl.Link link = link(query);
        stripCredentials(request, query);
        if (access == null) {
            return p -> true;
        }
        String token = token(request, queryToken);
        if (token == null && link == null) {
            refuse(ctx, new Decision(Decision.Outcome.MISSING, "a token is needed (Authorization: Bearer TOKEN)",
                    "anonymous", 0, null), keepAlive);
            return null;
        }
        return p -> access.mayRead(token, link, StreamPaths.canonical(p));
    }

    /** Removes the token and the signed-link parameters from the request's URI; returns its new query. */
    public static QueryStringDecoder stripCredentials(FullHttpRequest request, QueryStringDecoder query) {
        return strip(request, query);
    }

    /** The signed link of the query, or null if it has none. */
    private static AccessControl.Link link(QueryStringDecoder query) {
        return query.parameters().containsKey(SignedLinks.SIGNATURE)
                || query.parameters().containsKey(SignedLinks.EXPIRES)
                ? new AccessControl.Link(first(query, SignedLinks.EXPIRES), first(query, SignedLinks.SCOPE),
                        first(query, SignedLinks.SIGNATURE))
                : null;
    }

    /** The token of a request: its bearer header, else its query's, else (on an upgrade) its subprotocol's. */
    private static String token(FullHttpRequest request, String queryToken) {
        String token = bearer(request);
        if (token == null) {
            token = queryToken;
        }
        if (token == null && isUpgrade(request)) {
            token = subprotocolToken(request);
        }
        return token;
    }

    private void refuse(ChannelHandlerContext ctx, Decision d, boolean keepAlive) {
        FullHttpResponse response;
        switch (d.outcome()) {
            case MISSING -> {
                refusals.count(Refusals.Reason.AUTH_MISSING);
                response = HttpErrors.response(HttpResponseStatus.UNAUTHORIZED, "not authorised: " + d.message());
                response.headers().set("WWW-Authenticate", d.message().startsWith("unknown")
                        ? REALM + ", error=\"invalid_token\"" : REALM);
            }
            case FORBIDDEN, SIGNED_LINK -> {
                refusals.count(d.outcome() == Decision.Outcome.FORBIDDEN
                        ? Refusals.Reason.AUTH_FORBIDDEN : Refusals.Reason.SIGNED_LINK);
                response = HttpErrors.response(HttpResponseStatus.FORBIDDEN, "not authorised: " + d.message());
                response.headers().set("WWW-Authenticate", REALM + ", error=\"insufficient_scope\"");
            }
            default -> {
                refusals.count(Refusals.Reason.RATE);
                response = HttpErrors.response(HttpResponseStatus.TOO_MANY_REQUESTS, "too many requests: " + d.message());
                response.headers().set("Retry-After", Long.toString(d.retryAfterSeconds()));
            }
        }
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ChannelFuture f = ctx.writeAndFlush(response);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private void sign(ChannelHandlerContext ctx, QueryStringDecoder query, String scope, boolean keepAlive) {
        Duration ttl;
        try {
            ttl = ttl(first(query, "ttl"));
        } catch (IllegalArgumentException e) {
            HttpErrors.send(ctx, HttpResponseStatus.BAD_REQUEST, e.getMessage(), keepAlive);
            return;
        }
        HttpErrors.send(ctx, HttpResponseStatus.OK, access.links().sign(scope, ttl), keepAlive);
    }

    /** A ttl such as {@code 24h}, {@code 90m}, {@code 30s}, {@code 7d} or a number of seconds; default 24h. */
    static Duration ttl(String text) {
        if (text == null || text.isEmpty()) {
            return Duration.ofHours(24);
        }
        String t = text.strip().toLowerCase(Locale.ROOT);
        char unit = t.charAt(t.length() - 1);
        long n;
        try {
            n = Long.parseLong(Character.isDigit(unit) ? t : t.substring(0, t.length() - 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("ttl must be a positive number with s, m, h or d: " + text);
        }
        Duration d = switch (unit) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            case 'h' -> Duration.ofHours(n);
            case 'd' -> Duration.ofDays(n);
            default -> Character.isDigit(unit) ? Duration.ofSeconds(n) : null;
        };
        if (d == null || n <= 0 || n > 3650L * 24 * 3600) {
            throw new IllegalArgumentException("ttl must be a positive number with s, m, h or d: " + text);
        }
        return d;
    }

    private static String bearer(FullHttpRequest request) {
        String h = request.headers().get(AUTHORIZATION);
        if (h == null || h.length() < 7 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return h.substring(7).strip();
    }

    /** The token of a {@code bearer.BASE64URL} subprotocol, or null. */
    static String subprotocolToken(FullHttpRequest request) {
        for (String protocols : request.headers().getAll(SEC_WEBSOCKET_PROTOCOL)) {
            for (String p : protocols.split(",")) {
                p = p.strip();
                if (p.startsWith(BEARER_SUBPROTOCOL)) {
                    try {
                        return new String(Base64.getUrlDecoder().decode(p.substring(BEARER_SUBPROTOCOL.length())),
                                StandardCharsets.UTF_8);
                    } catch (IllegalArgumentException e) {
                        return ""; // not base64url: an unknown token
                    }
                }
            }
        }
        return null;
    }

    /** Removes the token and the signed-link parameters from the request's URI; returns its new query. */
    private static QueryStringDecoder strip(FullHttpRequest request, QueryStringDecoder query) {
        StringBuilder kept = new StringBuilder();
        for (String pair : query.rawQuery().split("&")) {
            int eq = pair.indexOf('=');
            String name = QueryStringDecoder.decodeComponent(eq < 0 ? pair : pair.substring(0, eq));
            if (pair.isEmpty() || name.equals(TOKEN_PARAM) || name.equals(SignedLinks.EXPIRES)
                    || name.equals(SignedLinks.SCOPE) || name.equals(SignedLinks.SIGNATURE)) {
                continue;
            }
            kept.append(kept.length() == 0 ? "" : "&").append(pair);
        }
        String uri = query.rawPath() + (kept.length() == 0 ? "" : "?" + kept);
        request.setUri(uri);
        return new QueryStringDecoder(uri);
    }

    private static boolean isUpgrade(FullHttpRequest request) {
        return HttpHeaderValues.WEBSOCKET.contentEqualsIgnoreCase(request.headers().get(UPGRADE));
    }

    private static String first(QueryStringDecoder query, String name) {
        List<String> values = query.parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
