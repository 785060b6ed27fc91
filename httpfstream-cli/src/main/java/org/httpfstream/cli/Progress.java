package org.httpfstream.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The progress line of {@code append -v} and {@code follow -v} on a terminal: bytes so far and the rate,
 * and, when the total is known, the percentage and the time left, e.g.
 * {@code  45%  12.3 MiB of 27.0 MiB  4.1 MiB/s  ETA 0:04}. The line is redrawn in place (a carriage
 * return, then spaces over what is left of a longer previous line) at most once every {@link
 * #REDRAW_NANOS} (four times a second), however fast the bytes come; {@link #end()} draws it a last time
 * with the average rate and ends the line, so that what is printed next starts on a line of its own.
 *
 * <p>A progress line is only for a terminal: the commands make one only when stderr is a terminal (see
 * {@link Terminal}), and {@link #NONE} otherwise, which prints nothing.
 *
 * <p>Thread safety: safe for use by several threads (every method is synchronized): the copy loop counts
 * while a shutdown hook may end the line.
 */
class Progress {

    /** The shortest time between two redraws: 250 ms, at most four a second. */
    static final long REDRAW_NANOS = 250_000_000L;

    /**
     * Where the commands may draw a progress line: whether stderr is a terminal (asked once, with
     * {@code -v}) and the clock of the line's rate. One value for {@code append} and {@code follow}, which
     * both take it, so that tests can give a terminal and a clock of their own.
     *
     * @param stderrIsTerminal whether stderr is a terminal; then a progress line is shown with -v
     * @param nanoClock the time for the progress line's rate, {@link System#nanoTime()} but in tests
     */
    record Screen(BooleanSupplier stderrIsTerminal, LongSupplier nanoClock) {
        /** The process's own stderr and {@link System#nanoTime()}. */
        static final Screen SYSTEM = new Screen(Terminal::stderrIsTerminal, System::nanoTime);
        /** No terminal: never a progress line. */
        static final Screen NOT_A_TERMINAL = new Screen(() -> false, System::nanoTime);
    }

    /** Prints nothing. */
    static final Progress NONE = new Progress(null, -1, () -> 0L) {
        @Override
        synchronized void add(long n) {
        }

        @Override
        synchronized void end() {
        }
    };

    private final PrintWriter err;
    private final long total;
    private final LongSupplier nanoClock;
    private final long startNanos;

    private long bytes; // Guarded by this.
    private long drawnAtNanos; // Guarded by this; when the line was last drawn.
    private long drawnBytes; // Guarded by this; bytes when the line was last drawn.
    private boolean drawn; // Guarded by this; whether a line is on the screen.
    private int width; // Guarded by this; the length of the line on the screen.
    private boolean ended; // Guarded by this.

    /**
     * @param err the terminal, stderr
     * @param total the number of bytes expected in all, or -1 if unknown
     * @param nanoClock the time in nanoseconds, {@link System#nanoTime()} but in tests
     */
    Progress(PrintWriter err, long total, LongSupplier nanoClock) {
        this.err = err;
        this.total = total;
        this.nanoClock = nanoClock;
        this.startNanos = nanoClock.getAsLong();
        this.drawnAtNanos = startNanos;
    }

    /** Counts {@code n} more bytes and redraws the line if it was last drawn long enough ago. */
    synchronized void add(long n) {
        if (ended) {
            return;
        }
        bytes += n;
        long now = nanoClock.getAsLong();
        long since = now - drawnAtNanos;
        if (since >= REDRAW_NANOS) {
            draw(line((bytes - drawnBytes) * 1e9 / since, true));
            drawnAtNanos = now;
            drawnBytes = bytes;
        }
    }

    /**
     * Draws the line a last time, with the average rate since the start, and ends it with a newline.
     * Does nothing if no byte was counted and no line drawn, or if it has already ended.
     */
    synchronized void end() {
        if (ended) {
            return;
        }
        ended = true;
        if (bytes == 0 && !drawn) {
            return;
        }
        long elapsed = Math.max(1, nanoClock.getAsLong() - startNanos);
        draw(line(bytes * 1e9 / elapsed, false));
        err.print('\n');
        err.flush();
    }

    private void draw(String line) {
        StringBuilder out = new StringBuilder(line.length() + width + 1).append('\r').append(line);
        for (int i = line.length(); i < width; i++) {
            out.append(' ');
        }
        err.print(out);
        err.flush();
        drawn = true;
        width = line.length();
    }

    private String line(double rate, boolean withEta) {
        StringBuilder line = new StringBuilder();
        if (total > 0) {
            long percent = Math.min(100, bytes * 100 / total);
            line.append(String.format(Locale.ROOT, "%3d%%  ", percent)).append(size(bytes)).append(" of ")
                    .append(size(total));
        } else {
            line.append(size(bytes));
        }
        line.append("  ").append(size(Math.round(rate))).append("/s");
        if (total > 0 && withEta) {
            long left = total - Math.min(total, bytes);
            line.append("  ETA ").append(rate < 1 ? "--:--" : duration((long) Math.ceil(left / rate)));
        }
        return line.toString();
    }

    /** {@code 512 B}, {@code 12.3 KiB}, {@code 4.0 MiB}, {@code 1.5 GiB}, {@code 2.0 TiB}. */
    static String size(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double value = n;
        int unit = -1;
        do {
            value /= 1024;
            unit++;
        } while (value >= 1024 && unit < units.length - 1);
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    /** {@code 0:04}, {@code 12:30}, {@code 1:02:03}. */
    static String duration(long seconds) {
        long h = seconds / 3600;
        long m = seconds / 60 % 60;
        long s = seconds % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s)
                : String.format(Locale.ROOT, "%d:%02d", m, s);
    }
}
