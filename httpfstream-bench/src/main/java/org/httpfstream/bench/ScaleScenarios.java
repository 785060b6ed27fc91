package org.httpfstream.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The scenarios of the next scale on one node (issue 16): {@code followers-100k}, many idle followers
 * on live streams (server memory per follower, then fan-out latency with them connected), and {@code
 * streams-1m}, many small streams (append latency, memory, restart time and disk per stream as their
 * number grows).
 *
 * <p>Thread safety: not thread safe; one scenario at a time, on the bench's thread (the connections run
 * on the {@link LoadClient}'s event loops, the Durable Streams set-up on the JDK HTTP client's threads).
 */
final class ScaleScenarios {
    /** Connections opened at once while connecting the ?follow followers (as {@code --max-pending-connects}). */
    private static final int H2_BATCH = 256;
    /** WebSocket streams created at once in streams-1m. */
    private static final int WS_BATCH = 1024;
    /** Durable Streams requests in flight at once in streams-1m. */
    private static final int DS_IN_FLIGHT = 64;
    /** Appends of the latency probe of streams-1m, one at a time. */
    private static final int PROBE_APPENDS = 500;
    /** Streams per folder in streams-1m. */
    private static final int PER_FOLDER = 1000;
    private static final long POLL_MS = 5;
    /** Lines of the server's heap histogram written to the log by streams-1m. */
    private static final int HISTOGRAM_LINES = 25;

    private final Bench bench;
    private final WsScenarios ws;
    /** streams-1m: the append p99 (ns) measured at the first thousand streams, or -1. */
    private long firstP99 = -1;

    ScaleScenarios(Bench bench, WsScenarios ws) {
        this.bench = bench;
        this.ws = ws;
    }

    // ------------------------------------------------------------ followers-100k

    /**
     * followers-100k: {@code scaleStreams} live streams, each with an appender that sent one message and
     * waits; then {@code scaleFollowers} idle followers, half FOLLOW WebSockets and half {@code ?follow}
     * GETs over h2c (one per connection: the load generator's HTTP/1.1 reader has no chunked bodies), spread
     * over the streams; server RSS after a full GC before and after gives the bytes per follower. With them
     * connected, the fanout-latency scenario runs as configured; its result is emitted after this one.
     */
    void followers(Target t) throws Exception {
        int n = bench.o.scaleFollowers;
        int streams = Math.min(bench.o.scaleStreams, n);
        int wsCount = n / 2;
        int h2Count = n - wsCount;
        Result r = new Result("followers-100k", t.label()).param("followers", n).param("streams", streams)
                .param("websocket", wsCount).param("h2cFollow", h2Count);
        Result latency;
        try (LoadClient c = bench.client(t); Payload p = new Payload(100, false); H2Connections h2 = new H2Connections(c)) {
            ScenarioRun run = new ScenarioRun(c, bench.deadline(), bench.log);
            Cohort appenders = run.cohort("appender", streams);
            List<Appender> as = run.open(appenders,
                    i -> new Appender(appenders, i, bench.path("followers-100k", i), p, 1, 0, 0, false, null));
            for (Appender a : as) {
                a.start(); // one message each, then idle until end()
            }
            ProcStats s = t.stats();
            boolean gc = s != null && s.gc(60);
            long rssBefore = s == null ? -1 : s.rssBytes();
            Meter m = new Meter(t, c);
            long start = System.nanoTime();
            Cohort wsFollowers = run.cohort("websocket follower", wsCount);
            List<Follower> fs = run.open(wsFollowers, i -> new Follower(wsFollowers, i,
                    bench.path("followers-100k", i % streams), true, false, false, null));
            Cohort h2Followers = run.cohort("h2c ?follow follower", h2Count);
            List<H2Follower> hs = new ArrayList<>();
            for (int i = 0; i < h2Count; i++) {
                hs.add(new H2Follower(h2Followers, i, bench.path("followers-100k", i % streams) + "?follow"));
            }
            openInBatches(h2, h2Followers, hs, run.deadline());
            run.awaitOpened(h2Followers);
            r.seconds = (System.nanoTime() - start) / 1e9; // time to connect them all
            if (s != null) {
                gc &= s.gc(60);
            }
            m.stop(r);
            r.serverRssBefore = rssBefore;
            r.serverRssAfter = s == null ? -1 : s.rssBytes();
            r.connections = n + streams;
            if (r.serverRssBefore > 0 && r.serverRssAfter > 0) {
                r.perConnectionBytes = Math.max(0, (r.serverRssAfter - r.serverRssBefore) / n);
            }
            r.targetNote = (gc ? "RSS after a full GC (jcmd GC.run) before and after connecting"
                    : "RSS as is (no GC could be requested)") + "; connect time is the seconds";
            bench.log.println("bench: " + n + " followers connected in " + String.format(Locale.ROOT, "%.1f", r.seconds)
                    + " s; fanout-latency with them connected");
            latency = ws.fanoutLatency(t);
            latency.param("idleFollowersConnected", n);
            latency.target = "p99 ≤ 20 ms with " + n + " idle followers connected";
            for (Appender a : as) {
                a.end();
            }
            run.await(appenders);
            run.await(wsFollowers, fs);
            run.await(h2Followers);
            run.check(appenders.errorCount() == 0);
            for (int i = 0; i < wsCount; i++) {
                run.check(fs.get(i), 101, as.get(i % streams));
            }
            for (int i = 0; i < h2Count; i++) {
                run.check(hs.get(i), 200, as.get(i % streams));
            }
            run.logUnfinished(hs);
            run.finish(r);
        }
        r.target = "≤ 4 KiB server memory per follower";
        r.targetMet = r.perConnectionBytes < 0 ? null : r.verified && r.perConnectionBytes <= 4 * 1024;
        bench.emit(r);
        bench.emit(latency);
    }

    /**
     * Opens {@code readers} one per connection, at most {@value #H2_BATCH} connecting at once (the
     * server's listen backlog is finite); polls the cohort's count of open connections.
     */
    private static void openInBatches(H2Connections h2, Cohort cohort, List<H2Follower> readers, long deadline)
            throws InterruptedException {
        for (int from = 0; from < readers.size(); from += H2_BATCH) {
            int to = Math.min(readers.size(), from + H2_BATCH);
            h2.open(readers.subList(from, to), 1);
            // Opened or failed: size - pendingOpen. Let one batch be in flight.
            while (cohort.size() - cohort.pendingOpen() < from && System.nanoTime() - deadline < 0) {
                Thread.sleep(POLL_MS); // a polling interval, not a wait for one event
            }
        }
    }

    // ------------------------------------------------------------ streams-1m

    /**
     * streams-1m: creates {@code scaleStreamCount} small streams, {@value #PER_FOLDER} to a folder, even ones
     * by a WebSocket APPEND of one 100-byte message, odd ones by Durable Streams (PUT, then one POST as an
     * idempotent producer). At the {@code min(1000, N)}th stream and at the Nth it measures: the latency of
     * {@value #PROBE_APPENDS} producer appends, one at a time, to the newest Durable Streams stream; the
     * server's RSS after a full GC; the disk bytes and inodes of the server's root per stream ({@code du}).
     * Then it restarts the server and times start-up to the first answered read of the last stream.
     *
     * @return the server to go on with (restarted if the benchmark started it)
     */
    Target streams(Target t) throws Exception {
        int n = bench.o.scaleStreamCount;
        int first = Math.min(1000, n);
        firstP99 = -1;
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(30)).build();
        List<String> errors = new ArrayList<>();
        long start = System.nanoTime();
        create(t, http, 0, first, errors);
        emitStreamsResult(t, http, first, (System.nanoTime() - start) / 1e9, errors);
        if (n > first) {
            start = System.nanoTime();
            create(t, http, first, n, errors);
            emitStreamsResult(t, http, n, (System.nanoTime() - start) / 1e9, errors);
        }
        if (!t.launched()) {
            return t;
        }
        Result restart = new Result("streams-1m restart", t.label()).param("streams", n);
        t.close();
        long t0 = System.nanoTime();
        Target again = t.relaunch();
        long listening = System.nanoTime();
        HttpResponse<String> got = send(http, again, "GET", path(n - 1), null, null);
        long served = System.nanoTime();
        restart.seconds = (served - t0) / 1e9;
        restart.param("listeningSeconds", Math.round((listening - t0) / 1e6) / 1e3);
        restart.param("firstReadStatus", got.statusCode());
        if (got.statusCode() != 200) {
            restart.errors.add("GET of the last stream after the restart: " + got.statusCode());
        }
        ProcStats s = again.stats();
        restart.serverRssAfter = s == null ? -1 : s.rssBytes();
        restart.target = "start-up to serving ≤ 10 s";
        restart.targetNote = "seconds from starting the JVM to the first answered read of the last stream";
        restart.verified = restart.errors.isEmpty();
        restart.targetMet = restart.verified && restart.seconds <= 10;
        bench.emit(restart);
        return again;
    }

    /** The request path of stream {@code i}. */
    private String path(int i) {
        return bench.path("streams-1m/" + i / PER_FOLDER, i);
    }

    /** Creates streams {@code [from, to)}; errors (the first few) go to {@code errors}. */
    private void create(Target t, HttpClient http, int from, int to, List<String> errors) throws Exception {
        ConcurrentLinkedQueue<String> dsErrors = new ConcurrentLinkedQueue<>();
        Semaphore inFlight = new Semaphore(DS_IN_FLIGHT);
        List<CompletableFuture<?>> pending = new ArrayList<>();
        try (LoadClient c = bench.client(t); Payload p = new Payload(100, false)) {
            for (int batch = from; batch < to; batch += WS_BATCH) {
                int end = Math.min(to, batch + WS_BATCH);
                // Durable Streams half of the batch: asynchronous, at most DS_IN_FLIGHT at once.
                for (int i = batch | 1; i < end; i += 2) {
                    inFlight.acquire();
                    pending.add(createDs(http, t, i, dsErrors).whenComplete((v, e) -> inFlight.release()));
                }
                // WebSocket half: one connection each, one message, Close.
                ScenarioRun run = new ScenarioRun(c, bench.deadline(), bench.log);
                int base = batch + (batch & 1);
                int evens = Math.max(0, (end - base + 1) / 2);
                if (evens > 0) {
                    Cohort appenders = run.cohort("appender", evens);
                    List<Appender> as = run.open(appenders,
                            k -> new Appender(appenders, k, path(base + 2 * k), p, 1, 0, 0, true, null));
                    as.forEach(Appender::start);
                    run.await(appenders);
                    if (appenders.errorCount() > 0 && errors.size() < 10) {
                        errors.addAll(appenders.errors().subList(0, Math.min(3, appenders.errors().size())));
                    }
                }
                pending.removeIf(CompletableFuture::isDone);
                if ((batch / WS_BATCH) % 10 == 0) {
                    bench.log.println("bench: streams-1m: " + end + " of " + to + " streams");
                }
            }
        }
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
        for (String e : dsErrors) {
            if (errors.size() < 10) {
                errors.add(e);
            }
        }
    }

    /** PUT, then the first producer append, of Durable Streams stream {@code i}. */
    private CompletableFuture<Void> createDs(HttpClient http, Target t, int i, ConcurrentLinkedQueue<String> errors) {
        String path = path(i);
        return sendAsync(http, t, "PUT", path, "", null).thenCompose(put -> {
            if (put.statusCode() != 201 && put.statusCode() != 200) {
                errors.add("PUT " + path + ": " + put.statusCode());
                return CompletableFuture.completedFuture(null);
            }
            return sendAsync(http, t, "POST", path, "stream " + i + " first append\n", 0L).thenAccept(post -> {
                if (post.statusCode() != 200 && post.statusCode() != 204) {
                    errors.add("POST " + path + ": " + post.statusCode());
                }
            });
        }).exceptionally(e -> {
            errors.add(path + ": " + e);
            return null;
        });
    }

    /** Measures at {@code k} streams and emits the result. */
    private void emitStreamsResult(Target t, HttpClient http, int k, double createSeconds, List<String> errors)
            throws Exception {
        Result r = new Result("streams-1m", t.label()).param("streams", k);
        r.seconds = createSeconds;
        r.errors.addAll(errors);
        int probe = (k - 1) | 1; // the newest Durable Streams stream
        if (probe >= k) {
            probe -= 2;
        }
        Histogram latency = new Histogram();
        String path = path(probe);
        for (int seq = 1; seq <= PROBE_APPENDS; seq++) {
            long t0 = System.nanoTime();
            HttpResponse<String> resp = send(http, t, "POST", path, "probe append " + seq + "\n", (long) seq);
            latency.record(System.nanoTime() - t0);
            if (resp.statusCode() != 200 && resp.statusCode() != 204) {
                r.errors.add("probe POST " + path + ": " + resp.statusCode());
                break;
            }
        }
        r.latency = latency;
        ProcStats s = t.stats();
        if (s != null) {
            s.gc(60);
            r.serverRssAfter = s.rssBytes();
            r.serverRssBefore = r.serverRssAfter; // one figure: after a full GC, with k streams
            r.param("rssAfterGcMiB", r.serverRssAfter >> 20);
        }
        logHeapHistogram(t, k);
        long p99 = latency.percentile(99);
        if (firstP99 < 0 || k <= 1000) {
            firstP99 = p99;
        } else {
            r.param("p99VsFirstThousand", Math.round(100.0 * p99 / firstP99) / 100.0);
            r.targetMet = r.errors.isEmpty() && p99 <= 2 * firstP99
                    && (r.serverRssAfter < 0 || r.serverRssAfter <= 1L << 30);
        }
        Path root = t.root();
        if (root != null) {
            long bytes = du(root, "-B1");
            long inodes = du(root, "--inodes");
            r.param("diskBytesPerStream", bytes / k);
            r.param("inodesPerStream", Math.round(100.0 * inodes / k) / 100.0);
        }
        r.param("createSeconds", Math.round(createSeconds * 10) / 10.0);
        r.target = "append p99 at the millionth ≤ 2 × at the thousandth; RSS ≤ 1 GiB";
        r.targetNote = "latency: " + PROBE_APPENDS + " producer appends, one at a time (JDK HTTP client), to stream "
                + probe + "; seconds: to create these streams; RSS after a full GC";
        r.verified = r.errors.isEmpty();
        bench.emit(r);
    }

    /**
     * Writes the top of the server's heap histogram ({@code jcmd PID GC.class_histogram}, after a full GC)
     * to the log: what the server keeps per stream. Nothing if the server is no JVM the bench knows.
     */
    private void logHeapHistogram(Target t, int k) throws InterruptedException {
        ProcStats s = t.stats();
        if (s == null || !t.launched()) {
            return;
        }
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(s.pid()), "GC.class_histogram")
                    .redirectErrorStream(true).start();
            List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                    .limit(HISTOGRAM_LINES).toList();
            p.waitFor(60, TimeUnit.SECONDS);
            bench.log.println("bench: streams-1m: server heap at " + k + " streams (top classes):");
            lines.forEach(l -> bench.log.println("bench:   " + l));
        } catch (IOException e) {
            bench.log.println("bench: streams-1m: no heap histogram: " + e.getMessage());
        }
    }

    /** {@code du -s OPTION root}'s figure. */
    private static long du(Path root, String option) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("du", "-s", option, root.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException("du " + option + " " + root + ": " + out);
        }
        return Long.parseLong(out.split("\\s+")[0]);
    }

    private HttpRequest request(Target t, String method, String path, String body, Long producerSeq) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(t.base().resolve(path.substring(1)).toString()))
                .timeout(Duration.ofSeconds(60));
        if (bench.o.token != null) {
            b.header("Authorization", "Bearer " + bench.o.token);
        }
        if (producerSeq != null) {
            b.header("Producer-Id", "bench").header("Producer-Epoch", "0").header("Producer-Seq", producerSeq.toString());
        }
        if (body == null) {
            return b.method(method, HttpRequest.BodyPublishers.noBody()).build();
        }
        return b.header("Content-Type", "text/plain").method(method, HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private CompletableFuture<HttpResponse<String>> sendAsync(HttpClient http, Target t, String method, String path,
            String body, Long producerSeq) {
        return http.sendAsync(request(t, method, path, body, producerSeq), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> send(HttpClient http, Target t, String method, String path, String body,
            Long producerSeq) throws IOException, InterruptedException {
        return http.send(request(t, method, path, body, producerSeq), HttpResponse.BodyHandlers.ofString());
    }
}
