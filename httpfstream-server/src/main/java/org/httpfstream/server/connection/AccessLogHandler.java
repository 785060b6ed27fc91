package org.httpfstream.server.connection;

import org.httpfstream.server.HttpFStreamInitializer;
import org.httpfstream.server.Refusals;
import org.httpfstream.server.guard.Authorizer;
import org.httpfstream.server.guard.ConnectionLimiter;
import org.httpfstream.server.guard.RequestTimer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.httpfstream.auth.SignedLinks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log: one line per HTTP request and one per WebSocket session, on the SLF4J logger {@value
 * #LOGGER} at INFO, written when the response has ended (for {@code ?follow}, SSE and long-polls that is
 * when the read ends; for a WebSocket, when its connection closes). In logfmt:
 *
 * <pre>
 * client=127.0.0.1:50412 principal=token:1f2e3d4c method=GET path=/logs/app?offset=0 status=200 in=0 out=5123 ms=12 kind=http end=complete proto=http/1.1
 * </pre>
 *
 * {@code principal} is who {@link Authorizer} found ({@link Authorizer#PRINCIPAL}: {@code
 * token:FINGERPRINT}, {@code link:…}, {@code anonymous}) or {@code -} without a grant file; a token is
 * never logged, and neither are the token and signed-link parameters of the query, which are dropped
 * from {@code path}. {@code in} is the bytes of the request body (of a WebSocket session: every byte
 * received after the upgrade), {@code out} the bytes written for the response (head, body, frames);
 * {@code ms} the time from the request head to the end. {@code kind} is {@code http} or {@code
 * websocket}; {@code end} is {@code complete}, or {@code aborted} when the connection closed before the
 * response ended (or before there was one: then {@code status=-}). {@code proto} is {@code http/1.1} or
 * {@code http/1.0} (as the request line says) or {@code h2}. Connections refused before a request
 * was read ({@link ConnectionLimiter}) and request heads that never arrived whole ({@link RequestTimer})
 * are not logged here; they are counted in {@link Refusals}.
 *
 * <p>Right after the HTTP codec ({@link HttpFStreamInitializer}), so that it sees the parsed requests
 * and the responses before they are encoded; it stays after a WebSocket upgrade. Responses come in
 * request order (HTTP/1.1), so pipelined requests are matched to them first in, first out.
 *
 * <p>On HTTP/2 there is one per stream, in the stream's child channel right after its {@code
 * Http2StreamFrameToHttpObjectCodec}, with the stream's own {@link TrafficCounter#forStream() counter}
 * before that codec: {@code out} is then the payload of the stream's DATA frames (its body; the head
 * goes HPACK-compressed on the connection, where it is not the stream's alone), {@code in} the request
 * body as on HTTP/1.1, and {@code client} the connection's remote address.
 *
 * <p>Per channel, not sharable; confined to the channel's event loop.
 */
public final class AccessLogHandler extends ChannelDuplexHandler {
    /** The name of the access log's logger. */
    static final String LOGGER = "httpfstream.access";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);
    /** Longest path logged; longer ones are cut and end with {@code …}. */
    static final int MAX_PATH = 1024;
    /** Query parameters never logged: credentials. */
    private static final Set<String> SECRET = Set.of(Authorizer.TOKEN_PARAM, SignedLinks.EXPIRES,
            SignedLinks.SCOPE, SignedLinks.SIGNATURE);

    /** One request, from its head to the end of its response. */
    private static final class Exchange {
        final String method;
        final String path;
        final String protocol;
        final long startNanos;
        long in;
        String status = "-";
        String principal;
        long outAtHead;
        boolean websocket;
        long receivedAtUpgrade;

        Exchange(String method, String path, String protocol, long startNanos) {
            this.method = method;
            this.path = path;
            this.protocol = protocol;
            this.startNanos = startNanos;
        }
    }

    private final TrafficCounter traffic;
    private final boolean http2;
    /** Requests whose response has not ended, oldest first. */
    private final ArrayDeque<Exchange> open = new ArrayDeque<>(2);

    /** The access log of an HTTP/1.1 connection whose bytes {@code traffic} counts. */
    public AccessLogHandler(TrafficCounter traffic) {
        this(traffic, false);
    }

    /**
     * The access log of an HTTP/1.1 connection, or with {@code http2} of one HTTP/2 stream, whose bytes
     * {@code traffic} counts.
     */
    public AccessLogHandler(TrafficCounter traffic, boolean http2) {
        this.traffic = java.util.Objects.requireNonNull(traffic, "traffic");
        this.http2 = http2;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof HttpRequest r) {
            open.addLast(new Exchange(r.method().name(), redact(r.uri()), protocol(r), System.nanoTime()));
        }
        if (msg instanceof HttpContent c && !open.isEmpty()) {
            open.peekLast().in += c.content().readableBytes();
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof HttpResponse r && informational(r)) { // 100 Continue: the response is still to come
            super.write(ctx, msg, promise);
            return;
        }
        if (msg instanceof HttpResponse r) {
            Exchange e = open.peekFirst();
            if (e == null) { // a response to no request read whole (a 408 of an unfinished body, say)
                e = new Exchange("-", "-", http2 ? "h2" : "-", System.nanoTime());
                open.addFirst(e);
            }
            e.status = Integer.toString(r.status().code());
            e.principal = ctx.channel().attr(Authorizer.PRINCIPAL).get();
            e.outAtHead = traffic.sent();
            if (r.status().code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
                e.websocket = true;
                e.receivedAtUpgrade = traffic.received();
            }
        }
        super.write(ctx, msg, promise);
        if (msg instanceof LastHttpContent && !open.isEmpty() && !open.peekFirst().websocket
                && !"-".equals(open.peekFirst().status)) {
            log(ctx, open.pollFirst(), true);
            if (open.isEmpty()) { // the next request is decided afresh (or refused before it is)
                ctx.channel().attr(Authorizer.PRINCIPAL).set(null);
            }
        }
    }

    private String protocol(HttpRequest r) {
        return http2 ? "h2" : clean(r.protocolVersion().text().toLowerCase(java.util.Locale.ROOT), 20);
    }

    private static boolean informational(HttpResponse r) {
        int code = r.status().code();
        return code >= 100 && code < 200 && code != HttpResponseStatus.SWITCHING_PROTOCOLS.code();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        for (Exchange e; (e = open.pollFirst()) != null; ) {
            log(ctx, e, e.websocket);
        }
        super.channelInactive(ctx);
    }

    private void log(ChannelHandlerContext ctx, Exchange e, boolean complete) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        long in = e.websocket ? traffic.received() - e.receivedAtUpgrade : e.in;
        long out = "-".equals(e.status) ? 0 : traffic.sent() - e.outAtHead;
        String principal = e.principal;
        if (principal == null) {
            principal = ctx.channel().attr(Authorizer.PRINCIPAL).get();
        }
        StringBuilder line = new StringBuilder(160 + e.path.length());
        Channel connection = http2 && ctx.channel().parent() != null ? ctx.channel().parent() : ctx.channel();
        line.append("client=").append(client(connection.remoteAddress()))
                .append(" principal=").append(principal == null ? "-" : clean(principal, 200))
                .append(" method=").append(e.method)
                .append(" path=").append(e.path)
                .append(" status=").append(e.status)
                .append(" in=").append(in)
                .append(" out=").append(out)
                .append(" ms=").append(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - e.startNanos))
                .append(" kind=").append(e.websocket ? "websocket" : "http")
                .append(" end=").append(complete ? "complete" : "aborted")
                .append(" proto=").append(e.protocol);
        LOG.info(line.toString());
    }

    private static String client(SocketAddress a) {
        if (a instanceof InetSocketAddress i && i.getAddress() != null) {
            String host = i.getAddress().getHostAddress();
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + i.getPort();
        }
        return String.valueOf(a);
    }

    /**
     * The request target as logged: without the token and signed-link parameters, without characters
     * that could break the line (anything but printable ASCII becomes {@code ?}), at most {@link
     * #MAX_PATH} characters.
     */
    static String redact(String uri) {
        int q = uri.indexOf('?');
        String target = uri;
        if (q >= 0) {
            StringBuilder kept = new StringBuilder(uri.length());
            kept.append(uri, 0, q);
            char sep = '?';
            for (String pair : uri.substring(q + 1).split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq));
                if (SECRET.contains(name)) {
                    continue;
                }
                kept.append(sep).append(pair);
                sep = '&';
            }
            target = kept.toString();
        }
        return clean(target, MAX_PATH);
    }

    private static String decode(String component) {
        try {
            return io.netty.handler.codec.http.QueryStringDecoder.decodeComponent(component);
        } catch (IllegalArgumentException e) {
            return component;
        }
    }

    private static String clean(String s, int max) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), max + 1));
        for (int i = 0; i < s.length(); i++) {
            if (b.length() >= max) {
                b.append('…');
                break;
            }
            char c = s.charAt(i);
            b.append(c > 0x20 && c < 0x7f ? c : '?');
        }
        return b.length() == 0 ? "-" : b.toString();
    }
}
