package org.httpfstream.store;

import java.io.IOException;

/**
 * An append refused because the stream would pass the store's {@linkplain StoreLimits#maxStreamBytes
 * size limit}. Nothing of the append was written; the stream is as it was.
 */
public final class StreamTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    private final long limit;

    public StreamTooLargeException(long size, long append, long limit) {
        super("stream size limit: an append of " + append + " bytes to a stream of " + size
                + " bytes would pass the limit of " + limit + " bytes; nothing of it was stored");
        this.limit = limit;
    }

    /** The limit, in bytes. */
    public long limit() {
        return limit;
    }
}
