package org.httpfstream.store;

import java.io.IOException;

/** The stream is closed (Durable Streams closure): it takes no more appends, from any protocol. Immutable. */
public final class StreamClosedException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The message sent to a refused appender. */
    public static final String MESSAGE = "stream is closed";

    public StreamClosedException() {
        super(MESSAGE);
    }
}
