package org.httpfstream.auth;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The form of a request path that grants are matched against: the one the stream store uses. The
 * store splits a percent-decoded path at {@code /}, ignores empty segments (so {@code //} and a
 * trailing slash change nothing) and names a file by the rest; paths are case sensitive, like the file
 * system. Here {@code .} segments are dropped and {@code ..} removes the segment before it, so that a
 * path such as {@code /public/../secret} is judged as {@code /secret} (the store then refuses the
 * {@code ..} with {@code 400} anyway) and no spelling of a path reaches past a grant.
 *
 * <p>Thread safety: stateless; safe for use by any thread.
 */
public final class StreamPaths {
    private StreamPaths() {}

    /**
     * The canonical form of a percent-decoded request path: {@code /} followed by its segments joined by
     * single slashes, never ending in {@code /} (except the root {@code /} itself).
     */
    public static String canonical(String decodedPath) {
        Deque<String> segments = new ArrayDeque<>();
        for (String s : decodedPath.replace('\\', '/').split("/")) {
            if (s.isEmpty() || s.equals(".")) {
                continue;
            }
            if (s.equals("..")) {
                segments.pollLast();
            } else {
                segments.addLast(s);
            }
        }
        return "/" + String.join("/", segments);
    }

    /**
     * The canonical form of a grant's or a signed link's scope: an exact path, or a prefix when it ends
     * in {@code /} (which it keeps). {@code /} is everything.
     */
    public static String canonicalScope(String scope) {
        String c = canonical(scope);
        return scope.endsWith("/") && !c.equals("/") ? c + "/" : c;
    }

    /**
     * True if the scope {@code granted} covers {@code wanted}: equal, or {@code granted} is a prefix
     * ending in {@code /} that {@code wanted} starts with. Both must be canonical; {@code wanted} may be
     * a scope itself (a prefix ending in {@code /}), as for signing a link or a control API of a prefix.
     */
    public static boolean covers(String granted, String wanted) {
        if (granted.endsWith("/")) {
            return wanted.startsWith(granted);
        }
        return granted.equals(wanted);
    }
}
