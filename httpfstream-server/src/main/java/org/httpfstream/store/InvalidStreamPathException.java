package org.httpfstream.store;

import java.io.IOException;

/**
 * A request path that can never name a stream: it contains a {@code ..} or {@code .} segment, a
 * backslash, a NUL byte, or a name the file system rejects. Nothing was read or written.
 */
public class InvalidStreamPathException extends IOException {
    private static final long serialVersionUID = 1L;

    public InvalidStreamPathException(String message) {
        super(message);
    }
}
