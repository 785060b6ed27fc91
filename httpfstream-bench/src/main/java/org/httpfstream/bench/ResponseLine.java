package org.httpfstream.bench;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * One line of an HTTP/1.1 response head, chunk framing or trailer, read into a fixed array and parsed
 * there without allocating: the status line's code, a chunk size line's size, a header's name
 * (compared case-insensitively with a lower-case name) and its value's range, a decimal value. The
 * byte-level half of {@link DsConnection}, which keeps the response's state machine. Written here rather
 * than with Netty's HTTP codec because the scenarios measure the server, and the codec allocates
 * objects per response and per header.
 *
 * <p>Thread safety: none; owned by one connection and used on its event loop only.
 */
final class ResponseLine {
    /** The longest line kept. */
    static final int MAX = 16 * 1024;
    /** What {@link #read} returns while the line is not complete yet. */
    static final int INCOMPLETE = -1;
    /** What {@link #read} returns when the line would be longer than {@link #MAX}. */
    static final int TOO_LONG = -2;

    private final byte[] line = new byte[MAX];
    private int length;
    /** Where the value of the header in {@link #line} starts and ends, after {@link #headerName()}. */
    private int valueFrom;
    private int valueTo;

    /** Forgets any part of a line read so far. */
    void reset() {
        length = 0;
    }

    /**
     * Reads up to the next LF; the whole line's length (without CR LF) once it is there, else {@link
     * #INCOMPLETE} or {@link #TOO_LONG}. The next call starts a new line.
     */
    int read(ByteBuf in) {
        int from = in.readerIndex();
        int lf = in.indexOf(from, in.writerIndex(), (byte) '\n');
        int to = lf < 0 ? in.writerIndex() : lf;
        int n = to - from;
        if (length + n > MAX) {
            return TOO_LONG;
        }
        in.getBytes(from, line, length, n);
        length += n;
        in.readerIndex(lf < 0 ? to : lf + 1);
        if (lf < 0) {
            return INCOMPLETE;
        }
        if (length > 0 && line[length - 1] == '\r') {
            length--;
        }
        int len = length;
        length = 0;
        return len;
    }

    /**
     * The status code of a status line of {@code len} bytes; -1 if it is not an HTTP/1.x one, -2 if its
     * code is not three digits.
     */
    int statusCode(int len) {
        if (len < 12 || !startsWith(len, "HTTP/1.") || line[8] != ' ') {
            return -1;
        }
        int s = 0;
        for (int i = 9; i < 12; i++) {
            int d = line[i] - '0';
            if (d < 0 || d > 9) {
                return -2;
            }
            s = s * 10 + d;
        }
        return s;
    }

    /** True if the status line read last says HTTP/1.0. */
    boolean http10() {
        return line[7] == '0';
    }

    /** The size a chunk size line of {@code len} bytes gives (extensions ignored), or -1 if it is bad. */
    long chunkSize(int len) {
        long size = 0;
        int digits = 0;
        for (int i = 0; i < len && line[i] != ';' && line[i] != ' ' && line[i] != '\t'; i++) {
            int d = Character.digit(line[i], 16);
            if (d < 0 || ++digits > 15) {
                return -1;
            }
            size = size << 4 | d;
        }
        return digits == 0 ? -1 : size;
    }

    /**
     * The length of the name of the header line of {@code len} bytes, or -1 if it has no colon; the
     * value's range (without surrounding blanks) is then {@link #valueFrom()} to {@link #valueTo()}.
     */
    int headerName(int len) {
        int colon = 0;
        while (colon < len && line[colon] != ':') {
            colon++;
        }
        if (colon == len) {
            return -1;
        }
        int from = colon + 1;
        int to = len;
        while (from < to && (line[from] == ' ' || line[from] == '\t')) {
            from++;
        }
        while (to > from && (line[to - 1] == ' ' || line[to - 1] == '\t')) {
            to--;
        }
        valueFrom = from;
        valueTo = to;
        return colon;
    }

    int valueFrom() {
        return valueFrom;
    }

    int valueTo() {
        return valueTo;
    }

    /** Copies the header value into {@code into}. */
    void copyValue(DsConnection.Value into) {
        into.set(line, valueFrom, valueTo - valueFrom);
    }

    /** The header value as a decimal of at most 16 digits, or -1 if it is not one. */
    long decimalValue() {
        long v = 0;
        for (int i = valueFrom; i < valueTo; i++) {
            int d = line[i] - '0';
            if (d < 0 || d > 9 || i - valueFrom > 15) {
                return -1;
            }
            v = v * 10 + d;
        }
        return v;
    }

    /** True if the header name of {@code nameLength} bytes is {@code lowerName}, ignoring case. */
    boolean nameIs(int nameLength, byte[] lowerName) {
        if (nameLength != lowerName.length) {
            return false;
        }
        for (int i = 0; i < nameLength; i++) {
            if ((line[i] | 0x20) != lowerName[i] && line[i] != lowerName[i]) {
                return false;
            }
        }
        return true;
    }

    /** True if the header value is {@code lower}, ignoring case. */
    boolean valueIs(byte[] lower) {
        return valueTo - valueFrom == lower.length && valueContains(lower);
    }

    /** True if the header value contains {@code lower}, ignoring case. */
    boolean valueContains(byte[] lower) {
        outer:
        for (int i = valueFrom; i + lower.length <= valueTo; i++) {
            for (int k = 0; k < lower.length; k++) {
                if ((line[i + k] | 0x20) != lower[k]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private boolean startsWith(int len, String prefix) {
        if (len < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (line[i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** The line's first {@code len} bytes (200 at most) as text, for a message. */
    String text(int len) {
        return text(0, len);
    }

    /** The header value (200 bytes at most) as text, for a message. */
    String valueText() {
        return text(valueFrom, valueTo - valueFrom);
    }

    private String text(int from, int len) {
        return new String(line, from, Math.min(len, 200), StandardCharsets.ISO_8859_1);
    }
}
