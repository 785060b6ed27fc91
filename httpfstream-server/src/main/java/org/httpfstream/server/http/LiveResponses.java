package org.httpfstream.server.http;

import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;

/**
 * How a live response of unknown length ({@code ?follow}, SSE) is delimited. HTTP/1.1 gets chunked
 * transfer coding; HTTP/1.0 has none (RFC 9112 section 6.1: a server must not send it to an HTTP/1.0
 * client), so an HTTP/1.0 request gets a response without {@code Transfer-Encoding} and without {@code
 * Content-Length}, whose body ends when the server closes the connection: no trailers and no keep-alive
 * bytes, and an end that looks like an abort (the client learns the final offset with {@code HEAD}).
 * Proxies such as nginx talk HTTP/1.0 to their upstream unless told otherwise ({@code
 * proxy_http_version 1.1}). Thread safety: stateless.
 */
public final class LiveResponses {
    private LiveResponses() {}

    /** True if the live response to {@code request} must be delimited by closing the connection. */
    public static boolean closeDelimited(HttpRequest request) {
        HttpVersion v = request.protocolVersion();
        return v.majorVersion() < 1 || (v.majorVersion() == 1 && v.minorVersion() == 0);
    }
}
