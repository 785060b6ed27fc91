package org.httpfstream.viewer;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.httpfstream.server.RawWebSocket;

/**
 * The four measurements of the viewer benchmark, each in the page of a {@link BenchBrowser}: the tail
 * shown after a navigation, jumps to lines, a scroll through the whole log, and a live writer.
 * Timing happens in the page (performance.now(), whose origin is the navigation's start), so the
 * WebDriver round trips are not in the figures; Java only polls for the page's own records.
 *
 * <p>Thread safety: not thread safe; one benchmark thread drives it (the memory sampler of a
 * {@link PhaseMemory} reads only {@code /proc}).
 */
final class BenchScenarios {
    private static final String JUMP = """
            const [n, done] = arguments;
            const log = document.getElementById('log');
            const t0 = performance.now();
            const found = () => {
              const r = document.querySelector(`#log .row[data-n="${n}"]:not(.pending)`);
              if (!r) return null;
              const a = r.getBoundingClientRect(), b = log.getBoundingClientRect();
              return a.bottom > b.top && a.top < b.bottom ? r : null;
            };
            let timer = 0;
            const mo = new MutationObserver(() => { const r = found(); if (r) finish(r); });
            const finish = (r) => {
              mo.disconnect(); clearTimeout(timer);
              const v = window.httpfstreamViewer.view, rows = document.querySelectorAll('#log .row');
              const state = r ? '' : JSON.stringify({ pending: v.pending, top: v.topLine, follow: v.follow,
                rows: rows.length ? [rows[0].dataset.n, rows[rows.length - 1].dataset.n] : [], hidden: v.ranges.slice(0, 8),
                scrollTop: log.scrollTop, height: log.scrollHeight, total: v.store.total });
              done({ ms: r ? performance.now() - t0 : -1, text: r ? r.textContent : '', state });
            };
            mo.observe(log, { subtree: true, childList: true, attributes: true });
            timer = setTimeout(() => finish(found()), 10000);
            location.hash = `#L${n}`;
            """;
    private static final String SCROLL = """
            const [from, to, steps, pause, done] = arguments;
            const log = document.getElementById('log');
            const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
            const pending = () => document.querySelector('#log .row.pending') !== null;
            const out = { ms: [], stuck: 0, lastRow: 0, firstRow: 0 };
            (async () => {
              for (let i = from; i < to; i++) {
                const t0 = performance.now();
                log.scrollTop = Math.round(i / (steps - 1) * (log.scrollHeight - log.clientHeight));
                await frame(); await frame();
                while (pending() && performance.now() - t0 < 10000) await frame();
                if (pending()) out.stuck++;
                out.ms.push(performance.now() - t0);
                const rows = document.querySelectorAll('#log .row');
                if (rows.length) { out.firstRow = Number(rows[0].dataset.n); out.lastRow = Number(rows[rows.length - 1].dataset.n); }
                if (pause > 0) await new Promise((r) => setTimeout(r, pause)); // a reader's pause, not in ms
              }
              done(out);
            })();
            """;

    private final BenchBrowser browser;

    BenchScenarios(BenchBrowser browser) {
        this.browser = browser;
    }

    /** Starts watching the tab's memory for {@code phase}. */
    PhaseMemory watch(String phase) {
        return PhaseMemory.start(browser, phase);
    }

    /** Opens {@code url} and returns ms from the navigation's start until row {@code last} is in the DOM, or -1. */
    Map<String, Object> tail(String url, long last, long deadlineMs) {
        browser.open(url, last);
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(deadlineMs);
        double at = -1;
        while (System.nanoTime() < end) {
            at = browser.number("return window.__bench ? window.__bench.tailAt : -1;");
            if (at >= 0) {
                break;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // polling the page's own record
        }
        String text = String.valueOf(browser.js("return window.__bench ? window.__bench.tailText : '';"));
        double html = browser.number("const e = performance.getEntriesByType('navigation')[0]; return e ? e.responseEnd : -1;");
        double dcl = browser.number("const e = performance.getEntriesByType('navigation')[0];"
                + " return e ? e.domContentLoadedEventEnd : -1;");
        boolean ok = at >= 0 && (!BenchLog.isPlain(last) || text.endsWith("#" + last));
        return Map.of("ms", at, "htmlMs", html, "domContentLoadedMs", dcl, "verified", ok);
    }

    /** {@code count} jumps by hash change to random lines of 1..lines; ms per jump (-1: not shown in 10 s). */
    double[] jumps(long lines, int count, long seed, List<String> errors) {
        Random random = new Random(seed);
        double[] ms = new double[count];
        for (int i = 0; i < count; i++) {
            long n = 1 + (long) (random.nextDouble() * lines);
            @SuppressWarnings("unchecked")
            Map<String, Object> r = (Map<String, Object>) browser.asyncJs(JUMP, n);
            ms[i] = ((Number) r.get("ms")).doubleValue();
            if (ms[i] < 0) {
                ms[i] = Double.POSITIVE_INFINITY; // a jump that never showed its line counts as missed
            }
            String text = String.valueOf(r.get("text"));
            if (Double.isInfinite(ms[i])) {
                errors.add("jump to line " + n + ": not shown within 10 s; " + r.get("state"));
            } else if (BenchLog.isPlain(n) && !text.endsWith("#" + n)) {
                errors.add("jump to line " + n + ": the row shows " + text.substring(Math.max(0, text.length() - 40)));
            }
        }
        return ms;
    }

    /** The scroll from top to bottom in {@code steps} steps, the tab's memory sampled meanwhile ({@link PhaseMemory}). */
    ScrollResult scroll(int steps, int pauseMs, boolean dump, List<String> errors) throws InterruptedException {
        PhaseMemory watch = PhaseMemory.start(browser, "scroll");
        List<Double> ms = new ArrayList<>();
        long lastRow = 0;
        PhaseMemory.Result memory;
        try {
            for (int from = 0; from < steps; from += 50) {
                @SuppressWarnings("unchecked")
                Map<String, Object> r = (Map<String, Object>) browser.asyncJs(SCROLL, from, Math.min(steps, from + 50), steps,
                        pauseMs);
                for (Object o : (List<?>) r.get("ms")) {
                    ms.add(((Number) o).doubleValue());
                }
                lastRow = ((Number) r.get("lastRow")).longValue();
                long stuck = ((Number) r.get("stuck")).longValue();
                if (stuck > 0) {
                    errors.add("scroll steps " + from + "..: " + stuck + " still had rows without text after 10 s");
                }
            }
        } finally {
            memory = watch.stop();
        }
        List<BenchBrowser.Memory> end = browser.rendererMemory();
        Map<String, Long> allocators = dump && !end.isEmpty() ? browser.allocatorSizes(end.get(0).pid()) : Map.of();
        browser.driver.executeCdpCommand("HeapProfiler.collectGarbage", Map.of());
        BenchBrowser.Memory afterGc = settledMemory();
        long rows = (long) browser.number("return document.querySelectorAll('#log .row').length;");
        return new ScrollResult(ms.stream().mapToDouble(Double::doubleValue).toArray(), memory,
                end.isEmpty() ? BenchBrowser.Memory.NONE : end.get(0), afterGc, allocators, lastRow, rows, end.size());
    }

    /** The largest renderer's memory, the most of ten samples over a second after a page settled. */
    BenchBrowser.Memory settledMemory() {
        BenchBrowser.Memory most = BenchBrowser.Memory.NONE;
        for (int i = 0; i < 10; i++) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // a sampling period, not a wait
            List<BenchBrowser.Memory> m = browser.rendererMemory();
            if (!m.isEmpty() && m.get(0).rss() > most.rss()) {
                most = m.get(0);
            }
        }
        return most;
    }

    /** The scroll's step times; the tab's memory over the scroll, at its end and after a forced GC. */
    record ScrollResult(double[] stepMs, PhaseMemory.Result memory, BenchBrowser.Memory end, BenchBrowser.Memory afterGc,
            Map<String, Long> allocatorsEnd, long lastRow, long domRows, int renderers) {}

    /**
     * Appends {@code rate} lines a second for {@code seconds} to {@code ws} (lines first..; the page must
     * be following the same stream), 100 batches a second, and returns each batch's write time (epoch ms)
     * and the page's samples of the last whole row it showed.
     */
    LiveResult live(RawWebSocket ws, long first, int rate, int seconds, java.nio.file.Path profile) throws IOException {
        if (profile != null) {
            browser.driver.executeCdpCommand("Profiler.enable", Map.of());
            browser.driver.executeCdpCommand("Profiler.setSamplingInterval", Map.of("interval", 200));
            browser.driver.executeCdpCommand("Profiler.start", Map.of());
        }
        browser.js("const b = window.__bench; b.samples = []; b.longTasks = b.longTasks && [];"
                + " b.maxGap = 0; b.lastFrame = 0; b.frames = 0; b.live = true;");
        int perBatch = Math.max(1, rate / 100);
        int batches = seconds * 100;
        double[] written = new double[batches];
        long start = System.nanoTime();
        long n = first;
        for (int k = 0; k < batches; k++) {
            LockSupport.parkNanos(start + k * 10_000_000L - System.nanoTime()); // the writer's pace
            byte[] batch = liveLines(n, perBatch);
            n += perBatch;
            written[k] = epochMs();
            ws.send(RawWebSocket.BINARY, batch);
        }
        double writeSeconds = (System.nanoTime() - start) / 1e9;
        long last = n - 1;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < end && browser.number(
                "const s = window.__bench.samples; return s.length ? s[s.length - 1][1] : 0;") < last) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // polling the page's own record
        }
        browser.js("window.__bench.live = false;");
        if (profile != null) {
            Object cpu = browser.driver.executeCdpCommand("Profiler.stop", Map.of()).get("profile");
            java.nio.file.Files.writeString(profile, new org.openqa.selenium.json.Json().toJson(cpu));
        }
        List<?> samples = (List<?>) browser.js("return window.__bench.samples;");
        double maxGap = browser.number("return window.__bench.maxGap;");
        double frames = browser.number("return window.__bench.frames;");
        List<?> tasks = (List<?>) browser.js("return window.__bench.longTasks;");
        return new LiveResult(first, perBatch, written, writeSeconds, samples, maxGap, frames, tasks);
    }

    private static double epochMs() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1000.0 + now.getNano() / 1e6;
    }

    /** {@code count} live lines from line {@code first}. */
    static byte[] liveLines(long first, int count) {
        StringBuilder b = new StringBuilder(count * 120);
        for (long n = first; n < first + count; n++) {
            liveLine(n, b);
        }
        return b.toString().getBytes(UTF_8);
    }

    /** A live line: starts with the time it is written (RFC 3339, microseconds), coloured like the rest. */
    private static void liveLine(long n, StringBuilder out) {
        out.append(Instant.now()).append(' ').append(BenchLog.ESC).append("[32mINFO ").append(BenchLog.ESC)
                .append("[0m [").append(BenchLog.ESC).append("[38;5;").append(17 + n % 200).append("mlive-")
                .append(n % 8).append(BenchLog.ESC).append("[39m] streamed output of the running job, item ")
                .append(n % 1000).append(" #").append(n).append('\n');
    }

    /** What {@link #live} saw; {@link #lagsMs()} turns it into one lag per line. */
    record LiveResult(long first, int perBatch, double[] written, double writeSeconds, List<?> samples,
            double maxGapMs, double frames, List<?> longTasks) {

        /**
         * For every line written: from its write to the first page sample that shows it or a later line
         * (the page renders only the rows on screen, so a line passed over counts as shown when a later
         * one is). NaN for a line never shown.
         */
        double[] lagsMs() {
            double[] lags = new double[written.length * perBatch];
            int s = 0;
            long shown = 0;
            double shownAt = Double.NaN;
            for (int i = 0; i < lags.length; i++) {
                long line = first + i;
                while (shown < line && s < samples.size()) {
                    List<?> sample = (List<?>) samples.get(s++);
                    long n = ((Number) sample.get(1)).longValue();
                    if (n > shown) {
                        shown = n;
                        shownAt = ((Number) sample.get(0)).doubleValue();
                    }
                }
                lags[i] = shown >= line ? shownAt - written[i / perBatch] : Double.NaN;
            }
            return lags;
        }

        double longestTaskMs() {
            double max = 0;
            if (longTasks != null) {
                for (Object o : longTasks) {
                    max = Math.max(max, ((Number) ((List<?>) o).get(1)).doubleValue());
                }
            }
            return max;
        }
    }
}
