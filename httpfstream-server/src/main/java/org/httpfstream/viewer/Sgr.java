package org.httpfstream.viewer;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * The ANSI SGR (Select Graphic Rendition) state a terminal holds between bytes: foreground and
 * background colour (none, one of 256 indexed colours, or 24-bit RGB) and the attributes bold, dim,
 * italic, underline, blink, inverse, hidden and strike-through. {@link #apply} takes the parameters of
 * one {@code ESC [ ... m}; {@link #escape} gives the shortest sequence that restores the state from
 * the default (empty when the state is the default).
 *
 * <p>Written here rather than taken from a library: no Java library parses SGR incrementally with its
 * state saved and restored as bytes; the rules are a page of ECMA-48.
 *
 * <p>Thread safety: not thread safe; owned by one {@link LogScanner}.
 */
final class Sgr {
    /** No colour: the terminal's default. */
    static final int NONE = -1;
    /** A 24-bit colour is {@code RGB | 0x1000000}; indexed colours are 0..255. */
    static final int RGB = 0x1000000;

    static final int BOLD = 1;
    static final int DIM = 1 << 1;
    static final int ITALIC = 1 << 2;
    static final int UNDERLINE = 1 << 3;
    static final int BLINK = 1 << 4;
    static final int INVERSE = 1 << 5;
    static final int HIDDEN = 1 << 6;
    static final int STRIKE = 1 << 7;
    /** SGR code of each attribute bit, in bit order. */
    private static final int[] CODES = {1, 2, 3, 4, 5, 7, 8, 9};

    private int fg = NONE;
    private int bg = NONE;
    private int attrs;

    Sgr copy() {
        Sgr s = new Sgr();
        s.set(this);
        return s;
    }

    void set(Sgr other) {
        fg = other.fg;
        bg = other.bg;
        attrs = other.attrs;
    }

    void reset() {
        fg = NONE;
        bg = NONE;
        attrs = 0;
    }

    boolean isDefault() {
        return fg == NONE && bg == NONE && attrs == 0;
    }

    /** Applies the parameters of one SGR sequence ({@code ;} or {@code :} separated; empty means 0). */
    void apply(int[] p, int n) {
        if (n == 0) {
            reset();
            return;
        }
        for (int i = 0; i < n; i++) {
            int c = p[i];
            if (c == 38 || c == 48 || c == 58) {
                int[] colour = new int[1];
                i = extended(p, n, i, colour);
                if (c == 38) {
                    fg = colour[0];
                } else if (c == 48) {
                    bg = colour[0];
                } // 58: underline colour, not kept
            } else {
                simple(c);
            }
        }
    }

    /** Reads {@code 38;5;N} or {@code 38;2;R;G;B} at {@code i}; returns the index of its last parameter. */
    private static int extended(int[] p, int n, int i, int[] colour) {
        colour[0] = NONE;
        if (i + 1 >= n) {
            return i;
        }
        if (p[i + 1] == 5 && i + 2 < n) {
            colour[0] = Math.max(0, Math.min(255, p[i + 2]));
            return i + 2;
        }
        if (p[i + 1] == 2 && i + 4 < n) {
            colour[0] = RGB | (clamp(p[i + 2]) << 16) | (clamp(p[i + 3]) << 8) | clamp(p[i + 4]);
            return i + 4;
        }
        return n; // malformed: the rest of the sequence is its argument
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    private void simple(int c) {
        switch (c) {
            case 0 -> reset();
            case 1 -> attrs |= BOLD;
            case 2 -> attrs |= DIM;
            case 3 -> attrs |= ITALIC;
            case 4 -> attrs |= UNDERLINE;
            case 5, 6 -> attrs |= BLINK;
            case 7 -> attrs |= INVERSE;
            case 8 -> attrs |= HIDDEN;
            case 9 -> attrs |= STRIKE;
            case 21, 24 -> attrs &= ~UNDERLINE;
            case 22 -> attrs &= ~(BOLD | DIM);
            case 23 -> attrs &= ~ITALIC;
            case 25 -> attrs &= ~BLINK;
            case 27 -> attrs &= ~INVERSE;
            case 28 -> attrs &= ~HIDDEN;
            case 29 -> attrs &= ~STRIKE;
            case 39 -> fg = NONE;
            case 49 -> bg = NONE;
            default -> colour(c);
        }
    }

    private void colour(int c) {
        if (c >= 30 && c <= 37) {
            fg = c - 30;
        } else if (c >= 40 && c <= 47) {
            bg = c - 40;
        } else if (c >= 90 && c <= 97) {
            fg = c - 90 + 8;
        } else if (c >= 100 && c <= 107) {
            bg = c - 100 + 8;
        } // anything else: ignored, as terminals do
    }

    /** The SGR sequence that sets this state from the default; empty for the default state. */
    String escape() {
        if (isDefault()) {
            return "";
        }
        StringBuilder b = new StringBuilder("\u001b[0");
        for (int bit = 0; bit < CODES.length; bit++) {
            if ((attrs & (1 << bit)) != 0) {
                b.append(';').append(CODES[bit]);
            }
        }
        colourParams(b, fg, 30, 90, 38);
        colourParams(b, bg, 40, 100, 48);
        return b.append('m').toString();
    }

    private static void colourParams(StringBuilder b, int colour, int base, int bright, int extended) {
        if (colour == NONE) {
            return;
        }
        if ((colour & RGB) != 0) {
            b.append(';').append(extended).append(";2;").append((colour >> 16) & 0xff).append(';')
                    .append((colour >> 8) & 0xff).append(';').append(colour & 0xff);
        } else if (colour < 8) {
            b.append(';').append(base + colour);
        } else if (colour < 16) {
            b.append(';').append(bright + colour - 8);
        } else {
            b.append(';').append(extended).append(";5;").append(colour);
        }
    }

    void write(DataOutput out) throws IOException {
        out.writeInt(fg);
        out.writeInt(bg);
        out.writeByte(attrs);
    }

    void read(DataInput in) throws IOException {
        fg = in.readInt();
        bg = in.readInt();
        attrs = in.readUnsignedByte();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Sgr s && s.fg == fg && s.bg == bg && s.attrs == attrs;
    }

    @Override
    public int hashCode() {
        return (fg * 31 + bg) * 31 + attrs;
    }
}
