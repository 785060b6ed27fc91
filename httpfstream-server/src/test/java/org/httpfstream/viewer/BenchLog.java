package org.httpfstream.viewer;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * The viewer benchmark's log, line by line: what a CI job prints. Every line is a pure function of its
 * number, so the benchmark can say what any line should show without keeping the log. Lines start
 * with an RFC 3339 time, carry levels in the 16 colours, names in 256 colours and durations in 24-bit
 * colour; every block of {@value #BLOCK} lines is a section of one of the three formats in turn
 * (GitHub {@code ::group::}, GitLab {@code section_start} with a nested collapsed section inside,
 * Buildkite {@code ---}/{@code +++}); one line in {@value #PROGRESS_EVERY} is a progress bar drawn with
 * carriage returns, one in {@value #LONG_EVERY} is a long line of a few KiB. Every line ends with
 * {@code #N}, its number, which the benchmark looks for in the page.
 *
 * <p>Thread safety: immutable; a {@link StringBuilder} passed in belongs to the caller.
 */
final class BenchLog {
    static final String ESC = "\u001b";
    static final int BLOCK = 10_000;
    static final int PROGRESS_EVERY = 101;
    static final int LONG_EVERY = 997;
    private static final String[] LEVELS = {ESC + "[32mINFO " + ESC + "[0m", ESC + "[36mDEBUG" + ESC + "[0m",
        ESC + "[33mWARN " + ESC + "[0m", ESC + "[1;31mERROR" + ESC + "[0m", ESC + "[92mINFO " + ESC + "[0m"};
    private static final String[] WORDS = {"compiling", "linking", "resolved", "downloaded", "cache hit",
        "uploaded artifact", "test passed", "checked", "generated", "scheduled"};

    private BenchLog() {}

    /** Appends line {@code n} (1-based) with its {@code \n}. */
    static void line(long n, StringBuilder out) {
        long inBlock = (n - 1) % BLOCK; // 0 .. BLOCK-1
        long block = (n - 1) / BLOCK;
        int kind = (int) (block % 3);
        if (inBlock == 0) {
            header(kind, block, n, out);
        } else if (inBlock == BLOCK - 1 && kind != 2) {
            footer(kind, block, n, out);
        } else if (kind == 1 && inBlock == 100) {
            out.append(ESC).append("[0Ksection_start:").append(1_765_100_000 + block * 60 + 1)
                    .append(":tests_").append(block).append("[collapsed=true]\r").append(ESC).append("[0K")
                    .append("Unit tests #").append(n).append('\n');
        } else if (kind == 1 && inBlock == 400) {
            out.append(ESC).append("[0Ksection_end:").append(1_765_100_000 + block * 60 + 30)
                    .append(":tests_").append(block).append('\r').append(ESC).append("[0Ktests done #").append(n)
                    .append('\n');
        } else {
            plain(n, out);
        }
    }

    /** A line that is neither a section marker nor anything special: the benchmark checks its text. */
    static boolean isPlain(long n) {
        long inBlock = (n - 1) % BLOCK;
        int kind = (int) ((n - 1) / BLOCK % 3);
        return inBlock != 0 && !(inBlock == BLOCK - 1 && kind != 2) && !(kind == 1 && (inBlock == 100 || inBlock == 400))
                && n % PROGRESS_EVERY != 0 && n % LONG_EVERY != 0;
    }

    private static void header(int kind, long block, long n, StringBuilder out) {
        switch (kind) {
            case 0 -> out.append("::group::Step ").append(block).append(" build #").append(n).append('\n');
            case 1 -> out.append(ESC).append("[0Ksection_start:").append(1_765_100_000 + block * 60)
                    .append(":step_").append(block).append("\r").append(ESC).append("[0KStep ").append(block)
                    .append(" test #").append(n).append('\n');
            default -> out.append(block % 2 == 0 ? "--- " : "+++ ").append(":package: Step ").append(block)
                    .append(" deploy #").append(n).append('\n');
        }
    }

    private static void footer(int kind, long block, long n, StringBuilder out) {
        if (kind == 0) {
            out.append("::endgroup::\n");
        } else {
            out.append(ESC).append("[0Ksection_end:").append(1_765_100_000 + block * 60 + 59).append(":step_")
                    .append(block).append('\r').append(ESC).append("[0K\n");
        }
    }

    private static void plain(long n, StringBuilder out) {
        timestamp(n, out);
        long h = mix(n);
        out.append(LEVELS[(int) (h & 3) + (n % 7 == 0 ? 1 : 0)]).append(" [").append(ESC).append("[38;5;")
                .append(17 + (h >>> 8) % 214).append("mwk-").append((h >>> 16) % 16).append(ESC).append("[39m] ");
        if (n % PROGRESS_EVERY == 0) {
            for (int p = 0; p <= 100; p += 20) {
                out.append("downloading layer ").append(p).append("% ").append("#".repeat(p / 10)).append('\r');
            }
            out.append("downloaded layer 100% #").append(n).append('\n');
            return;
        }
        out.append(WORDS[(int) ((h >>> 20) % WORDS.length)]).append(" in ");
        if ((h >>> 24 & 1) == 0) { // a duration in 24-bit colour on every other line
            out.append(ESC).append("[38;2;").append(100 + (h >>> 32) % 156).append(';').append(80 + (h >>> 40) % 100)
                    .append(";200m").append((h >>> 44) % 900 + 10).append(" ms").append(ESC).append("[0m");
        } else {
            out.append((h >>> 44) % 900 + 10).append(" ms");
        }
        if (n % LONG_EVERY == 0) {
            out.append(" payload=");
            int len = 1_000 + (int) ((h >>> 48) % 2_000);
            for (int i = 0; i < len; i++) {
                out.append((char) ('a' + (h >>> (i % 50)) % 26));
            }
        }
        out.append(" #").append(n).append('\n');
    }

    /** 2026-12-07T20:00:00.000Z plus 3 ms per line: ten million lines span about eight hours. */
    private static void timestamp(long n, StringBuilder out) {
        long ms = n * 3;
        long s = ms / 1000;
        out.append("2026-12-07T").append(two(20 + s / 3600 % 4)).append(':').append(two(s / 60 % 60)).append(':')
                .append(two(s % 60)).append('.').append(ms % 1000 < 100 ? "0" : "").append(two(ms % 1000))
                .append("Z ");
    }

    private static String two(long v) {
        return v < 10 ? "0" + v : Long.toString(v);
    }

    /** A cheap 64-bit hash of n (SplitMix64's finaliser), for varied but repeatable content. */
    static long mix(long n) {
        long z = n * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (z ^ (z >>> 31)) & Long.MAX_VALUE;
    }

    /** Lines from..to as UTF-8. */
    static byte[] lines(long from, long to) {
        StringBuilder b = new StringBuilder((int) (to - from + 1) * 120);
        for (long n = from; n <= to; n++) {
            line(n, b);
        }
        return b.toString().getBytes(UTF_8);
    }
}
