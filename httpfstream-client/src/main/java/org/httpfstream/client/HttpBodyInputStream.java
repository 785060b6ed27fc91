package org.httpfstream.client;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;
import java.net.Socket;
import java.util.List;

/**
 * The body of a plain HTTP response (a FOLLOW answered with {@code 200}, or an error response), delimited
 * by {@code Content-Length}, by chunked transfer coding, or by the end of the connection. Closing the
 * stream closes the socket; so does reaching the end of a delimited body.
 *
 * <p>Thread safety: not thread safe, except that {@link #close()} may be called from any thread, which makes
 * a blocked {@code read} fail. The framing state is confined to the reading thread.
 */
final class HttpBodyInputStream extends LatchedInputStream {

    private enum Framing { CONTENT_LENGTH, CHUNKED, UNTIL_EOF }

    private final Socket socket;
    private final InputStream in;
    private final String what;
    private final int readTimeoutMillis;
    private final Framing framing;
    /** CONTENT_LENGTH: bytes left in the body. CHUNKED: bytes left in the current chunk. */
    private long remaining;
    /** CHUNKED: true once the first chunk header has been read (later ones are preceded by CRLF). */
    private boolean chunkSeen;

    private HttpBodyInputStream(Socket socket, InputStream in, String what, int readTimeoutMillis,
                                Framing framing, long contentLength) {
        this.socket = socket;
        this.in = in;
        this.what = what;
        this.readTimeoutMillis = readTimeoutMillis;
        this.framing = framing;
        this.remaining = contentLength;
    }

    /**
     * Returns the body of the response whose head is {@code head}; {@code in} must be positioned at its
     * first byte.
     *
     * @param what the operation and URI, for messages, e.g. {@code "FOLLOW http://h/p"}
     * @throws ProtocolException if the framing headers are invalid
     */
    static HttpBodyInputStream of(Socket socket, InputStream in, HttpResponseHead head, String what,
                                  int readTimeoutMillis) throws ProtocolException {
        List<String> codings = head.headers().getOrDefault("Transfer-Encoding", List.of());
        if (!codings.isEmpty()) {
            String last = codings.get(codings.size() - 1);
            String[] parts = last.split(",");
            boolean chunked = parts[parts.length - 1].trim().equalsIgnoreCase("chunked");
            return new HttpBodyInputStream(socket, in, what, readTimeoutMillis,
                    chunked ? Framing.CHUNKED : Framing.UNTIL_EOF, 0);
        }
        List<String> lengths = head.headers().getOrDefault("Content-Length", List.of());
        if (!lengths.isEmpty()) {
            long length = -1;
            for (String value : lengths) {
                for (String element : value.split(",")) {
                    long l = parseLength(element.trim());
                    if (l < 0 || (length >= 0 && l != length)) {
                        throw new ProtocolException(what + ": invalid Content-Length " + lengths);
                    }
                    length = l;
                }
            }
            return new HttpBodyInputStream(socket, in, what, readTimeoutMillis, Framing.CONTENT_LENGTH, length);
        }
        if (head.status() == 204 || head.status() == 304) {
            return new HttpBodyInputStream(socket, in, what, readTimeoutMillis, Framing.CONTENT_LENGTH, 0);
        }
        return new HttpBodyInputStream(socket, in, what, readTimeoutMillis, Framing.UNTIL_EOF, 0);
    }

    private static long parseLength(String s) {
        if (s.isEmpty() || s.length() > 18 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        return Long.parseLong(s);
    }

    /** Closes the socket at the end of a delimited body (an undelimited one ended with the connection). */
    @Override
    void ended() {
        if (framing != Framing.UNTIL_EOF) {
            closeSocket();
        }
    }

    /** Closes the socket; the failure names the operation. */
    @Override
    IOException failed(IOException e) {
        IOException named = Errors.withContext(what, e, readTimeoutMillis);
        closeSocket();
        return named;
    }

    @Override
    int readSome(byte[] b, int off, int len) throws IOException {
        switch (framing) {
            case UNTIL_EOF:
                return in.read(b, off, len);
            case CONTENT_LENGTH:
                if (remaining == 0) {
                    return -1;
                }
                break;
            case CHUNKED:
                if (remaining == 0) {
                    if (chunkSeen && !HttpResponseHead.readLine(in, new int[] {HttpResponseHead.MAX_LINE}, false)
                            .isEmpty()) {
                        throw new ProtocolException("malformed chunked body: missing CRLF after chunk data");
                    }
                    chunkSeen = true;
                    remaining = readChunkSize();
                    if (remaining == 0) {
                        skipTrailers();
                        return -1;
                    }
                }
                break;
            default:
                throw new AssertionError(framing);
        }
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) {
            throw new EOFException("connection closed before end of stream (response body truncated)");
        }
        remaining -= n;
        return n;
    }

    private long readChunkSize() throws IOException {
        String line = HttpResponseHead.readLine(in, new int[] {HttpResponseHead.MAX_LINE}, false);
        int semicolon = line.indexOf(';');
        String hex = (semicolon >= 0 ? line.substring(0, semicolon) : line).trim();
        if (hex.isEmpty() || hex.length() > 15 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new ProtocolException("malformed chunk size line: \"" + HttpResponseHead.printable(line, 40) + "\"");
        }
        return Long.parseLong(hex, 16);
    }

    private void skipTrailers() throws IOException {
        int[] budget = {HttpResponseHead.MAX_HEAD};
        while (!HttpResponseHead.readLine(in, budget, false).isEmpty()) {
            // trailer fields are ignored
        }
    }

    /**
     * Returns the number of body bytes that can be read without blocking (possibly fewer).
     */
    @Override
    int availableNow() throws IOException {
        int buffered = in.available();
        return framing == Framing.UNTIL_EOF ? buffered : (int) Math.min(buffered, remaining);
    }

    /** Closes the socket. */
    @Override
    void closing() {
        closeSocket();
    }

    private void closeSocket() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing more can be done; the socket is unusable either way
        }
    }
}
