package org.httpfstream.client;

import java.io.IOException;
import java.net.URI;

/**
 * An APPEND with {@code Stream-Expected-Offset} refused because the stream's length is another: the
 * server answered 409 with the length in {@code Stream-Next-Offset}. Immutable.
 */
final class OffsetMismatchException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The response header with the stream's length, an offset token. */
    static final String NEXT_OFFSET = "Stream-Next-Offset";

    private final long length;

    private OffsetMismatchException(String message, long length) {
        super(message);
        this.length = length;
    }

    /** The refusal of an APPEND to {@code uri} whose stream is {@code token} long; a bad token is a plain failure. */
    static IOException of(URI uri, String token, String body) {
        long length = FollowInputStream.parseOffset(token);
        if (length < 0) {
            return new IOException("APPEND " + uri + " failed: 409 with a malformed " + NEXT_OFFSET + " ("
                    + HttpResponseHead.printable(token, 40) + ")");
        }
        return new OffsetMismatchException("APPEND " + uri + " refused: the stream is " + length + " bytes long"
                + (body.isEmpty() ? "" : " (server said: " + body + ")"), length);
    }

    /** The stream's length when the APPEND was refused. */
    long length() {
        return length;
    }
}
