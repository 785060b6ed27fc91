package org.httpfstream.viewer;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The tab's memory over one phase of ViewerBench (the tail's navigations, the jumps, the scroll, the live
 * writer), three kinds side by side because they answer different questions:
 * <ul>
 *   <li><b>VmRSS</b> of the tab's renderer: every page resident in it, the file-backed pages of the
 *       Chromium binary, fonts and ICU data and the shared memory included (counted in full, although the
 *       browser's other processes map the same pages);
 *   <li><b>private footprint</b>, RssAnon + VmSwap: what Chrome's own task manager shows as the tab's
 *       "Memory footprint", the memory only this process holds;
 *   <li><b>JS heap</b>: V8's {@code usedJSHeapSize} and {@code totalJSHeapSize} ({@code performance.memory},
 *       precise with {@code --enable-precise-memory-info}), the largest seen at an animation frame, and at the
 *       phase's end CDP {@code Runtime.getHeapUsage}, which also gives Blink's garbage-collected heap
 *       (Oilpan: DOM and layout objects) as {@code embedderHeapUsedSize}.
 * </ul>
 * The tab is the renderer with the largest VmRSS at each sample (Chromium keeps a few spare ones, which
 * the all-renderers sums include). /proc is read every 100 ms by a thread of its own, so a peak shorter
 * than that can be missed; the JS heap is read in the page (bench-probe.js) at every frame.
 *
 * <p>Thread safety: {@link #start}, {@link #pageCheckpoint} and {@link #stop} are called by the
 * benchmark's thread; the sampler thread writes only the atomic maxima.
 */
final class PhaseMemory {
    private final BenchBrowser browser;
    final String phase;
    private final AtomicLong rssMax = new AtomicLong(-1); // written by the sampler
    private final AtomicLong footprintMax = new AtomicLong(-1); // written by the sampler
    private final AtomicLong allRssMax = new AtomicLong(-1); // written by the sampler
    private final AtomicLong allFootprintMax = new AtomicLong(-1); // written by the sampler
    private final Thread sampler;
    private double heapUsedMax = -1; // benchmark thread only
    private double heapTotalMax = -1; // benchmark thread only

    private PhaseMemory(BenchBrowser browser, String phase) {
        this.browser = browser;
        this.phase = phase;
        this.sampler = new Thread(this::sample, "memory-" + phase);
        sampler.setDaemon(true);
    }

    /** Starts sampling; also restarts the page's own JS heap maxima. */
    static PhaseMemory start(BenchBrowser browser, String phase) {
        PhaseMemory m = new PhaseMemory(browser, phase);
        browser.js("if (window.__bench) { window.__bench.heapUsedMax = 0; window.__bench.heapTotalMax = 0; }");
        m.sampler.start();
        return m;
    }

    private void sample() {
        while (!Thread.currentThread().isInterrupted()) {
            List<BenchBrowser.Memory> m = browser.rendererMemory();
            if (!m.isEmpty()) {
                rssMax.accumulateAndGet(m.get(0).rss(), Math::max);
                footprintMax.accumulateAndGet(m.get(0).footprint(), Math::max);
                allRssMax.accumulateAndGet(m.stream().mapToLong(BenchBrowser.Memory::rss).sum(), Math::max);
                allFootprintMax.accumulateAndGet(m.stream().mapToLong(BenchBrowser.Memory::footprint).sum(), Math::max);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // a sampling period, not a wait
        }
    }

    /** Takes the current page's JS heap maxima into the phase's (a navigation would start them again). */
    void pageCheckpoint() {
        @SuppressWarnings("unchecked")
        Map<String, Object> h = (Map<String, Object>) browser.js("const b = window.__bench;"
                + " return b ? {used: b.heapUsedMax || 0, total: b.heapTotalMax || 0} : {used: 0, total: 0};");
        heapUsedMax = Math.max(heapUsedMax, ((Number) h.get("used")).doubleValue());
        heapTotalMax = Math.max(heapTotalMax, ((Number) h.get("total")).doubleValue());
    }

    /** Stops sampling and returns the phase's figures. */
    Result stop() throws InterruptedException {
        pageCheckpoint();
        sampler.interrupt();
        sampler.join();
        Map<String, Object> cdp = browser.driver.executeCdpCommand("Runtime.getHeapUsage", Map.of());
        return new Result(phase, rssMax.get(), footprintMax.get(), allRssMax.get(), allFootprintMax.get(), heapUsedMax,
                heapTotalMax, number(cdp.get("usedSize")), number(cdp.get("totalSize")),
                number(cdp.get("embedderHeapUsedSize")));
    }

    private static double number(Object o) {
        return o instanceof Number n ? n.doubleValue() : -1;
    }

    /** One phase's figures, bytes (-1: not measured). */
    record Result(String phase, long rssMax, long footprintMax, long allRssMax, long allFootprintMax,
            double heapUsedMax, double heapTotalMax, double heapUsedEnd, double heapTotalEnd, double blinkHeapUsedEnd) {

        String json() {
            return String.format(Locale.ROOT, "\"memory\":{\"phase\":\"%s\",\"tabVmRssMaxBytes\":%d,"
                    + "\"tabPrivateFootprintMaxBytes\":%d,\"allRenderersVmRssMaxBytes\":%d,"
                    + "\"allRenderersPrivateFootprintMaxBytes\":%d,\"jsHeapUsedMaxBytes\":%.0f,\"jsHeapTotalMaxBytes\":%.0f,"
                    + "\"jsHeapUsedEndBytes\":%.0f,\"jsHeapTotalEndBytes\":%.0f,\"blinkHeapUsedEndBytes\":%.0f}",
                    phase, rssMax, footprintMax, allRssMax, allFootprintMax, heapUsedMax, heapTotalMax, heapUsedEnd,
                    heapTotalEnd, blinkHeapUsedEnd);
        }

        String text() {
            return String.format(Locale.ROOT, "tab VmRSS max %.0f MB; private footprint (RssAnon+VmSwap) max %.0f MB;"
                    + " JS heap used max %.1f MB (total %.1f MB); at the end: JS heap used %.1f MB, Blink heap %.1f MB",
                    rssMax / 1e6, footprintMax / 1e6, heapUsedMax / 1e6, heapTotalMax / 1e6, heapUsedEnd / 1e6,
                    blinkHeapUsedEnd / 1e6);
        }
    }
}
