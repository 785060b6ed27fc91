package org.httpfstream.server.ws;

/**
 * Which WebSocket close status codes a peer may send (RFC 6455 section 7.4 and the IANA registry):
 * 1000 to 1003, 1007 to 1014, and 3000 to 4999. Everything else is a protocol error (answered with
 * Close 1002): codes below 1000, 1004 to 1006 and 1015 (which must never be sent in a frame), the
 * unassigned rest of 1000 to 2999, and 5000 and up, which RFC 6455 leaves undefined. Netty's own
 * check accepts every code from 3000 up, so 5000 would otherwise be taken for a normal close.
 *
 * <p>Thread safety: stateless.
 */
public final class CloseCodes {
    private CloseCodes() {}

    /** True if a peer may send {@code code} in a Close frame. */
    static boolean isValid(int code) {
        return (code >= 1000 && code <= 1003)
                || (code >= 1007 && code <= 1014)
                || (code >= 3000 && code <= 4999);
    }
}
