package org.httpfstream.viewer;

import java.nio.charset.StandardCharsets;

/**
 * Follows a log byte by byte the way a viewer reads it: line starts, the ANSI SGR state, and the open
 * sections (see {@link Sections}). A line's section markers are read from its text (escape sequences
 * removed) within its first {@value #PREFIX} bytes: at its end, or as soon as it is that long.
 *
 * <p>A scanner may stop at a <em>checkpoint</em> (see {@link #checkpointable}): no escape sequence
 * under way and the current line either just started or already classified. There its whole state is
 * {@link #sgr}, {@link #sections} and its position, so {@link #resume} continues from a saved
 * checkpoint exactly as if it had read every byte before it. Checkpoints can fall inside a long line,
 * so that restoring the state at any line costs a bounded scan, however long the lines.
 *
 * <p>Thread safety: not thread safe; confined to one thread at a time.
 */
final class LogScanner {
    /** A line's section markers are read within its first this many bytes. */
    static final int PREFIX = 1024;
    /** Plain text is skipped in runs of at most this many bytes, each end a possible checkpoint. */
    private static final int FAST_RUN = 4096;

    /** Told about what the scanner passes. */
    interface Sink {
        /** Line {@code line} starts at {@code offset} (called for every line but the first). */
        void lineStart(long line, long offset);

        /** A checkpoint may be taken at {@code offset}, after {@code lastCheckpoint}; see {@link LogScanner}. */
        default void checkpointable(LogScanner scanner) {
        }
    }

    private final EscapeParser escapes = new EscapeParser();
    private final Sgr sgr = new Sgr();
    private final Sections sections = new Sections();
    private final byte[] text = new byte[PREFIX];
    private int textLength;
    private long offset;
    private long line = 1;
    private int column;
    private boolean classified;
    /** The offset from which a possible checkpoint inside a line is reported again. */
    private long nextCheck = FAST_RUN;

    /** Continues from a checkpoint at {@code offset} inside (or at the start of) line {@code line}. */
    void resume(long offset, long line, boolean midLine, Sgr sgr, Sections sections) {
        this.offset = offset;
        this.line = line;
        this.sgr.set(sgr);
        this.sections.set(sections);
        this.escapes.reset();
        this.textLength = 0;
        this.column = midLine ? PREFIX : 0;
        this.classified = midLine;
        this.nextCheck = offset + FAST_RUN;
    }

    long offset() {
        return offset;
    }

    long line() {
        return line;
    }

    Sgr sgr() {
        return sgr;
    }

    Sections sections() {
        return sections;
    }

    /** True if the state here is whole: see the class comment. */
    boolean checkpointable() {
        return escapes.ground() && (column == 0 || classified);
    }

    /** True if the scanner is inside a line (past its first byte). */
    boolean midLine() {
        return column != 0;
    }

    /**
     * Reads {@code len} bytes of {@code b} from {@code off}, telling {@code sink} of every line start
     * and, at least every {@value #FAST_RUN} bytes where the state allows it, of a possible checkpoint.
     */
    void feed(byte[] b, int off, int len, Sink sink) {
        int end = off + len;
        int i = off;
        while (i < end) {
            if (classified && escapes.ground()) { // fast path: only a line feed or an escape matters
                int limit = (int) Math.min(end, i + Math.max(1, nextCheck - offset));
                int j = i;
                while (j < limit && b[j] != '\n' && b[j] != 0x1b) {
                    j++;
                }
                offset += j - i;
                column = (int) Math.min(Integer.MAX_VALUE, (long) column + j - i);
                i = j;
                if (offset >= nextCheck) {
                    nextCheck = offset + FAST_RUN;
                    sink.checkpointable(this);
                }
                if (i == end || i == limit && b[i] != '\n' && b[i] != 0x1b) {
                    continue;
                }
            }
            step(b[i++] & 0xff, sink);
            if (column == 0 || offset >= nextCheck && checkpointable()) {
                nextCheck = offset + FAST_RUN;
                sink.checkpointable(this);
            }
        }
    }

    private void step(int c, Sink sink) {
        offset++;
        if (c == '\n') {
            if (!classified) {
                classify();
            }
            escapes.feed(c);
            line++;
            column = 0;
            classified = false;
            textLength = 0;
            sink.lineStart(line, offset);
            return;
        }
        if (column < Integer.MAX_VALUE) {
            column++;
        }
        int kind = escapes.feed(c);
        if (kind == EscapeParser.SGR) {
            sgr.apply(escapes.params(), escapes.count());
        } else if (kind == EscapeParser.TEXT && !classified && textLength < PREFIX) {
            text[textLength++] = (byte) c;
        }
        if (!classified && column >= PREFIX) {
            classify();
        }
    }

    private void classify() {
        classified = true;
        if (textLength > 0 && mayMark()) {
            sections.classify(new String(text, 0, textLength, StandardCharsets.UTF_8), line);
        }
    }

    /** True if the line's text may hold a section marker (most lines cannot: no string is made for them). */
    private boolean mayMark() {
        byte first = text[0];
        if (first == ':' || first == '-' || first == '+' || first == '~') {
            return true;
        }
        for (int i = 0; i + 8 <= textLength; i++) {
            if (text[i] == 's' && text[i + 7] == '_' && text[i + 1] == 'e' && text[i + 2] == 'c') {
                return true;
            }
        }
        return false;
    }
}
