package org.httpfstream.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Reads a Linux process's CPU time from {@code /proc/PID/stat} and its resident memory from {@code
 * /proc/PID/status}, and asks a JVM to collect garbage with {@code jcmd PID GC.run}.
 *
 * <p>Thread safety: immutable; every method may be called from any thread.
 */
public final class ProcStats {
    /** Linux reports /proc times in USER_HZ, which is 100 on every architecture it runs on. */
    private static final double TICKS_PER_SECOND = 100.0;

    private final long pid;

    /**
     * @param pid a process id; {@code ProcessHandle.current().pid()} for this process
     */
    public ProcStats(long pid) {
        if (pid < 1) {
            throw new IllegalArgumentException("pid < 1: " + pid);
        }
        this.pid = pid;
    }

    /** This process's statistics. */
    public static ProcStats self() {
        return new ProcStats(ProcessHandle.current().pid());
    }

    public long pid() {
        return pid;
    }

    /** User plus system CPU seconds the process has used, or -1 if /proc cannot be read. */
    public double cpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"),
                    StandardCharsets.US_ASCII);
            // The command name (field 2) may hold spaces and parentheses: fields after it follow the
            // last ')'. utime and stime are fields 14 and 15, so the 12th and 13th after it.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Resident set size in bytes (VmRSS), or -1 if /proc cannot be read. */
    public long rssBytes() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"),
                    StandardCharsets.US_ASCII);
            for (String line : lines) {
                if (line.startsWith("VmRSS:")) {
                    String kb = line.substring(6).trim();
                    return Long.parseLong(kb.substring(0, kb.indexOf(' '))) * 1024;
                }
            }
            return -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * CPU seconds the whole machine has been busy (all CPUs, everything but idle and I/O wait) since
     * boot, from {@code /proc/stat}; -1 if it cannot be read.
     */
    public static double machineBusySeconds() {
        try {
            String first = Files.readAllLines(Path.of("/proc/stat"), StandardCharsets.US_ASCII).get(0);
            String[] f = first.trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length && i <= 8; i++) { // user .. steal
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return (total - idle) / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** True while the process exists. */
    public boolean alive() {
        return Files.exists(Path.of("/proc", Long.toString(pid)));
    }

    /** True if the process has a JVM loaded (libjvm.so in its memory map). */
    public boolean isJvm() {
        try (java.util.stream.Stream<String> maps = Files.lines(Path.of("/proc", Long.toString(pid), "maps"),
                StandardCharsets.ISO_8859_1)) {
            return maps.anyMatch(l -> l.endsWith("/libjvm.so"));
        } catch (IOException | java.io.UncheckedIOException e) {
            return false;
        }
    }

    /**
     * Runs {@code jcmd PID GC.run} (a full collection in the target JVM) and waits for it, at most
     * {@code timeoutSeconds}. Returns false if jcmd is missing or fails, and without running it if the
     * target is no JVM (jcmd's attach signal, SIGQUIT, would kill most other processes).
     */
    public boolean gc(long timeoutSeconds) {
        if (!isJvm()) {
            return false;
        }
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        String command = Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd";
        try {
            Process p = new ProcessBuilder(command, Long.toString(pid), "GC.run")
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Samples {@link #rssBytes()} every {@code periodMillis} on a daemon thread until closed, keeping
     * the peak.
     *
     * <p>Thread safety: {@link #peakBytes()} and {@link #close()} may be called from any thread.
     */
    public RssSampler sampleRss(long periodMillis) {
        return new RssSampler(this, periodMillis);
    }

    /** See {@link ProcStats#sampleRss(long)}. */
    public static final class RssSampler implements AutoCloseable {
        private final ProcStats stats;
        private final long periodMillis;
        private final Thread thread;
        private volatile long peak;
        private volatile boolean closed;

        private RssSampler(ProcStats stats, long periodMillis) {
            if (periodMillis < 1) {
                throw new IllegalArgumentException("periodMillis < 1: " + periodMillis);
            }
            this.stats = stats;
            this.periodMillis = periodMillis;
            this.peak = stats.rssBytes();
            this.thread = new Thread(this::run, "rss-sampler-" + stats.pid);
            thread.setDaemon(true);
            thread.start();
        }

        private void run() {
            Object pause = new Object();
            while (!closed) {
                long rss = stats.rssBytes();
                if (rss > peak) {
                    peak = rss;
                }
                synchronized (pause) {
                    try {
                        pause.wait(periodMillis); // a sampling period, not waiting for an event
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }

        /** The largest RSS seen so far, in bytes. */
        public long peakBytes() {
            long rss = stats.rssBytes();
            return Math.max(peak, rss);
        }

        @Override
        public void close() {
            closed = true;
            thread.interrupt();
        }
    }
}
