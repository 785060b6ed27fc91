package org.httpfstream.client;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The status line and header fields of an HTTP/1.x response. Immutable.
 *
 * @param status the status code, e.g. 101
 * @param reason the reason phrase, possibly empty
 * @param headers header values by case-insensitive name, in the order received
 */
record HttpResponseHead(int status, String reason, Map<String, List<String>> headers) {

    /** Longest accepted status or header line, in bytes. */
    static final int MAX_LINE = 8 * 1024;
    /** Largest accepted response head, in bytes. */
    static final int MAX_HEAD = 64 * 1024;

    /**
     * Returns the first value of header {@code name}, trimmed, or null if absent.
     */
    String header(String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? null : values.get(0).trim();
    }

    /**
     * Returns true if any value of header {@code name} is a comma-separated list containing {@code token}
     * (case-insensitive).
     */
    boolean headerHasToken(String name, String token) {
        for (String value : headers.getOrDefault(name, List.of())) {
            for (String element : value.split(",")) {
                if (element.trim().equalsIgnoreCase(token)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Returns the status line as received minus the version, e.g. {@code "HTTP 404 Not Found"}. */
    String statusText() {
        return "HTTP " + status + (reason.isEmpty() ? "" : " " + reason);
    }

    /**
     * Reads a response head (status line, header lines, empty line) from {@code in}, leaving {@code in}
     * positioned at the first byte of the body. Blocks until the head is complete.
     *
     * @throws EOFException if the connection ends before the head is complete
     * @throws ProtocolException if the head is malformed or too large
     */
    static HttpResponseHead read(InputStream in) throws IOException {
        int[] budget = {MAX_HEAD};
        String statusLine = readLine(in, budget, true);
        if (!statusLine.startsWith("HTTP/1.")) {
            throw new ProtocolException("malformed HTTP status line: \"" + printable(statusLine, 100) + "\"");
        }
        int sp1 = statusLine.indexOf(' ');
        int status = -1;
        String reason = "";
        if (sp1 > 0 && statusLine.length() >= sp1 + 4) {
            String code = statusLine.substring(sp1 + 1, sp1 + 4);
            if (code.chars().allMatch(c -> c >= '0' && c <= '9')
                    && (statusLine.length() == sp1 + 4 || statusLine.charAt(sp1 + 4) == ' ')) {
                status = Integer.parseInt(code);
                reason = statusLine.length() > sp1 + 5 ? statusLine.substring(sp1 + 5).trim() : "";
            }
        }
        if (status < 100) {
            throw new ProtocolException("malformed HTTP status line: \"" + printable(statusLine, 100) + "\"");
        }
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        String lastName = null;
        while (true) {
            String line = readLine(in, budget, false);
            if (line.isEmpty()) {
                break;
            }
            if ((line.charAt(0) == ' ' || line.charAt(0) == '\t') && lastName != null) {
                // Obsolete line folding: continuation of the previous value.
                List<String> values = headers.get(lastName);
                int last = values.size() - 1;
                values.set(last, values.get(last) + " " + line.trim());
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new ProtocolException("malformed HTTP header line: \"" + printable(line, 100) + "\"");
            }
            lastName = line.substring(0, colon).trim();
            headers.computeIfAbsent(lastName, k -> new ArrayList<>()).add(line.substring(colon + 1).trim());
        }
        headers.replaceAll((k, v) -> Collections.unmodifiableList(v));
        return new HttpResponseHead(status, reason, Collections.unmodifiableMap(headers));
    }

    /**
     * Reads one line ending in LF (a preceding CR is dropped) as ISO-8859-1.
     *
     * @param first true for the status line, which changes the message on immediate EOF
     */
    static String readLine(InputStream in, int[] budget, boolean first) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(64);
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException(first && line.size() == 0
                        ? "connection closed before the server sent a response"
                        : "connection closed in the middle of the response head");
            }
            if (--budget[0] < 0) {
                throw new ProtocolException("HTTP response head larger than " + MAX_HEAD + " bytes");
            }
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
            }
            if (line.size() >= MAX_LINE) {
                throw new ProtocolException("HTTP response line longer than " + MAX_LINE + " bytes");
            }
            line.write(b);
        }
    }

    /**
     * Returns {@code s} with control characters replaced by spaces and cut to {@code max} characters
     * (with "..." appended if cut), for use in exception messages.
     */
    static String printable(String s, int max) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), max) + 3);
        for (int i = 0; i < s.length() && sb.length() < max; i++) {
            char c = s.charAt(i);
            sb.append(Character.isISOControl(c) ? ' ' : c);
        }
        if (s.length() > max) {
            sb.append("...");
        }
        return sb.toString();
    }
}
