package org.httpfstream.client;

import java.io.IOException;

/**
 * The server answered a request with an HTTP status the client does not accept there (for instance 400,
 * or 503 from a proxy); the message quotes the status line and the start of the body. Immutable.
 */
final class UnexpectedStatusException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The HTTP status code. */
    private final int status;

    UnexpectedStatusException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** Returns the HTTP status code of the response, e.g. 400. */
    int status() {
        return status;
    }
}
