package org.httpfstream.client;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;

/** Builds exceptions whose messages say which operation on which URI failed. */
final class Errors {

    private Errors() {
    }

    /**
     * Returns an exception of the same kind as {@code e} (for the common subtypes callers may catch) whose
     * message is prefixed with {@code what}, with {@code e} as its cause.
     *
     * @param what the operation and URI, e.g. {@code "FOLLOW http://h/p"}
     * @param readTimeoutMillis the read timeout in effect, for the message of a timeout
     */
    static IOException withContext(String what, IOException e, int readTimeoutMillis) {
        String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        IOException result;
        if (e instanceof SocketTimeoutException) {
            result = new SocketTimeoutException(what + ": no data from the server within "
                    + describeMillis(readTimeoutMillis) + " (read timeout)");
        } else if (e instanceof EOFException) {
            result = new EOFException(what + ": " + detail);
        } else if (e instanceof ProtocolException) {
            result = new ProtocolException(what + ": " + detail);
        } else if (e instanceof ConnectException) {
            result = new ConnectException(what + ": " + detail);
        } else if (e instanceof NoRouteToHostException) {
            result = new NoRouteToHostException(what + ": " + detail);
        } else if (e instanceof UnknownHostException) {
            result = new UnknownHostException(what + ": unknown host " + detail);
        } else {
            return new IOException(what + ": " + detail, e);
        }
        result.initCause(e);
        return result;
    }

    /** Formats a duration in milliseconds for messages, e.g. {@code "90 s"} or {@code "250 ms"}. */
    static String describeMillis(long millis) {
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    }
}
