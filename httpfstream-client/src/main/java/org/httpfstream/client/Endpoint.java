package org.httpfstream.client;

import java.net.URI;
import java.util.Locale;
import java.util.Objects;

/**
 * Where and how to connect for a URI: the socket address, whether to use TLS, and the {@code Host} header
 * and request target to send. Immutable.
 *
 * @param secure true for {@code https}
 * @param host the host to connect to, without the brackets of an IPv6 literal
 * @param port the port to connect to; 80 or 443 when the URI has none
 * @param hostHeader the value of the {@code Host} request header (host, plus {@code :port} if the URI has one)
 * @param requestTarget the raw path (at least {@code "/"}) plus {@code "?" + raw query} if there is one
 */
record Endpoint(boolean secure, String host, int port, String hostHeader, String requestTarget) {

    static final int HTTP_PORT = 80;
    static final int HTTPS_PORT = 443;

    /**
     * Computes the endpoint of {@code uri}.
     *
     * @throws IllegalArgumentException if the scheme is not http or https, or the URI has no host
     */
    static Endpoint of(URI uri) {
        Objects.requireNonNull(uri, "uri");
        String scheme = uri.getScheme();
        if (scheme == null) {
            throw new IllegalArgumentException("uri has no scheme (expected http or https): " + uri);
        }
        boolean secure;
        switch (scheme.toLowerCase(Locale.ROOT)) {
            case "http":
                secure = false;
                break;
            case "https":
                secure = true;
                break;
            default:
                throw new IllegalArgumentException(
                        "unsupported URI scheme \"" + scheme + "\" (expected http or https): " + uri);
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("uri has no host: " + uri);
        }
        int port = uri.getPort() == -1 ? (secure ? HTTPS_PORT : HTTP_PORT) : uri.getPort();
        String hostHeader = uri.getPort() == -1 ? host : host + ":" + port;
        String connectHost = host.length() > 2 && host.charAt(0) == '[' && host.charAt(host.length() - 1) == ']'
                ? host.substring(1, host.length() - 1)
                : host;
        String path = uri.getRawPath();
        if (path == null || path.isEmpty()) {
            path = "/";
        }
        String query = uri.getRawQuery();
        return new Endpoint(secure, connectHost, port, hostHeader, query == null ? path : path + "?" + query);
    }
}
