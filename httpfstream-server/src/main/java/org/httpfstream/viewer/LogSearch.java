package org.httpfstream.viewer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Search over a whole log, streaming through its file once from a line: each line's text with escape
 * sequences removed (see {@link EscapeParser}), decoded as UTF-8 (a malformed byte becomes U+FFFD),
 * is matched against a pattern; columns are {@code char} indexes into that text (what JavaScript's
 * string indexes count). Memory is bounded: one read buffer, one line's text up to {@value
 * #MAX_LINE_TEXT} bytes (text beyond that in a longer line is not searched), and at most {@code limit}
 * matches kept; every match is counted up to {@code cap}, then the search stops. A search also stops
 * at its deadline, with what it found so far ({@link Result#timedOut}).
 *
 * <p>Thread safety: stateless; each call uses its own buffers.
 */
public final class LogSearch {
    static final int MAX_LINE_TEXT = 1 << 20;
    private static final int READ = 1 << 20;

    private LogSearch() {}

    /** One match: line number and the columns {@code [start, end)} in the line's text. */
    public record Match(long line, int start, int end) {}

    /**
     * @param count matches counted (at most the cap)
     * @param matches the first {@code limit} of them
     * @param truncated more matches than {@code limit}
     * @param countCapped the count stopped at the cap
     * @param timedOut the search stopped at its deadline before the end of the log
     */
    public record Result(long count, List<Match> matches, boolean truncated, boolean countCapped, boolean timedOut) {}

    /**
     * Searches {@code source} from byte {@code from}, where line {@code line} starts, to byte {@code end}.
     *
     * @param deadlineNanos a {@link System#nanoTime()} value the search does not run past
     */
    public static Result search(StreamSource source, long from, long line, long end, Pattern pattern, int limit,
            long cap, long deadlineNanos) throws IOException {
        Scan scan = new Scan(pattern, limit, cap, deadlineNanos, line);
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.max(1, Math.min(READ, end - from)));
        for (long p = from; p < end && !scan.stopped();) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), end - p));
            int n = source.read(p, buffer);
            if (n <= 0) {
                break;
            }
            scan.feed(buffer.array(), n);
            p += n;
        }
        if (!scan.stopped()) {
            scan.endLine();
        }
        return new Result(scan.count, scan.matches, scan.count > scan.matches.size(), scan.count >= cap,
                scan.timedOut);
    }

    /** The state of one search. Not thread safe. */
    private static final class Scan {
        private final Matcher matcher;
        private final int limit;
        private final long cap;
        private final long deadline;
        private final EscapeParser escapes = new EscapeParser();
        private final List<Match> matches = new ArrayList<>();
        private byte[] text = new byte[256];
        private int length;
        private long line;
        private long count;
        private boolean timedOut;

        Scan(Pattern pattern, int limit, long cap, long deadline, long line) {
            this.matcher = pattern.matcher("");
            this.limit = limit;
            this.cap = cap;
            this.deadline = deadline;
            this.line = line;
        }

        boolean stopped() {
            return count >= cap || timedOut;
        }

        void feed(byte[] b, int n) {
            for (int i = 0; i < n && !stopped(); i++) {
                int c = b[i] & 0xff;
                if (c == '\n') {
                    escapes.feed(c);
                    endLine();
                    line++;
                } else if (escapes.feed(c) == EscapeParser.TEXT && length < MAX_LINE_TEXT) {
                    if (length == text.length) {
                        text = java.util.Arrays.copyOf(text, Math.min(MAX_LINE_TEXT, length * 2));
                    }
                    text[length++] = (byte) c;
                }
            }
        }

        void endLine() {
            if (length > 0) {
                matcher.reset(new String(text, 0, length, StandardCharsets.UTF_8));
                while (count < cap && matcher.find()) {
                    if (matcher.end() == matcher.start() && matcher.end() >= matcher.regionEnd()) {
                        break;
                    }
                    count++;
                    if (matches.size() < limit) {
                        matches.add(new Match(line, matcher.start(), matcher.end()));
                    }
                }
                if ((line & 0xfff) == 0 && System.nanoTime() - deadline > 0) {
                    timedOut = true;
                }
            }
            length = 0;
            if (text.length > 64 * 1024) {
                text = new byte[256];
            }
        }
    }
}
