package org.httpfstream.testing;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * HTTP/1.1 as it comes off a raw socket, for tests that must see what a JDK client hides (chunk boundaries,
 * trailers): a response head, one chunk of a chunked body, one line. The one copy for every module's tests
 * (the server's {@code RawHttp} and the command line's drain test read through it).
 *
 * <p>Thread safety: stateless; each call reads from the stream it is given, which one thread reads.
 */
public final class HttpWire {
    private HttpWire() {
    }

    /**
     * Reads a response head: the status code under the key {@code ":status"}, then each header under its
     * name in lower case (a repeated header keeps its last value).
     */
    public static Map<String, String> readHead(InputStream in) throws IOException {
        Map<String, String> head = new TreeMap<>();
        head.put(":status", readLine(in).split(" ", 3)[1]);
        readFields(in, head);
        return head;
    }

    /**
     * Reads one chunk of a chunked body.
     *
     * @return the chunk's data, or null for the last chunk, whose trailers go into {@code trailers} (names in
     *     lower case)
     * @throws IOException if the chunk is malformed or the connection ends within it
     */
    public static byte[] readChunk(InputStream in, Map<String, String> trailers) throws IOException {
        String sizeLine = readLine(in);
        int semicolon = sizeLine.indexOf(';');
        int size = Integer.parseInt((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
        if (size == 0) {
            readFields(in, trailers);
            return null;
        }
        byte[] data = in.readNBytes(size);
        if (data.length != size || !readLine(in).isEmpty()) {
            throw new IOException("malformed chunk");
        }
        return data;
    }

    /**
     * Reads one line, without its CRLF (or LF).
     *
     * @throws EOFException if the connection ends before the line does
     */
    public static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new EOFException("connection closed in a line");
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(ISO_8859_1);
    }

    /** Reads header (or trailer) fields up to the empty line, names in lower case. */
    private static void readFields(InputStream in, Map<String, String> into) throws IOException {
        for (String l = readLine(in); !l.isEmpty(); l = readLine(in)) {
            int colon = l.indexOf(':');
            into.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
        }
    }
}
