package org.httpfstream.auth;

import java.util.Locale;

/**
 * What a token may do on the paths of its grant. {@link #ADMIN} implies every other permission.
 *
 * <p>Which request needs which permission is decided in one place: {@code
 * org.httpfstream.server.guard.Authorizer#required}.
 */
public enum Permission {
    /** Read a stream: plain GET, {@code ?follow}, WebSocket FOLLOW, Durable Streams HEAD/GET/long-poll/SSE. */
    READ,
    /** Create, append to and close a stream: WebSocket APPEND, Durable Streams PUT and POST. */
    APPEND,
    /** Delete a stream: Durable Streams DELETE. */
    DELETE,
    /** Everything, including the control APIs under {@code /__ds/} (subscriptions) and signing links. */
    ADMIN;

    /** The name used in a grant file: lower case. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The permission named {@code label} in a grant file, or null if there is none. */
    static Permission parse(String label) {
        for (Permission p : values()) {
            if (p.label().equals(label)) {
                return p;
            }
        }
        return null;
    }
}
