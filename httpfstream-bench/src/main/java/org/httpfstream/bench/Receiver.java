package org.httpfstream.bench;

/**
 * A connection that receives one stream's bytes (a WebSocket or plain HTTP {@link Follower}, an HTTP/2
 * {@link H2Follower}): how many it got, and whether they are what the appender sent. Lets a scenario add
 * up and check its readers in one place whatever their protocol.
 *
 * <p>Thread safety: read after the reader's cohort says it has finished, which orders its results.
 */
interface Receiver {
    /** Bytes received. */
    long bytes();

    /**
     * Checks what was received against what {@code appender} sent; reports a mismatch to the reader's cohort
     * and returns false.
     */
    boolean verify(int expectedStatus, Appender appender);
}
