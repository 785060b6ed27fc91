package org.httpfstream.browser;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Which browser origins may write: the web pages whose scripts and forms may append, create, close or
 * delete streams, or change subscriptions. A request that carries no {@code Origin} header does not come
 * from a web page (curl, the Go and Java clients) and is always allowed; a request from a page is allowed
 * if the page has the server's own origin, if its origin is in the list, or if the list is {@code *}.
 *
 * <p>Origins are compared as scheme, host and port, with the host in lower case and the default port
 * (80 for {@code http}, 443 for {@code https}) filled in, so {@code http://Example.com} and {@code
 * http://example.com:80/} are the same origin. {@code Origin: null} (sandboxed frames, {@code file:} and
 * {@code data:} pages, redirects across origins) and anything that is not an {@code http} or {@code https}
 * origin is never allowed, except by {@code *}.
 *
 * <p>The server's own origin is the request's {@code Host} header: the origin's host and port must be
 * the Host's (a Host without a port has the origin's scheme's default port). The scheme is not compared:
 * the server speaks plain HTTP, and a page served over {@code https} reaches it only through a TLS proxy
 * that keeps the Host, which is the same site.
 *
 * <p>Thread safety: immutable.
 */
public final class OriginPolicy {
    private static final OriginPolicy SAME_ORIGIN = new OriginPolicy(false, Set.of());
    private static final OriginPolicy ANY = new OriginPolicy(true, Set.of());

    private final boolean any;
    /** Normalised origins, {@code scheme://host:port}. */
    private final Set<String> origins;

    private OriginPolicy(boolean any, Set<String> origins) {
        this.any = any;
        this.origins = origins;
    }

    /** The default: pages of the server's own origin only. */
    public static OriginPolicy sameOriginOnly() {
        return SAME_ORIGIN;
    }

    /** {@code *}: pages of every origin, including {@code null}; no origin is ever refused. */
    public static OriginPolicy anyOrigin() {
        return ANY;
    }

    /**
     * The server's own origin and {@code origins}, each a URL of the form {@code scheme://host[:port]}
     * with at most a trailing {@code /}; the single entry {@code *} means {@link #anyOrigin()}.
     *
     * @throws IllegalArgumentException naming the first entry that is not such an origin
     */
    public static OriginPolicy of(Collection<String> origins) {
        Objects.requireNonNull(origins, "origins");
        Set<String> set = new LinkedHashSet<>();
        for (String o : origins) {
            String s = Objects.requireNonNull(o, "origin").trim();
            if (s.equals("*")) {
                if (origins.size() != 1) {
                    throw new IllegalArgumentException("* allows every origin and cannot be combined with others");
                }
                return ANY;
            }
            String n = normalize(s, true);
            if (n == null) {
                throw new IllegalArgumentException("not an origin (http[s]://host[:port]): " + s);
            }
            set.add(n);
        }
        return set.isEmpty() ? SAME_ORIGIN : new OriginPolicy(false, java.util.Collections.unmodifiableSet(set));
    }

    /** {@link #of} a comma-separated list, as the {@code -allow-origin} flag takes it; empty: same origin only. */
    public static OriginPolicy parse(String list) {
        Objects.requireNonNull(list, "list");
        Set<String> items = new LinkedHashSet<>();
        for (String s : list.split(",")) {
            if (!s.isBlank()) {
                items.add(s.trim());
            }
        }
        return of(items);
    }

    /** True for {@code *}. */
    public boolean allowsAnyOrigin() {
        return any;
    }

    /** The listed origins besides the server's own, normalised ({@code http://example.com:80}). */
    public Set<String> origins() {
        return origins;
    }

    /**
     * True if a writing request from {@code origin} to a server addressed as {@code host} is allowed.
     *
     * @param origin the request's {@code Origin} header; null if it has none (not a browser: allowed)
     * @param host the request's {@code Host} header, null if it has none
     */
    public boolean allows(String origin, String host) {
        if (origin == null || any) {
            return true;
        }
        String o = normalize(origin.trim(), false);
        if (o == null) {
            return false; // "null", or not an http(s) origin
        }
        return origins.contains(o) || sameOrigin(o, host);
    }

    /** True if normalised origin {@code o} has the host and port of Host header {@code host}. */
    private static boolean sameOrigin(String o, String host) {
        if (host == null || host.isBlank()) {
            return false;
        }
        int schemeEnd = o.indexOf("://");
        String scheme = o.substring(0, schemeEnd);
        String h = host.trim().toLowerCase(Locale.ROOT);
        String name;
        String port;
        int close = h.lastIndexOf(']');
        int colon = h.lastIndexOf(':');
        if (colon > close && colon >= 0) {
            name = h.substring(0, colon);
            port = h.substring(colon + 1);
        } else {
            name = h;
            port = scheme.equals("https") ? "443" : "80";
        }
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        try {
            int p = Integer.parseInt(port);
            return o.substring(schemeEnd + 3).equals(name + ":" + p);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * {@code scheme://host:port} in lower case with the default port filled in, or null if {@code s} is
     * not an http(s) origin. {@code trailingSlash}: a configured origin may end in {@code /}.
     */
    static String normalize(String s, boolean trailingSlash) {
        URI u;
        try {
            u = new URI(s);
        } catch (URISyntaxException e) {
            return null;
        }
        String scheme = u.getScheme() == null ? null : u.getScheme().toLowerCase(Locale.ROOT);
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            return null;
        }
        String path = u.getRawPath();
        if (u.getHost() == null || u.getRawUserInfo() != null || u.getRawQuery() != null
                || u.getRawFragment() != null
                || !(path == null || path.isEmpty() || (trailingSlash && path.equals("/")))) {
            return null;
        }
        String host = u.getHost().toLowerCase(Locale.ROOT);
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        int port = u.getPort() >= 0 ? u.getPort() : scheme.equals("https") ? 443 : 80;
        return scheme + "://" + host + ":" + port;
    }

    /** As the flag takes it: {@code *}, the listed origins, or {@code same-origin}. */
    @Override
    public String toString() {
        return any ? "*" : origins.isEmpty() ? "same-origin" : "same-origin," + String.join(",", origins);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OriginPolicy p && p.any == any && p.origins.equals(origins);
    }

    @Override
    public int hashCode() {
        return Objects.hash(any, origins);
    }
}
