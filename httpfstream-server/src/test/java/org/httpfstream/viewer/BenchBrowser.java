package org.httpfstream.viewer;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.httpfstream.testing.HeadlessChromium;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * ViewerBench's headless Chromium (started as the browser tests start theirs, {@link HeadlessChromium},
 * with a profile folder of its own so that its processes can be told from other Chromiums on the
 * machine): navigation with the page probe ({@code bench-probe.js}) installed before the page's own
 * scripts, and the resident memory of its renderer processes read from {@code /proc}.
 *
 * <p>Thread safety: not thread safe (one driver, one caller), except {@link #rendererMemory()}, which only
 * reads {@code /proc} and may be called from a sampling thread.
 */
final class BenchBrowser implements AutoCloseable {
    private static final String PROBE = probeSource();

    final ChromeDriver driver;
    private final String profileArgument;

    BenchBrowser(Path profile) {
        this.profileArgument = "--user-data-dir=" + profile.toAbsolutePath();
        this.driver = HeadlessChromium.start("--window-size=1100,700", "--enable-precise-memory-info",
                profileArgument);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(120));
    }

    private static String probeSource() {
        try (InputStream in = BenchBrowser.class.getResourceAsStream("bench-probe.js")) {
            return new String(in.readAllBytes(), UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Leaves the page (ends its live requests), then opens {@code url} with the probe watching for row {@code tailLine}. */
    void open(String url, long tailLine) {
        driver.get("about:blank");
        Object added = driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument",
                Map.of("source", "window.__benchTail = " + tailLine + ";\n" + PROBE)).get("identifier");
        try {
            driver.get(url);
        } finally {
            driver.executeCdpCommand("Page.removeScriptToEvaluateOnNewDocument", Map.of("identifier", added));
        }
    }

    Object js(String script, Object... args) {
        return driver.executeScript(script, args);
    }

    Object asyncJs(String script, Object... args) {
        return driver.executeAsyncScript(script, args);
    }

    double number(String script, Object... args) {
        Object v = js(script, args);
        return v == null ? Double.NaN : ((Number) v).doubleValue();
    }

    /**
     * Memory of one process, bytes, from {@code /proc/PID/status}: {@code rss} is VmRSS, everything resident
     * (its file-backed pages, such as the Chromium binary, fonts and ICU data, and shared memory, counted in
     * full although other processes map them too); {@code anon} is RssAnon, its private anonymous pages;
     * {@code swap} is VmSwap.
     */
    record Memory(long pid, long rss, long anon, long swap) {
        static final Memory NONE = new Memory(-1, -1, -1, -1);

        /**
         * The private memory footprint, what Chrome's task manager shows as a tab's "Memory footprint" (on
         * Linux: RssAnon + VmSwap): the memory that would be freed if the process went away, without the
         * file-backed and shared pages.
         */
        long footprint() {
            return anon < 0 ? -1 : anon + Math.max(0, swap);
        }
    }

    /**
     * Memory of each renderer process of this browser (processes with {@code --type=renderer} whose
     * ancestors include the browser process started with this profile), largest resident first.
     */
    List<Memory> rendererMemory() {
        long browserPid = -1;
        List<long[]> renderers = new ArrayList<>(); // pid, rss, anon, swap
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                String cmd = cmdline(p);
                if (cmd.contains(profileArgument) && !cmd.contains("--type=")) {
                    browserPid = Long.parseLong(p.getFileName().toString());
                } else if (cmd.contains("--type=renderer")) {
                    Map<String, Long> f = fields(p, "VmRSS:", "RssAnon:", "VmSwap:");
                    renderers.add(new long[] {Long.parseLong(p.getFileName().toString()), f.get("VmRSS:") * 1024,
                        f.get("RssAnon:") * 1024, f.get("VmSwap:") * 1024});
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        List<Memory> out = new ArrayList<>();
        for (long[] r : renderers) {
            if (browserPid > 0 && descends(r[0], browserPid) && r[1] > 0) {
                out.add(new Memory(r[0], r[1], r[2], r[3]));
            }
        }
        out.sort((a, b) -> Long.compare(b.rss(), a.rss()));
        return out;
    }

    private static String cmdline(Path proc) {
        try {
            return new String(Files.readAllBytes(proc.resolve("cmdline")), UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return ""; // gone meanwhile
        }
    }

    /** The kB figures {@code names} of {@code /proc/PID/status} (-1 for one missing), read in one go. */
    private static Map<String, Long> fields(Path proc, String... names) {
        Map<String, Long> out = new java.util.HashMap<>();
        for (String n : names) {
            out.put(n, -1L);
        }
        try {
            for (String line : Files.readAllLines(proc.resolve("status"))) {
                for (String n : names) {
                    if (line.startsWith(n)) {
                        out.put(n, Long.parseLong(line.substring(n.length()).trim().split("\\s+")[0]));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return out; // gone meanwhile
        }
        return out;
    }

    private static long field(Path proc, String name) {
        try {
            for (String line : Files.readAllLines(proc.resolve("status"))) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private static boolean descends(long pid, long ancestor) {
        for (int depth = 0; depth < 10 && pid > 1; depth++) {
            pid = field(Path.of("/proc", Long.toString(pid)), "PPid:");
            if (pid == ancestor) {
                return true;
            }
        }
        return false;
    }

    /**
     * Chromium's own account of process {@code pid}'s memory (its memory-infra dump, as chrome://tracing
     * shows it): for each allocator with no "/" in its name (v8, blink_gc, partition_alloc, malloc, cc,
     * skia, font_caches, ...) its effective size in bytes, plus "process_totals/..." figures. Asked over the
     * browser's DevTools WebSocket (its port is in the profile's DevToolsActivePort), because a trace's data
     * arrives as events, which WebDriver's CDP bridge does not pass on. A diagnostic: empty if it fails.
     */
    Map<String, Long> allocatorSizes(long pid) {
        try {
            List<String> port = Files.readAllLines(Path.of(profileArgument.substring("--user-data-dir=".length()),
                    "DevToolsActivePort"));
            return new DevToolsTrace(java.net.URI.create("ws://127.0.0.1:" + port.get(0).trim() + port.get(1).trim()))
                    .memoryDump(pid);
        } catch (IOException | RuntimeException e) {
            return Map.of("error", -1L);
        }
    }

    @Override
    public void close() {
        driver.quit();
    }
}
