package org.httpfstream.bench;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Puts the limits of the same data path ({@link PathLimits}, issue 16) into the results of the append and
 * catch-up scenarios: the append is compared with the raw pipeline (loopback TCP into a file), with the
 * raw file append of earlier series and the unmasking pass alone beside it; catch-up keeps the raw
 * {@code transferTo} limit and gains the fair one, whose receivers do the followers' CRC32C.
 *
 * <p>Thread safety: stateless; called on the bench's thread.
 */
final class PathLimitResults {
    private static final double APPEND_TARGET = 0.8;
    private static final double CATCH_UP_TARGET = 0.8;
    /** Bytes of the CRC32C-alone probe. */
    private static final long CRC_BYTES = 1L << 30;

    private PathLimitResults() {}

    /**
     * Completes the plain append result {@code r} of {@code messageSize}-byte messages: its limit and
     * target become the raw pipeline's; the raw file append ({@code rawFile} bytes/s) and the unmasking
     * pass alone go into its parameters, with the ratio to each and the share of the gap to the pipeline
     * that unmasking on one thread would explain.
     */
    static void appendLimits(Bench bench, Result r, int messageSize, double rawFile) throws Exception {
        Path dir = bench.work.resolve("raw");
        double pipeline = bench.limit("pipeline", messageSize,
                () -> PathLimits.pipeline(dir, messageSize, bench.o.appendBytes));
        double unmask = bench.limit("unmask", messageSize, () -> PathLimits.unmask(messageSize, bench.o.appendBytes));
        double ours = r.throughput();
        r.limitName = "raw pipeline (loopback TCP → file)";
        r.limitBytesPerSecond = pipeline;
        r.target = "≥ 0.8 × raw pipeline";
        r.targetMet = r.verified && r.ratio() >= APPEND_TARGET;
        r.param("fileAppendMBps", Math.round(rawFile / 1e6));
        r.param("ratioToFileAppend", round2(ours / rawFile));
        r.param("unmaskMBps", Math.round(unmask / 1e6));
        // Seconds per byte: ours = pipeline's + the gap; unmasking costs 1/unmask on the server's thread.
        double gap = 1 / ours - 1 / pipeline;
        r.targetNote = String.format(Locale.ROOT, "unmasking alone %.0f MB/s: %.0f%% of our time per byte%s",
                unmask / 1e6, 100 * ours / unmask, gap > 0
                        ? String.format(Locale.ROOT, ", %.0f%% of the gap to the pipeline", 100 / unmask / gap)
                        : " (no gap to the pipeline)");
    }

    /**
     * Adds the fair limit to the catch-up result {@code r} of {@code n} readers of {@code source}: the
     * raw {@code transferTo} copy with each receiver computing CRC32C as the followers do, and that
     * work alone on one thread (times the load generator's event loops: what it could receive at most).
     */
    static void catchUpFairLimit(Bench bench, Result r, int n, Path source) throws Exception {
        double fair = bench.limit("file-to-socket+crc32c", n, () -> PathLimits.fileToSocketChecked(source, n));
        double crc = bench.limit("crc32c", 1, () -> PathLimits.crc32c(CRC_BYTES));
        double ours = r.throughput();
        r.param("fairLimitMBps", Math.round(fair / 1e6));
        r.param("ratioToFair", round2(ours / fair));
        r.param("crc32cMBpsOneThread", Math.round(crc / 1e6));
        int loops = bench.o.threads;
        r.targetNote = String.format(Locale.ROOT, "fair limit (receivers do CRC32C) %.0f MB/s: ratio %.2f, "
                + "target ≥ 0.8 %s; CRC32C alone %.0f MB/s per thread, × %d load-generator threads = %.0f MB/s",
                fair / 1e6, ours / fair, r.verified && ours / fair >= CATCH_UP_TARGET ? "met" : "MISSED",
                crc / 1e6, loops, loops * crc / 1e6);
    }

    private static double round2(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
