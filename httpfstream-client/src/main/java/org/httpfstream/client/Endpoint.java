package org.httpfstream.client;

import java.net.URI;
import java.nio.charset.StandardCharsets;
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

    /**
     * Returns the request target with the query parameter {@code offset=<offset>} (percent-encoded) in
     * place of any {@code offset} parameters the URI's query already has; the other parameters are kept
     * in their order.
     *
     * @param offset the offset token, or null for {@link #requestTarget()} unchanged
     */
    String requestTarget(String offset) {
        return requestTarget(offset, false);
    }

    /**
     * Like {@link #requestTarget(String)}, with the query parameter {@code follow} (no value) added if
     * {@code follow} is true and the query has none: a plain-HTTP live read, for a follower whose proxy
     * drops the WebSocket upgrade.
     */
    String requestTarget(String offset, boolean follow) {
        String target = withOffset(offset);
        if (!follow) {
            return target;
        }
        int q = target.indexOf('?');
        if (q >= 0) {
            for (String parameter : target.substring(q + 1).split("&")) {
                if (parameter.equals("follow") || parameter.startsWith("follow=")) {
                    return target;
                }
            }
        }
        return target + (q < 0 ? "?" : "&") + "follow";
    }

    private String withOffset(String offset) {
        if (offset == null) {
            return requestTarget;
        }
        int q = requestTarget.indexOf('?');
        StringBuilder target = new StringBuilder(requestTarget.length() + 32)
                .append(q < 0 ? requestTarget : requestTarget.substring(0, q)).append('?');
        if (q >= 0) {
            for (String parameter : requestTarget.substring(q + 1).split("&")) {
                int eq = parameter.indexOf('=');
                String name = eq < 0 ? parameter : parameter.substring(0, eq);
                if (!parameter.isEmpty() && !name.equals("offset")) {
                    target.append(parameter).append('&');
                }
            }
        }
        return target.append("offset=").append(encodeQueryValue(offset)).toString();
    }

    /** Percent-encodes {@code value} as UTF-8, leaving only RFC 3986 unreserved characters as they are. */
    static String encodeQueryValue(String value) {
        StringBuilder sb = new StringBuilder(value.length());
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xFF;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >>> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        return sb.toString();
    }
}
