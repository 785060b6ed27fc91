package org.httpfstream.client;

import java.io.IOException;

/** The server ended a WebSocket with a Close code that does not end the stream normally. Immutable. */
final class ServerClosedException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The server's Close status. */
    private final transient CloseStatus status;

    ServerClosedException(String message, CloseStatus status) {
        super(message);
        this.status = status;
    }

    /** Returns the server's Close status; null only after deserialization. */
    CloseStatus status() {
        return status;
    }
}
