package org.httpfstream.client;

import java.io.IOException;
import java.net.URI;
import java.util.Objects;

/**
 * Thrown when an append is refused because the path already has an active writer (the server answered
 * the APPEND request with HTTP {@code 403 Forbidden}). A path accepts at most one appender at a time;
 * the caller may retry once the other appender has finished. Immutable.
 */
public class WriterConflictException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The URI of the path that already has a writer. */
    private final URI uri;

    /**
     * Creates an exception for {@code uri}; the message is
     * {@code "path already has an active writer: " + uri}.
     *
     * @param uri the URI whose append was refused, not null
     * @throws NullPointerException if {@code uri} is null
     */
    public WriterConflictException(URI uri) {
        this(uri, null);
    }

    /**
     * Creates an exception for {@code uri} with the server's explanation appended to the message.
     *
     * @param uri the URI whose append was refused, not null
     * @param serverMessage the start of the server's response body, or null or empty if there was none
     * @throws NullPointerException if {@code uri} is null
     */
    public WriterConflictException(URI uri, String serverMessage) {
        super("path already has an active writer: " + Objects.requireNonNull(uri, "uri")
                + (serverMessage == null || serverMessage.isEmpty() ? "" : " (server said: " + serverMessage + ")"));
        this.uri = uri;
    }

    /**
     * Returns the URI whose append was refused.
     *
     * @return the URI given to the constructor, never null
     */
    public URI uri() {
        return uri;
    }
}
