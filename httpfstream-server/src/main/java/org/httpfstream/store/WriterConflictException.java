package org.httpfstream.store;

import java.io.IOException;

/**
 * The path already has an active writer. A path may have at most one active append session at a
 * time; a second appender is refused until the first one ends.
 */
public final class WriterConflictException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The message the wire protocol sends to a refused appender. */
    public static final String MESSAGE = "path already has an active writer";

    public WriterConflictException() {
        super(MESSAGE);
    }

    /** With {@code message} for the protocol that refuses (Durable Streams names the path). */
    public WriterConflictException(String message) {
        super(message);
    }
}
