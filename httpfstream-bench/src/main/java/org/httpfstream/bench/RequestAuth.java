package org.httpfstream.bench;

/**
 * The credentials every request of the load generator carries ({@code --token}): an {@code
 * Authorization: Bearer} header line, or nothing. Set once from the options before any scenario
 * starts, so that a server with authentication on gets the same load, with the same bytes per
 * request but for this line, as one without.
 *
 * <p>Thread safety: written once before the load threads start, read by them afterwards.
 */
final class RequestAuth {
    private static volatile String line = "";

    private RequestAuth() {}

    /** Uses {@code token} on every request from now on; null or empty for none. */
    static void token(String token) {
        if (token != null && (token.indexOf('\r') >= 0 || token.indexOf('\n') >= 0)) {
            throw new IllegalArgumentException("--token holds a line break");
        }
        line = token == null || token.isEmpty() ? "" : "Authorization: Bearer " + token + "\r\n";
    }

    /** The header line, ending in CRLF, or the empty string. */
    static String line() {
        return line;
    }
}
