package org.httpfstream.server.ws;

import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import org.httpfstream.store.InsufficientStorageException;
import org.httpfstream.store.StreamTooLargeException;

/**
 * The one map from a failure to the WebSocket close status that ends a session with it ({@link
 * #forFailure}): a frame that breaks a rule closes with that rule's status (1002, 1007, 1009), a stream
 * past its size limit with 1009 ("message too big"), any other failure (a full disk, a failed write or
 * sync) with 1011. The HTTP statuses have their own map, {@link
 * org.httpfstream.server.routing.FailureStatus}.
 *
 * <p>Also which WebSocket close status codes a peer may send (RFC 6455 section 7.4 and the IANA registry):
 * 1000 to 1003, 1007 to 1014, and 3000 to 4999. Everything else is a protocol error (answered with
 * Close 1002): codes below 1000, 1004 to 1006 and 1015 (which must never be sent in a frame), the
 * unassigned rest of 1000 to 2999, and 5000 and up, which RFC 6455 leaves undefined. Netty's own
 * check accepts every code from 3000 up, so 5000 would otherwise be taken for a normal close.
 *
 * <p>Thread safety: stateless.
 */
public final class CloseCodes {
    private CloseCodes() {}

    /** The close status that ends a WebSocket session failed by {@code failure}. */
    public static WebSocketCloseStatus forFailure(Throwable failure) {
        if (failure instanceof CorruptedWebSocketFrameException bad) {
            return bad.closeStatus() != null ? bad.closeStatus() : WebSocketCloseStatus.PROTOCOL_ERROR;
        }
        if (failure instanceof StreamTooLargeException) {
            return WebSocketCloseStatus.MESSAGE_TOO_BIG;
        }
        return WebSocketCloseStatus.INTERNAL_SERVER_ERROR;
    }

    /**
     * The reason sent with the close status of a failed append's write or sync (at most 123 bytes, as
     * RFC 6455 allows).
     */
    static String appendReason(Throwable failure) {
        if (failure instanceof StreamTooLargeException tooLarge) {
            return "stream size limit of " + tooLarge.limit() + " bytes reached; append refused";
        }
        if (failure instanceof InsufficientStorageException) {
            String m = String.valueOf(failure.getMessage());
            return m.contains("no space left on device")
                    ? "insufficient storage: no space left on device; append refused, nothing of it kept"
                    : "insufficient storage: write failed; append refused, nothing of it kept";
        }
        return "failed to persist data";
    }

    /** True if a peer may send {@code code} in a Close frame. */
    static boolean isValid(int code) {
        return (code >= 1000 && code <= 1003)
                || (code >= 1007 && code <= 1014)
                || (code >= 3000 && code <= 4999);
    }
}
