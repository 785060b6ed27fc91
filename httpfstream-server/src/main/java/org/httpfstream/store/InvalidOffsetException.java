package org.httpfstream.store;

import java.io.IOException;

/** An offset token that is malformed, or names a position past the end of the stream. */
public final class InvalidOffsetException extends IOException {
    private static final long serialVersionUID = 1L;

    public InvalidOffsetException(String message) {
        super(message);
    }
}
