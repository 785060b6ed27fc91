package org.httpfstream.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Stream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.httpfstream.server.HttpFStreamServer;
import org.httpfstream.viewer.LineIndex;

/**
 * The viewer's server side, timed (issue 14): generates a coloured log of {@code -lines} lines
 * (default 10,000,000, about 1 GiB) in a fresh folder under {@code -dir} (default {@code /tmp}), starts
 * an embedded server on it, and measures the line index's first build (the first {@code ?lines}
 * request, which scans the whole log; MB/s), then the latency of {@code ?lines=N-N+99} at line 1, the
 * middle and the end and of {@code ?tail=1000} (median and worst of {@code -repeat} requests, one
 * connection), then the same after a restart (the index resumes from its files). Deletes the folder
 * at the end. Prints one line per figure.
 *
 * <p>A timing tool rather than a JMH benchmark: what is measured is one cold build and requests over
 * real sockets, not a hot loop.
 *
 * <p>Thread safety: a program entry point; not for use as a library.
 */
public final class ViewerIndexBench {
    private ViewerIndexBench() {}

    public static void main(String[] args) throws Exception {
        long lines = 10_000_000;
        Path dir = Path.of("/tmp");
        int repeat = 21;
        for (String a : args) {
            String arg = a.startsWith("--") ? a.substring(1) : a;
            if (arg.startsWith("-lines=")) {
                lines = Long.parseLong(arg.substring(7).replace("_", ""));
            } else if (arg.startsWith("-dir=")) {
                dir = Path.of(arg.substring(5));
            } else if (arg.startsWith("-repeat=")) {
                repeat = Integer.parseInt(arg.substring(8));
            } else {
                System.err.println("usage: ViewerIndexBench [-lines=N] [-dir=DIR] [-repeat=N]");
                System.exit(2);
            }
        }
        Path root = Files.createTempDirectory(dir, "viewer-bench-");
        try {
            run(root, lines, repeat);
        } finally {
            delete(root);
        }
    }

    private static void run(Path root, long lines, int repeat) throws Exception {
        long t0 = System.nanoTime();
        long size = generate(root.resolve("big.log"), lines);
        System.out.printf(Locale.ROOT, "generated %,d lines, %,d bytes (%.2f GiB) in %.1f s%n", lines, size,
                size / (double) (1L << 30), (System.nanoTime() - t0) / 1e9);
        buildInProcess(root, size);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (HttpFStreamServer server = HttpFStreamServer.builder().root(root).bind("127.0.0.1", 0)
                .accessLog(false).build().start()) {
            long start = System.nanoTime();
            HttpResponse<byte[]> first = get(http, server.uri(), "/big.log?lines=1-1");
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(Locale.ROOT, "index build (first ?lines): %.2f s, %.0f MB/s, Line-Count %s%n",
                    seconds, size / 1e6 / seconds, first.headers().firstValue("Line-Count").orElse("?"));
            System.out.printf(Locale.ROOT, "index files: %,d bytes%n", indexBytes(root));
            latencies(http, server.uri(), lines, repeat, "");
        }
        try (HttpFStreamServer server = HttpFStreamServer.builder().root(root).bind("127.0.0.1", 0)
                .accessLog(false).build().start()) {
            long start = System.nanoTime();
            get(http, server.uri(), "/big.log?lines=" + lines / 2 + "-" + lines / 2);
            System.out.printf(Locale.ROOT, "after a restart, first ?lines (index resumed from its files): %.1f ms%n",
                    (System.nanoTime() - start) / 1e6);
            latencies(http, server.uri(), lines, repeat, " (after restart)");
        }
    }

    /**
     * The index built in this thread, timed by the thread's CPU time as well as the clock: on a shared
     * machine the CPU time is the figure that does not depend on the other load.
     */
    private static void buildInProcess(Path root, long size) throws IOException {
        Path base = root.resolve("in-process").resolve("big.log.idx");
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long cpu = threads.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        try (LineIndex index = LineIndex.open(root.resolve("big.log"), base)) {
            index.catchUp(size);
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpuSeconds = (threads.getCurrentThreadCpuTime() - cpu) / 1e9;
            System.out.printf(Locale.ROOT, "index build in process: %.2f s (%.0f MB/s), CPU %.2f s (%.0f MB/s of CPU), "
                    + "%,d lines%n", seconds, size / 1e6 / seconds, cpuSeconds, size / 1e6 / cpuSeconds, index.lineCount());
        }
        delete(root.resolve("in-process"));
    }

    private static void latencies(HttpClient http, URI base, long lines, int repeat, String note)
            throws Exception {
        for (long at : new long[] {1, lines / 2, lines - 99}) {
            report(http, base, "/big.log?lines=" + at + "-" + (at + 99), repeat, note);
        }
        report(http, base, "/big.log?tail=1000", repeat, note);
        report(http, base, "/big.log?status", repeat, note);
    }

    private static void report(HttpClient http, URI base, String target, int repeat, String note) throws Exception {
        double[] ms = new double[repeat];
        long bytes = 0;
        for (int i = 0; i < repeat; i++) {
            long start = System.nanoTime();
            bytes = get(http, base, target).body().length;
            ms[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(ms);
        System.out.printf(Locale.ROOT, "%-32s median %.2f ms, max %.2f ms, %,d bytes%s%n", target, ms[repeat / 2],
                ms[repeat - 1], bytes, note);
    }

    private static HttpResponse<byte[]> get(HttpClient http, URI base, String target) throws Exception {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(base.resolve(target)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IOException(target + ": " + r.statusCode() + " " + new String(r.body(), UTF_8));
        }
        return r;
    }

    /** A CI-like coloured log: timestamps, levels in colour, a GitHub group every 10,000 lines. */
    static long generate(Path file, long lines) throws IOException {
        String[] levels = {"\u001b[32mINFO\u001b[0m ", "\u001b[33mWARN\u001b[0m ", "\u001b[1;31mERROR\u001b[0m",
            "\u001b[2mDEBUG\u001b[0m"};
        long size = 0;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            StringBuilder b = new StringBuilder(256);
            for (long i = 1; i <= lines; i++) {
                b.setLength(0);
                if (i % 10_000 == 1) {
                    b.append("::group::Step ").append(i / 10_000).append('\n');
                } else if (i % 10_000 == 0) {
                    b.append("::endgroup::\n");
                } else {
                    b.append("2026-12-07T20:").append(i / 60_000 % 60 < 10 ? "0" : "").append(i / 60_000 % 60)
                            .append(":00.000Z ").append(levels[(int) (i % 4)]).append(" worker-")
                            .append(i % 16).append(" processed item ").append(i)
                            .append(" of the build, cache hit ratio 0.93\n");
                }
                byte[] bytes = b.toString().getBytes(UTF_8);
                out.write(bytes);
                size += bytes.length;
            }
        }
        return size;
    }

    private static long indexBytes(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root.resolve(".httpfstream").resolve("lines"))) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static void delete(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
