package org.httpfstream.viewer;

/**
 * Splits a terminal byte stream into text and escape sequences (ECMA-48: CSI, OSC, DCS/SOS/PM/APC
 * strings, two-byte escapes), one byte at a time. A line feed ends any sequence (so one broken
 * sequence never swallows the rest of a log), and so does a sequence longer than its cap ({@value
 * #MAX_CSI} bytes for CSI, {@value #MAX_STRING} for strings: OSC 8 hyperlinks carry URLs). The
 * parameters of a complete SGR sequence ({@code ESC [ ... m}) are kept for the caller.
 *
 * <p>Written here rather than taken from a library: the server needs only this split and the SGR
 * parameters, at hundreds of MB/s, with a state small enough to save at every checkpoint.
 *
 * <p>Thread safety: not thread safe; owned by one scanner.
 */
final class EscapeParser {
    /** {@link #feed} results. */
    static final int TEXT = 0;
    static final int ESCAPE = 1;
    static final int SGR = 2;

    static final int MAX_CSI = 256;
    static final int MAX_STRING = 8192;
    static final int MAX_PARAMS = 32;

    private static final int GROUND = 0;
    private static final int ESC = 1;
    private static final int CSI = 2;
    private static final int STRING = 3;
    private static final int STRING_ESC = 4;
    private static final int INTERMEDIATE = 5;

    private int state = GROUND;
    private int length;
    private final int[] params = new int[MAX_PARAMS];
    private int count;
    private boolean odd; // private marker or intermediate byte: not a plain SGR

    /** True if no sequence is under way: a checkpoint may be taken here. */
    boolean ground() {
        return state == GROUND;
    }

    void reset() {
        state = GROUND;
    }

    /** The parameters of the SGR sequence {@link #feed} just reported. */
    int[] params() {
        return params;
    }

    int count() {
        return count;
    }

    /** Takes one byte (0..255): {@link #TEXT}, {@link #ESCAPE} (part of a sequence) or {@link #SGR}. */
    int feed(int b) {
        if (b == '\n') {
            state = GROUND;
            return TEXT;
        }
        switch (state) {
            case GROUND:
                if (b == 0x1b) {
                    state = ESC;
                    return ESCAPE;
                }
                return TEXT;
            case ESC:
                return escape(b);
            case CSI:
                return csi(b);
            case STRING:
                if (b == 0x07) {
                    state = GROUND;
                } else if (b == 0x1b) {
                    state = STRING_ESC;
                } else if (++length > MAX_STRING) {
                    state = GROUND;
                }
                return ESCAPE;
            case STRING_ESC:
                return b == '\\' ? toGround() : escape(b);
            default: // INTERMEDIATE
                if (b < 0x20 || b > 0x2f) {
                    state = GROUND;
                }
                return ESCAPE;
        }
    }

    private int toGround() {
        state = GROUND;
        return ESCAPE;
    }

    private int escape(int b) {
        length = 0;
        if (b == '[') {
            state = CSI;
            count = 0;
            params[0] = 0;
            odd = false;
        } else if (b == ']' || b == 'P' || b == 'X' || b == '^' || b == '_') {
            state = STRING;
        } else if (b >= 0x20 && b <= 0x2f) {
            state = INTERMEDIATE;
        } else if (b != 0x1b) {
            state = GROUND;
        }
        return ESCAPE;
    }

    private int csi(int b) {
        if (++length > MAX_CSI || b == 0x1b) {
            state = b == 0x1b ? ESC : GROUND;
            return ESCAPE;
        }
        if (b >= '0' && b <= '9') {
            if (count == 0) {
                count = 1;
            }
            if (count <= MAX_PARAMS) {
                params[count - 1] = Math.min(100_000, params[count - 1] * 10 + (b - '0'));
            }
        } else if (b == ';' || b == ':') {
            if (count == 0) {
                count = 1;
            }
            if (++count <= MAX_PARAMS) {
                params[count - 1] = 0;
            }
        } else if (b >= 0x3c && b <= 0x3f || b >= 0x20 && b <= 0x2f) {
            odd = true;
        } else if (b >= 0x40 && b <= 0x7e) {
            state = GROUND;
            count = Math.min(count, MAX_PARAMS);
            return b == 'm' && !odd ? SGR : ESCAPE;
        }
        return ESCAPE;
    }
}
