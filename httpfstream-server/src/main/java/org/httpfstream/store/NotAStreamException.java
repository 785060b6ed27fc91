package org.httpfstream.store;

import java.io.IOException;

/** The path names a folder, or lies below a regular file, so it cannot be a stream. */
public final class NotAStreamException extends IOException {
    private static final long serialVersionUID = 1L;

    public NotAStreamException(String message) {
        super(message);
    }
}
