package org.httpfstream.store;

/**
 * Offsets: the tokens that name positions in a stream. A token is the byte position as exactly 16
 * lowercase hexadecimal digits ({@code 0000000000000400} is byte 1024): URL-safe, unique per
 * position, and sorted lexicographically in the same order as the positions, so resuming at an offset
 * is one seek. Generic clients treat tokens as opaque. Two sentinels are accepted as input and never
 * produced: {@code -1} (the start of the stream) and {@code now} (its current tail).
 */
public final class Offsets {
    /** The sentinel for the start of a stream. */
    public static final String START = "-1";
    /** The sentinel for the current tail of a stream. */
    public static final String NOW = "now";

    private static final int DIGITS = 16;

    private Offsets() {}

    /** The token of byte position {@code position}. */
    public static String format(long position) {
        if (position < 0) {
            throw new IllegalArgumentException("position < 0: " + position);
        }
        String hex = Long.toHexString(position);
        return "0".repeat(DIGITS - hex.length()) + hex;
    }

    /**
     * The byte position named by {@code token} in a stream whose tail is at {@code tail}.
     *
     * @throws InvalidOffsetException if the token is malformed or lies past the tail
     */
    public static long parse(String token, long tail) throws InvalidOffsetException {
        if (token == null || token.equals(START)) {
            return 0;
        }
        if (token.equals(NOW)) {
            return tail;
        }
        if (token.length() != DIGITS) {
            throw new InvalidOffsetException("malformed offset: " + printable(token));
        }
        long position = 0;
        for (int i = 0; i < DIGITS; i++) {
            char c = token.charAt(i);
            int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (digit < 0) {
                throw new InvalidOffsetException("malformed offset: " + printable(token));
            }
            position = (position << 4) | digit;
        }
        if (position < 0) {
            throw new InvalidOffsetException("malformed offset: " + printable(token));
        }
        if (position > tail) {
            throw new InvalidOffsetException("offset " + token + " is past the end of the stream ("
                    + format(tail) + ")");
        }
        return position;
    }

    /**
     * The stream length a compare-and-append expects ({@code Stream-Expected-Offset}): an offset token,
     * {@code -1} for an empty stream; -1 if {@code token} is null (no such header).
     *
     * @throws InvalidOffsetException if the token is malformed or {@code now}
     */
    public static long expected(String token) throws InvalidOffsetException {
        if (token == null) {
            return -1;
        }
        String t = token.trim();
        if (t.equals(NOW)) {
            throw new InvalidOffsetException("an expected offset must be an offset, not \"now\"");
        }
        return parse(t, Long.MAX_VALUE);
    }

    private static String printable(String token) {
        String t = token.length() > 40 ? token.substring(0, 40) + "…" : token;
        return "\"" + t.replaceAll("[\\p{Cntrl}]", "?") + "\"";
    }
}
