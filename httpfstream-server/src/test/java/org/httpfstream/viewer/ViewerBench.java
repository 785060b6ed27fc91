package org.httpfstream.viewer;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.httpfstream.server.HttpFStreamServer;
import org.httpfstream.server.RawWebSocket;

/**
 * The log viewer's four targets of issue 14, measured in a real headless Chromium against a real
 * server: the tail of a big coloured log shown after a navigation (index built, index loaded after a
 * restart, index missing), jumps to random lines, memory while scrolling through the whole log, and a
 * live writer at 10,000 lines/s. Run by {@code scripts/viewer-bench} ({@code --help} lists the options);
 * not part of {@code mvn verify}.
 *
 * <p>A main in the server's test tree rather than a test or the bench module: it needs the browser
 * tests' Chromium set-up ({@link org.httpfstream.testing.HeadlessChromium}) and the test WebSocket
 * appender ({@link RawWebSocket}; the Java client's module depends on the server, so the server's tests
 * cannot use it), and a main gets its own JVM, options and exit code, which a surefire run would not.
 * Statistics, JSON and the table are written here rather than with a library: a few lines each.
 *
 * <p>Thread safety: a program entry point; one thread.
 */
public final class ViewerBench {
    static final String USAGE = """
            usage: scripts/viewer-bench [options]
              --size small|full   full: 10,000,000 lines, about 1 GiB; small (default): 200,000 lines
              --lines N           any number of lines instead
              --work DIR          where the server's root goes (default target/viewer-bench); deleted after
              --keep              keep the root (the log and its index) at the end
              --tail-runs N       navigations timed with the index built (default 5)
              --jumps N           jumps to random lines (default 100)
              --scroll-steps N    steps of the scroll from top to bottom (default: a 500-line chunk per
                                  step up to 2,000 steps)
              --scroll-pause-ms N a pause after each scroll step, as a reader makes (default 0)
              --live-seconds N    how long the live writer writes (default 30)
              --live-rate N       lines per second of the live writer (default 10000)
              --out FILE          also append the JSON lines to FILE
              --profile FILE      save Chromium's CPU profile of the live phase (.cpuprofile JSON)
              --only LIST         some of tail,jump,scroll,live (comma-separated; default all)
              --memory-dump       at the end of the scroll, before the forced GC, also ask Chromium for its
                                  memory-infra dump of the tab (v8, blink_gc, partition_alloc, cc, ...)
            Memory, for each phase (tail, jump, scroll, live), of the tab (the renderer with the most VmRSS):
              VmRSS              all its resident pages, including the file-backed ones (Chromium's binary,
                                 fonts, ICU data) and shared memory that other processes map too
              private footprint  RssAnon + VmSwap: what Chrome's task manager calls the tab's "Memory
                                 footprint", the memory only this process holds
              JS heap            V8's used and total heap (performance.memory, read at every frame), and at
                                 the phase's end CDP Runtime.getHeapUsage with Blink's heap (DOM, layout)
            VmRSS and private footprint are peaks of /proc/PID/status read every 100 ms.
            Writes the log through the server (a WebSocket APPEND, the line index open and following it),
            then drives headless Chromium (/usr/bin/chromium, /usr/bin/chromedriver). JSON lines go to
            stdout, then a Markdown table; progress goes to stderr. Full size: about 10 minutes.
            """;

    private final Map<String, String> options;
    private final List<String> json = new ArrayList<>();
    private final List<String[]> table = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private HttpFStreamServer server;
    private Path work;

    private ViewerBench(Map<String, String> options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = parse(args);
        if (options == null) {
            System.out.print(USAGE);
            System.exit(args.length > 0 && (args[0].equals("--help") || args[0].equals("-h")) ? 0 : 2);
        }
        new ViewerBench(options).run();
        System.exit(0); // the server's and Selenium's non-daemon threads
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--keep") || a.equals("--memory-dump")) {
                o.put(a.substring(2), "true");
            } else if (a.startsWith("--") && i + 1 < args.length && !a.equals("--help")) {
                o.put(a.substring(2), args[++i]);
            } else {
                return null;
            }
        }
        for (String k : o.keySet()) {
            if (!List.of("size", "lines", "work", "keep", "tail-runs", "jumps", "scroll-steps", "live-seconds",
                    "live-rate", "out", "only", "profile", "scroll-pause-ms",
                    "memory-dump").contains(k)) {
                return null;
            }
        }
        return o;
    }

    private long option(String name, long fallback) {
        return options.containsKey(name) ? Long.parseLong(options.get(name).replace("_", "")) : fallback;
    }

    private void run() throws Exception {
        long lines = option("lines", "full".equals(options.get("size")) ? 10_000_000 : 200_000);
        while (!BenchLog.isPlain(lines)) {
            lines++; // the tail's last row must be a line whose text the benchmark can check
        }
        work = Path.of(options.getOrDefault("work", "target/viewer-bench")).toAbsolutePath();
        Path root = Files.createDirectories(work).resolve("root-" + ProcessHandle.current().pid());
        Path profile = work.resolve("chromium-" + ProcessHandle.current().pid());
        Files.createDirectories(root);
        try {
            startServer(root);
            long bytes = write(lines);
            try (BenchBrowser browser = new BenchBrowser(profile)) {
                measure(new BenchScenarios(browser), root, lines, bytes);
            }
        } finally {
            if (server != null) {
                server.close();
            }
            if (!options.containsKey("keep")) {
                delete(root);
            }
            delete(profile);
        }
        print();
    }

    private void measure(BenchScenarios page, Path root, long lines, long bytes) throws Exception {
        String params = "\"lines\":" + lines + ",\"bytes\":" + bytes;
        if (wanted("tail")) {
            tails(page, root, lines, params);
        }
        String url = server.uri().resolve("/bench.log?view").toString();
        if (wanted("jump")) {
            tailRun(page, url, lines, 60_000);
            List<String> errors = new ArrayList<>();
            int count = (int) option("jumps", 100);
            PhaseMemory watch = page.watch("jump");
            double[] jumps = page.jumps(lines, count, 14, errors);
            PhaseMemory.Result memory = watch.stop();
            figure("viewer-jump", params + ",\"jumps\":" + count + jsonErrors(errors) + "," + memory.json(), stats(jumps), 200);
            memoryRow(memory);
        }
        if (wanted("scroll")) {
            scroll(url, lines, params);
        }
        if (wanted("live")) {
            live(page, url, lines, params);
        }
    }

    private boolean wanted(String scenario) {
        return !options.containsKey("only") || List.of(options.get("only").split(",")).contains(scenario);
    }

    /** The tail after a navigation: index built (several runs), loaded after a restart, missing. */
    private void tails(BenchScenarios page, Path root, long lines, String params) throws Exception {
        String url = server.uri().resolve("/bench.log?view").toString();
        List<Double> runs = new ArrayList<>();
        PhaseMemory watch = page.watch("tail");
        for (int i = 0; i < option("tail-runs", 5); i++) {
            runs.add(tailRun(page, url, lines, 60_000));
            watch.pageCheckpoint();
        }
        PhaseMemory.Result memory = watch.stop();
        figure("viewer-tail", params + ",\"index\":\"built\",\"runsMs\":" + runs + "," + memory.json(), stats(runs), 1000);
        memoryRow(memory);
        restart(root, false);
        url = server.uri().resolve("/bench.log?view").toString();
        figure("viewer-tail-after-restart", params + ",\"index\":\"loaded from its files\"",
                stats(List.of(tailRun(page, url, lines, 60_000))), 1000);
        restart(root, true);
        url = server.uri().resolve("/bench.log?view").toString();
        figure("viewer-tail-index-missing", params + ",\"index\":\"rebuilt on the first request\"",
                stats(List.of(tailRun(page, url, lines, 600_000))), 1000);
    }

    private double tailRun(BenchScenarios page, String url, long lines, long deadlineMs) {
        Map<String, Object> r = page.tail(url, lines, deadlineMs);
        progress("tail: %s", r);
        if (!Boolean.TRUE.equals(r.get("verified"))) {
            throw new IllegalStateException("the tail did not show line " + lines + ": " + r);
        }
        return ((Number) r.get("ms")).doubleValue();
    }

    /**
     * In a browser of its own, so that no earlier page (nor the back-forward cache) is in its renderers:
     * the memory of the page on a one-line log first (Chromium's floor), then the big log's tail, then
     * the scroll.
     */
    private void scroll(String url, long lines, String params) throws Exception {
        long defaultSteps = Math.min(2_000, Math.max(2, lines / 500));
        int steps = (int) option("scroll-steps", defaultSteps);
        try (RawWebSocket ws = RawWebSocket.appendAccepted(server.localAddress(), "/tiny.log")) {
            ws.send(RawWebSocket.BINARY, BenchScenarios.liveLines(1, 1));
            ws.sendClose(1000);
        }
        Path profile = work.resolve("chromium-" + ProcessHandle.current().pid() + "-scroll");
        BenchScenarios.ScrollResult s;
        BenchBrowser.Memory floor;
        BenchBrowser.Memory atTail;
        List<String> errors = new ArrayList<>();
        try (BenchBrowser browser = new BenchBrowser(profile)) {
            BenchScenarios page = new BenchScenarios(browser);
            tailRun(page, server.uri().resolve("/tiny.log?view").toString(), 1, 60_000);
            floor = page.settledMemory();
            tailRun(page, url, lines, 60_000);
            atTail = page.settledMemory();
            s = page.scroll(steps, (int) option("scroll-pause-ms", 0), options.containsKey("memory-dump"), errors);
        } finally {
            delete(profile);
        }
        progress("scroll: %s, floor %s, at the tail %s", s, floor, atTail);
        if (!s.allocatorsEnd().isEmpty()) {
            progress("scroll: the tab's memory-infra dump at the end of the scroll (bytes): %s", s.allocatorsEnd());
        }
        if (s.lastRow() < lines) {
            errors.add("the last step shows up to line " + s.lastRow() + ", not " + lines);
        }
        PhaseMemory.Result m = s.memory();
        String extra = String.format(java.util.Locale.ROOT, ",\"steps\":%d,\"pauseMs\":%d,\"renderers\":%d,\"domRowsEnd\":%d,"
                + "%s,\"end\":%s,\"afterGc\":%s,\"floor\":%s,\"atTail\":%s", steps, option("scroll-pause-ms", 0),
                s.renderers(), s.domRows(), m.json(), memoryJson(s.end()), memoryJson(s.afterGc()), memoryJson(floor),
                memoryJson(atTail));
        if (!s.allocatorsEnd().isEmpty()) {
            extra += ",\"allocatorsEndBytes\":" + new org.openqa.selenium.json.Json().toJson(s.allocatorsEnd())
                    .replaceAll("\\s+", "");
        }
        figure("viewer-scroll", params + extra + jsonErrors(errors), stats(s.stepMs()), -1);
        table.add(new String[] {"viewer-scroll memory: tab VmRSS", String.format(java.util.Locale.ROOT,
                "max %.0f MB; end %.0f MB; after a forced GC %.0f MB; a one-line log's page %.0f MB", m.rssMax() / 1e6,
                s.end().rss() / 1e6, s.afterGc().rss() / 1e6, floor.rss() / 1e6), "< 200 MB",
            String.valueOf(m.rssMax() > 0 && m.rssMax() < 200_000_000), load()});
        table.add(new String[] {"viewer-scroll memory: tab private footprint (RssAnon+VmSwap)", String.format(
                java.util.Locale.ROOT, "max %.0f MB; end %.0f MB; after a forced GC %.0f MB; a one-line log's page %.0f MB",
                m.footprintMax() / 1e6, s.end().footprint() / 1e6, s.afterGc().footprint() / 1e6, floor.footprint() / 1e6),
            "< 200 MB", String.valueOf(m.footprintMax() > 0 && m.footprintMax() < 200_000_000), load()});
        table.add(new String[] {"viewer-scroll memory: JS heap", String.format(java.util.Locale.ROOT,
                "used max %.1f MB (total %.1f MB); at the end used %.1f MB, Blink heap %.1f MB", m.heapUsedMax() / 1e6,
                m.heapTotalMax() / 1e6, m.heapUsedEnd() / 1e6, m.blinkHeapUsedEnd() / 1e6), "-", "-", load()});
    }

    private static String memoryJson(BenchBrowser.Memory m) {
        return String.format(java.util.Locale.ROOT, "{\"vmRssBytes\":%d,\"privateFootprintBytes\":%d,\"rssAnonBytes\":%d,"
                + "\"vmSwapBytes\":%d}", m.rss(), m.footprint(), m.anon(), m.swap());
    }

    private void memoryRow(PhaseMemory.Result m) {
        table.add(new String[] {"memory during " + m.phase(), m.text(), "-", "-", load()});
    }

    /**
     * The writer appends to the big log again: one line, then the page opens (it sees a live writer, as
     * a reader who opens a running job's log does), then {@code --live-rate} lines a second.
     */
    private void live(BenchScenarios page, String url, long lines, String params) throws Exception {
        int rate = (int) option("live-rate", 10_000);
        int seconds = (int) option("live-seconds", 30);
        BenchScenarios.LiveResult r;
        PhaseMemory.Result memory;
        try (RawWebSocket ws = RawWebSocket.appendAccepted(server.localAddress(), "/bench.log")) {
            ws.send(RawWebSocket.BINARY, BenchScenarios.liveLines(lines + 1, 1));
            waitFor(Pattern.compile("\"lines\":" + (lines + 1) + "\\b.*\"writer\":\"live\""));
            tailRun(page, url, lines + 1, 60_000);
            PhaseMemory watch = page.watch("live");
            r = page.live(ws, lines + 2, rate, seconds,
                    options.containsKey("profile") ? Path.of(options.get("profile")).toAbsolutePath() : null);
            memory = watch.stop();
            ws.sendClose(1000);
        }
        double[] lags = r.lagsMs();
        long missing = java.util.Arrays.stream(lags).filter(Double::isNaN).count();
        double[] shown = java.util.Arrays.stream(lags).filter(d -> !Double.isNaN(d)).toArray();
        String extra = String.format(java.util.Locale.ROOT, ",\"rate\":%d,\"seconds\":%d,\"linesWritten\":%d,"
                + "\"writeSeconds\":%.2f,\"linesNeverShown\":%d,\"longestTaskMs\":%.1f,\"longTasks\":%d,"
                + "\"maxFrameGapMs\":%.1f,\"frames\":%.0f", rate, seconds, lags.length, r.writeSeconds(), missing,
                r.longestTaskMs(), r.longTasks() == null ? -1 : r.longTasks().size(), r.maxGapMs(), r.frames());
        figure("viewer-live-lag", params + extra + "," + memory.json(), stats(shown), 1000);
        table.add(new String[] {"viewer-live responsiveness", String.format(java.util.Locale.ROOT,
                "longest task %.0f ms, max frame gap %.0f ms", r.longestTaskMs(), r.maxGapMs()), "responsive", "-", load()});
        memoryRow(memory);
    }

    private void startServer(Path root) throws IOException {
        server = HttpFStreamServer.builder().root(root).bind("127.0.0.1", 0).accessLog(false).build().start();
    }

    /** Stops the server, optionally deletes the line index, and starts it again on the same root. */
    private void restart(Path root, boolean dropIndex) throws IOException {
        server.close();
        if (dropIndex) {
            delete(root.resolve(".httpfstream").resolve("lines"));
        }
        startServer(root);
    }

    /**
     * Appends the log through one WebSocket APPEND in 64 KiB frames. The index is opened after the first
     * lines (a {@code ?tail=1}), so it follows the writer as it would for a watched log.
     */
    private long write(long lines) throws Exception {
        long start = System.nanoTime();
        long bytes = 0;
        try (RawWebSocket ws = RawWebSocket.appendAccepted(server.localAddress(), "/bench.log")) {
            long n = 1;
            long report = 1_000_000;
            StringBuilder b = new StringBuilder(80 * 1024);
            while (n <= lines) {
                b.setLength(0);
                while (n <= lines && b.length() < 60 * 1024) {
                    BenchLog.line(n++, b);
                }
                byte[] frame = b.toString().getBytes(UTF_8);
                ws.send(RawWebSocket.BINARY, frame);
                bytes += frame.length;
                if (bytes == frame.length) {
                    waitForBytes(bytes);
                    get("/bench.log?tail=1"); // opens the index: from now on it follows the writer
                }
                if (n > report) {
                    progress("wrote %,d lines, %,d bytes", n - 1, bytes);
                    report += 1_000_000;
                }
            }
            ws.sendClose(1000);
        }
        double writeSeconds = (System.nanoTime() - start) / 1e9;
        long mark = System.nanoTime();
        waitForBytes(bytes);
        String status = get("/bench.log?status");
        double indexSeconds = (System.nanoTime() - mark) / 1e9;
        progress("wrote %,d lines, %,d bytes in %.1f s; status %s after %.1f s", lines, bytes, writeSeconds, status, indexSeconds);
        if (!Pattern.compile("\"lines\":" + lines + "\\b").matcher(status).find()) {
            throw new IllegalStateException("?status says " + status + ", expected " + lines + " lines");
        }
        figure("viewer-write", String.format(java.util.Locale.ROOT, "\"lines\":%d,\"bytes\":%d,\"writeSeconds\":%.2f,"
                + "\"writeMBps\":%.1f,\"indexCaughtUpSecondsAfterWrite\":%.2f", lines, bytes, writeSeconds,
                bytes / 1e6 / writeSeconds, indexSeconds), stats(new double[] {writeSeconds * 1000}), -1);
        return bytes;
    }

    private void waitForBytes(long bytes) throws Exception {
        long end = System.nanoTime() + 600_000_000_000L;
        Pattern length = Pattern.compile("\"length\":(\\d+)");
        while (System.nanoTime() < end) {
            Matcher m = length.matcher(get("/bench.log?status"));
            if (m.find() && Long.parseLong(m.group(1)) >= bytes) {
                return;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(20_000_000); // polling the server's own count
        }
        throw new IllegalStateException("the server did not store " + bytes + " bytes in 10 minutes");
    }

    private void waitFor(Pattern status) throws Exception {
        long end = System.nanoTime() + 60_000_000_000L;
        String last = "";
        while (System.nanoTime() < end) {
            last = get("/bench.log?status");
            if (status.matcher(last).find()) {
                return;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(20_000_000); // polling the server's own state
        }
        throw new IllegalStateException("?status stayed " + last + ", not " + status);
    }

    private String get(String target) throws Exception {
        URI uri = server.uri().resolve(target);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException(target + ": " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }

    private static double[] stats(List<Double> values) {
        return stats(values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** p50, p95, p99, max of {@code values} (nearest rank). */
    static double[] stats(double[] values) {
        double[] v = values.clone();
        java.util.Arrays.sort(v);
        if (v.length == 0) {
            return new double[] {Double.NaN, Double.NaN, Double.NaN, Double.NaN};
        }
        return new double[] {rank(v, 0.50), rank(v, 0.95), rank(v, 0.99), v[v.length - 1]};
    }

    private static double rank(double[] sorted, double q) {
        return sorted[Math.max(0, (int) Math.ceil(q * sorted.length) - 1)];
    }

    private void figure(String scenario, String params, double[] s, double targetMs) {
        String load = load();
        boolean met = targetMs > 0 && s[3] < targetMs;
        String line = String.format(java.util.Locale.ROOT, "{\"scenario\":\"%s\",\"params\":{%s},\"latencyMs\":{\"p50\":%s,"
                + "\"p95\":%s,\"p99\":%s,\"max\":%s},\"targetMs\":%s,\"targetMet\":%s,\"loadavg\":\"%s\"}",
                scenario, params, num(s[0]), num(s[1]), num(s[2]), num(s[3]),
                targetMs > 0 ? String.valueOf((long) targetMs) : "null",
                targetMs > 0 ? String.valueOf(met) : "null", load);
        json.add(line);
        System.out.println(line);
        System.out.flush();
        table.add(new String[] {scenario, String.format(java.util.Locale.ROOT, "p50 %.1f ms, p95 %.1f, p99 %.1f, max %.1f",
                s[0], s[1], s[2], s[3]), targetMs > 0 ? "max < " + (long) targetMs + " ms" : "-",
            targetMs > 0 ? String.valueOf(met) : "-", load});
    }

    /** A figure for JSON: one decimal; null for a missed measurement (never shown: infinite, none: NaN). */
    private static String num(double v) {
        return Double.isFinite(v) ? String.format(java.util.Locale.ROOT, "%.1f", v) : "null";
    }

    private static String load() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    private void print() throws IOException {
        StringBuilder md = new StringBuilder("\n| figure | value | target | met | load (1, 5, 15 min) |\n|---|---|---|---|---|\n");
        for (String[] row : table) {
            md.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        System.out.print(md);
        if (options.containsKey("out")) {
            Files.writeString(Path.of(options.get("out")), String.join("\n", json) + "\n", UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        }
    }

    private static String jsonErrors(List<String> errors) {
        StringBuilder b = new StringBuilder(",\"errors\":[");
        for (int i = 0; i < Math.min(errors.size(), 20); i++) {
            b.append(i > 0 ? "," : "").append('"').append(errors.get(i).replace("\\", "\\\\").replace("\"", "\\\"")
                    .replaceAll("[\\x00-\\x1f]", "?")).append('"');
        }
        return b.append("],\"errorCount\":").append(errors.size()).toString();
    }

    private static void progress(String format, Object... args) {
        System.err.printf(java.util.Locale.ROOT, "viewer-bench: " + format + "%n", args);
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
