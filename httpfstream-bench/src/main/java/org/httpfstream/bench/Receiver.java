package org.httpfstream.bench;

/**
 * A connection that receives one stream's bytes (a WebSocket or plain HTTP {@link Follower}, an HTTP/2
 * {@link H2Follower}): how many it got, and whether they are what the appender sent. Lets a scenario add
 * up and check its readers in one place whatever their protocol; the checks every reader makes (the
 * appender finished, the byte count, the checksum) are here once, each reader adds its own (status, end).
 *
 * <p>Thread safety: read after the reader's cohort says it has finished, which orders its results.
 */
interface Receiver {
    /** The bytes received so far. */
    ReceivedBytes received();

    /** Bytes received. */
    default long bytes() {
        return received().count();
    }

    /** CRC32C of the bytes received. */
    default long crc() {
        return received().crc();
    }

    /** Reports {@code problem} to the reader's cohort, under the reader's name. */
    void report(String problem);

    /**
     * Checks what was received against a known byte count and CRC32C, and whatever else the reader checks;
     * reports a mismatch to the reader's cohort and returns false.
     */
    boolean verify(int expectedStatus, long expectedBytes, long expectedCrc);

    /**
     * Checks what was received against what {@code appender} sent; reports a mismatch to the reader's cohort
     * and returns false.
     */
    default boolean verify(int expectedStatus, Appender appender) {
        if (!appender.finishedSending()) {
            report("received " + bytes()
                    + " bytes; the appender never finished sending, so there is nothing to compare");
            return false;
        }
        return verify(expectedStatus, appender.sentBytes(), appender.sentCrc());
    }

    /** What differs between the bytes received and the expected count and CRC32C, or null if nothing does. */
    default String bytesProblem(long expectedBytes, long expectedCrc) {
        if (bytes() != expectedBytes) {
            return "received " + bytes() + " bytes, the appender sent " + expectedBytes;
        } else if (crc() != expectedCrc) {
            return "CRC32C " + Long.toHexString(crc()) + " differs from the appender's "
                    + Long.toHexString(expectedCrc);
        }
        return null;
    }

    /** True if {@code problem} is null; otherwise reports it and returns false. */
    default boolean passes(String problem) {
        if (problem != null) {
            report(problem);
            return false;
        }
        return true;
    }
}
