package org.httpfstream.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLongArray;
import org.httpfstream.json.Json;

/**
 * Runs the benchmark suite: for each server under test, each chosen scenario with the same load, and
 * the physical limits it is compared with; prints one JSON object per result as soon as it is known
 * and a Markdown table at the end.
 *
 * <p>Not thread safe: one run per instance, on one thread (the load itself runs on the {@link
 * LoadClient}'s event loops).
 */
public final class Bench {
    private static final double LATENCY_TARGET_MS = 20;
    private static final long SETTLE_INTERVAL_MS = 250;
    private static final long SETTLE_TIMEOUT_S = 30;
    /** Run numbers of the warm-up's append runs (their streams' names), apart from the measured ones. */
    private static final int WARM_UP_RUNS = 1000;

    private final BenchOptions o;
    private final PrintStream out;
    private final PrintStream log;
    private final String runId = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
            + "-" + ProcessHandle.current().pid();
    private final Map<String, Double> limits = new HashMap<>();
    private final Map<String, Result> byKey = new LinkedHashMap<>();
    private final List<Result> results = new ArrayList<>();
    private Path work;

    /**
     * @param options the parsed command line
     * @param out where JSON lines and the table go
     * @param log where progress goes
     */
    public Bench(BenchOptions options, PrintStream out, PrintStream log) {
        this.o = options;
        this.out = out;
        this.log = log;
    }

    /**
     * The scenarios and options {@code --help} lists, one to a line, without the line {@code usage: ...}
     * above them; for a command line that shows them in its own usage.
     */
    public static String help() {
        String usage = BenchOptions.usage();
        return usage.substring(usage.indexOf('\n') + 1);
    }

    /**
     * Parses {@code args}, runs, prints; returns the exit status: 0 if every result was verified,
     * 1 if some was not, 2 for a bad command line. Missed speed targets do not change the status.
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
            RequestAuth.token(options.token);
        } catch (IllegalArgumentException e) {
            err.println("bench: " + e.getMessage());
            err.println(BenchOptions.usage());
            return 2;
        }
        if (options.help) {
            out.println(BenchOptions.usage());
            return 0;
        }
        try {
            List<Result> results = new Bench(options, out, err).runAll();
            return results.stream().allMatch(Result::verified) ? 0 : 1;
        } catch (Exception e) {
            err.println("bench: failed: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    /** Runs every scenario on every server; returns the results in order. */
    public List<Result> runAll() throws Exception {
        work = o.workDir != null ? o.workDir : Files.createTempDirectory("httpfstream-bench-");
        Files.createDirectories(work);
        log.println("bench: work dir " + work + ", run " + runId);
        List<BenchOptions.Server> servers = new ArrayList<>(o.servers);
        if (servers.isEmpty() || o.withOurs) {
            servers.add(0, null); // ours, started here
        }
        for (BenchOptions.Server s : servers) {
            Target t;
            if (s == null) {
                Path root = work.resolve("root");
                t = Target.launch(root, o.serverJvmOptions, o.serverClasspath, work.resolve("server.log"),
                        o.serverFsync, o.tls);
                log.println("bench: started our server at " + t.base() + " (pid " + t.stats().pid()
                        + ", root " + root + ")");
            } else {
                t = Target.remote(s.label(), s.url(), s.pid());
            }
            try {
                if (o.warmupBytes > 0) {
                    warmUp(t);
                }
                boolean fresh = true;
                for (String scenario : o.scenarios) {
                    if (scenario.equals("idle") && t.launched() && !fresh) {
                        // Memory per connection is measured on a server whose heap earlier scenarios
                        // have not grown.
                        t = t.relaunch();
                        log.println("bench: restarted our server for idle at " + t.base() + " (pid "
                                + t.stats().pid() + ")");
                    }
                    runScenario(t, scenario);
                    fresh = false;
                    deleteStreams(t);
                }
            } finally {
                t.close();
            }
        }
        String table = Result.markdown(results);
        out.println();
        out.print(table);
        out.flush();
        if (o.markdown != null) {
            Files.writeString(o.markdown, table, StandardCharsets.UTF_8);
        }
        return results;
    }

    private void runScenario(Target t, String scenario) throws Exception {
        log.println("bench: " + scenario + " on " + t.label());
        switch (scenario) {
            case "append" -> {
                for (int size : o.appendMessageSizes) {
                    emit(append(t, size, false));
                }
            }
            case "append+stalled" -> {
                for (int size : o.appendMessageSizes) {
                    emit(append(t, size, true));
                }
            }
            case "fanout-max" -> {
                for (String frames : o.h2 ? List.of("text") : o.fanoutFrames) { // h2 ?follow has no frames
                    emit(fanoutMax(t, frames.equals("binary")));
                }
            }
            case "fanout-latency" -> emit(fanoutLatency(t));
            case "streams" -> emit(streams(t));
            case "catch-up" -> catchUp(t);
            case "idle" -> emit(idle(t));
            case "ds-append" -> {
                try (LoadClient c = dsClient(t)) {
                    DsScenarios ds = new DsScenarios(t, c);
                    if (o.dsWarmupSeconds > 0) {
                        dsWarmUp(t, scenario, List.of(ds.append("/bench-" + runId + "/ds-append-warm-up",
                                o.dsAppendConnections, o.dsMessageSize, o.dsWarmupSeconds, o.dsStreamPerConnection,
                                o.dsProducers)));
                    }
                    emit(ds.append("/bench-" + runId + "/ds-append", o.dsAppendConnections,
                            o.dsMessageSize, o.durationSeconds, o.dsStreamPerConnection, o.dsProducers));
                }
            }
            case "ds-readers" -> {
                try (LoadClient c = dsClient(t)) {
                    DsScenarios ds = new DsScenarios(t, c);
                    if (o.dsWarmupSeconds > 0) {
                        dsWarmUp(t, scenario, ds.readers("/bench-" + runId + "/ds-readers-warm-up",
                                o.dsLongPollReaders, o.dsSseReaders, o.dsMessageSize, o.dsRate, o.dsWarmupSeconds));
                    }
                    ds.readers("/bench-" + runId + "/ds-readers", o.dsLongPollReaders,
                            o.dsSseReaders, o.dsMessageSize, o.dsRate, o.durationSeconds).forEach(this::emit);
                }
            }
            default -> throw new IllegalArgumentException("unknown scenario: " + scenario);
        }
    }

    /**
     * After a Durable Streams scenario's unmeasured warm-up run: reports its errors (a server that
     * fails the warm-up fails the measured run too), then waits for quiet, so that neither the server's
     * nor the load generator's code is cold or still compiling when the measured run starts.
     */
    private void dsWarmUp(Target t, String scenario, List<Result> warmUp) throws InterruptedException {
        for (Result r : warmUp) {
            log.println("bench: " + scenario + " warm-up on " + t.label() + " (" + o.dsWarmupSeconds + " s)"
                    + (r.errors.isEmpty() ? "" : ", errors: " + r.errors));
        }
        settle(t);
    }

    private void emit(Result r) {
        results.add(r);
        byKey.put(r.server + "|" + r.scenario + "|" + r.params, r);
        out.println(Json.writeRounded(r.toMap(), 4));
        out.flush();
    }

    // ---------------------------------------------------------------- scenarios

    /**
     * The append scenario, plain or with a stalled follower: the best of {@code appendRuns} runs, as a
     * limit is the best of three probe runs (every run's figure is in {@code runsMBps}). A run that
     * fails verification is the result at once: a failure is never hidden behind a better run.
     */
    private Result append(Target t, int messageSize, boolean stalled) throws Exception {
        double raw = limit("file-append", messageSize, () -> Limits.fileAppend(work.resolve("raw"),
                messageSize, o.appendBytes));
        Result r = null;
        List<Long> runs = new ArrayList<>();
        for (int run = 0; run < o.appendRuns; run++) {
            settle(t); // the probe's or the last run's code may still be compiling, on a core we need
            Result next = appendOnce(t, messageSize, stalled, run);
            runs.add(Math.round(next.throughput() / 1e6));
            if (!next.verified) {
                r = next;
                break;
            }
            if (r == null || next.throughput() > r.throughput()) {
                r = next;
            }
            deleteStreams(t);
        }
        if (o.appendRuns > 1) {
            r.param("runsMBps", runs);
        }
        if (!stalled) {
            r.limitName = "raw file append";
            r.limitBytesPerSecond = raw;
            r.target = "≥ 0.8 × raw file append";
            r.targetMet = r.verified && r.ratio() >= 0.8;
        } else {
            Result plain = plainAppend(t, messageSize);
            r.target = "≥ 0.9 × plain append; memory bounded";
            if (plain != null && plain.verified) {
                r.limitName = "plain append";
                r.limitBytesPerSecond = plain.throughput();
                long growth = r.serverRssPeak - r.serverRssBefore;
                long plainGrowth = plain.serverRssPeak - plain.serverRssBefore;
                boolean bounded = r.serverRssPeak < 0 || growth <= Math.max(0, plainGrowth) + (64L << 20);
                r.targetNote = "peak RSS growth " + (growth >> 20) + " MiB vs " + (plainGrowth >> 20)
                        + " MiB for plain append (bound: plain + 64 MiB); raw file append "
                        + Math.round(raw / 1e6) + " MB/s";
                r.targetMet = r.verified && r.ratio() >= 0.9 && bounded;
            } else {
                r.limitName = "raw file append";
                r.limitBytesPerSecond = raw;
                r.targetNote = "plain append not measured in this run: ratio is to raw file append";
            }
        }
        return r;
    }

    /** The plain append result of this run for {@code t} with {@code messageSize}, or null. */
    private Result plainAppend(Target t, int messageSize) {
        for (Result p : results) {
            if (p.scenario().equals("append") && p.server.equals(t.label())
                    && Integer.valueOf(messageSize).equals(p.params.get("messageSize"))
                    && Long.valueOf(o.appendBytes).equals(p.params.get("bytes"))) {
                return p;
            }
        }
        return null;
    }

    /** One measured run of the append scenario. */
    private Result appendOnce(Target t, int messageSize, boolean stalled, int run) throws Exception {
        String name = stalled ? "append+stalled" : "append";
        Result r = new Result(name, t.label()).param("messageSize", messageSize)
                .param("bytes", o.appendBytes);
        long deadline = deadline();
        try (LoadClient c = client(t); Payload p = new Payload(messageSize, false)) {
            String path = path(name + "-" + messageSize, run);
            Cohort appenders = new Cohort("appender", 1);
            Appender a = new Appender(appenders, 0, path, p, o.appendBytes / messageSize, 0, 0, true, null);
            open(c, appenders, List.of(a), deadline);
            Cohort followers = new Cohort("stalled follower", 1);
            Follower f = null;
            if (stalled) {
                f = new Follower(followers, 0, path, true, false, true, 0, null, null);
                open(c, followers, List.of(f), deadline);
            }
            r.connections = stalled ? 2 : 1;
            // The raw probe starts from recycled memory; so does the server it is compared with.
            Limits.recycleMemory(work.resolve("raw"), o.appendBytes);
            Meter m = new Meter(t, c);
            a.start();
            if (stalled && !appenders.awaitFinished(Math.min(deadline,
                    System.nanoTime() + TimeUnit.SECONDS.toNanos(o.stallTimeoutSeconds)))) {
                // A server that lets one stalled reader hold up its writer (the original did) would
                // block here for good: say so, and let the follower read so that the run can go on.
                r.errors.add("the appender had not finished after " + o.stallTimeoutSeconds
                        + " s with a stalled follower; the follower was then let read");
                f.resume();
            }
            await(appenders, deadline);
            m.stop(r);
            r.bytes = a.sentBytes();
            r.seconds = (a.endNanos() - a.startNanos()) / 1e9;
            boolean ok = appenders.errorCount() == 0 && a.endNanos() > 0;
            if (stalled) {
                f.resume(); // it must still get every byte, from the file
                await(followers, deadline);
                ok &= f.verify(101, a);
                r.errors.addAll(followers.errors());
            }
            r.errors.addAll(appenders.errors());
            if (ok) {
                ok = readBack(c, path, a, deadline, r);
            }
            r.verified = ok && r.errors.isEmpty();
        }
        return r;
    }

    private Result fanoutMax(Target t, boolean binary) throws Exception {
        int n = o.fanoutFollowers;
        int size = o.fanoutMessageSize;
        Result r = new Result("fanout-max", t.label()).param("followers", n)
                .param("appendedBytes", o.fanoutBytes).param("messageSize", size)
                .param("frames", o.h2 ? "h2 ?follow" : binary ? "binary" : "text");
        transport(r, t);
        double raw = limit("loopback-tcp", size, () -> Limits.loopbackTcp(size, o.fanoutBytes));
        long deadline = deadline();
        try (LoadClient c = client(t); Payload p = new Payload(size, false)) {
            String path = path("fanout-max-" + (binary ? "binary" : "text"), 0);
            Cohort appenders = new Cohort("appender", 1);
            Appender a = new Appender(appenders, 0, path, p, o.fanoutBytes / size, 0, 0, true, null);
            open(c, appenders, List.of(a), deadline);
            Cohort followers = new Cohort("follower", n);
            List<Follower> fs = new ArrayList<>();
            List<H2Follower> h2s = new ArrayList<>();
            H2Connections h2 = new H2Connections(c);
            if (o.h2) {
                for (int i = 0; i < n; i++) {
                    h2s.add(new H2Follower(followers, i, path + "?follow"));
                }
                h2.open(h2s, o.h2StreamsPerConnection);
                awaitOpened(followers, deadline);
                r.connections = (n + o.h2StreamsPerConnection - 1) / o.h2StreamsPerConnection + 1;
            } else {
                for (int i = 0; i < n; i++) {
                    fs.add(new Follower(followers, i, path, true, binary, false, 0, null, null));
                }
                open(c, followers, fs, deadline);
                r.connections = n + 1;
            }
            Meter m = new Meter(t, c);
            a.start();
            await(appenders, deadline);
            await(followers, fs, deadline);
            long end = System.nanoTime();
            m.stop(r);
            r.seconds = (end - a.startNanos()) / 1e9;
            h2.close();
            boolean ok = appenders.errorCount() == 0;
            for (Follower f : fs) {
                r.bytes += f.bytes();
                ok &= f.verify(101, a);
            }
            for (H2Follower f : h2s) {
                r.bytes += f.bytes();
                ok &= f.verify(200, a);
            }
            logUnfinished(h2s);
            r.errors.addAll(appenders.errors());
            r.errors.addAll(followers.errors());
            r.verified = ok && r.errors.isEmpty();
        }
        r.limitName = "raw loopback TCP" + (t.base().getScheme().equals("https") ? " (cleartext)" : "");
        r.limitBytesPerSecond = raw;
        r.target = "aggregate ≥ 0.5 × raw loopback TCP";
        r.targetMet = r.verified && r.ratio() >= 0.5;
        return r;
    }

    private Result fanoutLatency(Target t) throws Exception {
        int n = o.latencyFollowers;
        int size = o.latencyMessageSize;
        int messages = (int) Math.min(Integer.MAX_VALUE - 8, (long) o.latencyRate * o.durationSeconds);
        Result r = new Result("fanout-latency", t.label()).param("followers", n)
                .param("messageSize", size).param("rate", o.latencyRate)
                .param("seconds", o.durationSeconds);
        long deadline = deadline();
        Histogram latency = new Histogram();
        AtomicLongArray sendTimes = new AtomicLongArray(messages);
        try (LoadClient c = client(t); Payload p = new Payload(size, false)) {
            String path = path("fanout-latency", 0);
            Cohort appenders = new Cohort("appender", 1);
            Appender a = new Appender(appenders, 0, path, p, messages, 1_000_000_000L / o.latencyRate, 0,
                    true, sendTimes);
            open(c, appenders, List.of(a), deadline);
            Cohort followers = new Cohort("follower", n);
            List<Follower> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                fs.add(new Follower(followers, i, path, true, false, false, size, sendTimes, latency));
            }
            open(c, followers, fs, deadline);
            r.connections = n + 1;
            Meter m = new Meter(t, c);
            a.start();
            await(appenders, deadline);
            await(followers, fs, deadline);
            long end = System.nanoTime();
            m.stop(r);
            r.seconds = (end - a.startNanos()) / 1e9;
            boolean ok = appenders.errorCount() == 0;
            for (Follower f : fs) {
                r.bytes += f.bytes();
                ok &= f.verify(101, a);
            }
            settleLatency(r, ok, latency, (long) n * messages, appenders, followers);
        }
        r.target = "every byte to all; p99 ≤ 20 ms";
        r.targetMet = r.verified && latency.percentile(99) <= LATENCY_TARGET_MS * 1e6;
        return r;
    }

    private Result streams(Target t) throws Exception {
        int n = o.streams;
        int size = o.streamMessageSize;
        int messages = (int) Math.min(Integer.MAX_VALUE - 8, (long) o.streamRate * o.durationSeconds);
        long period = 1_000_000_000L / o.streamRate;
        Result r = new Result("streams", t.label()).param("streams", n).param("messageSize", size)
                .param("rate", o.streamRate).param("seconds", o.durationSeconds);
        long deadline = deadline();
        Histogram latency = new Histogram();
        try (LoadClient c = client(t); Payload p = new Payload(size, false)) {
            Cohort appenders = new Cohort("appender", n);
            Cohort followers = new Cohort("follower", n);
            List<Appender> as = new ArrayList<>();
            List<Follower> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String path = path("streams", i);
                AtomicLongArray sendTimes = new AtomicLongArray(messages);
                // Spread the streams' ticks evenly over one period, as independent writers would be.
                as.add(new Appender(appenders, i, path, p, messages, period, period * i / n, true, sendTimes));
                fs.add(new Follower(followers, i, path, true, false, false, size, sendTimes, latency));
            }
            open(c, appenders, as, deadline);
            open(c, followers, fs, deadline);
            r.connections = 2 * n;
            Meter m = new Meter(t, c);
            long start = System.nanoTime();
            for (Appender a : as) {
                a.start();
            }
            await(appenders, as, deadline);
            await(followers, fs, deadline);
            long end = System.nanoTime();
            m.stop(r);
            r.seconds = (end - start) / 1e9;
            boolean ok = appenders.errorCount() == 0;
            for (int i = 0; i < n; i++) {
                r.bytes += fs.get(i).bytes();
                ok &= fs.get(i).verify(101, as.get(i));
            }
            settleLatency(r, ok, latency, (long) n * messages, appenders, followers);
        }
        r.target = "no loss; p99 ≤ 20 ms";
        r.targetMet = r.verified && latency.percentile(99) <= LATENCY_TARGET_MS * 1e6;
        return r;
    }

    /**
     * Completes a latency scenario's result: every message must have given one sample at every
     * follower, and neither cohort may have failed.
     */
    private static void settleLatency(Result r, boolean ok, Histogram latency, long expectedSamples,
            Cohort appenders, Cohort followers) {
        if (latency.count() != expectedSamples) {
            r.errors.add("latency samples " + latency.count() + ", expected " + expectedSamples);
        }
        r.errors.addAll(appenders.errors());
        r.errors.addAll(followers.errors());
        r.verified = ok && r.errors.isEmpty();
        r.latency = latency;
    }

    private void catchUp(Target t) throws Exception {
        int size = 65536;
        long deadline = deadline();
        try (LoadClient c = client(t); Payload p = new Payload(size, false)) {
            String path = path("catch-up", 0);
            Cohort appenders = new Cohort("appender", 1);
            Appender a = new Appender(appenders, 0, path, p, o.catchUpBytes / size, 0, 0, true, null);
            open(c, appenders, List.of(a), deadline);
            a.start();
            await(appenders, deadline);
            List<String> setupErrors = appenders.errors();
            Path source = Limits.sourceFile(work.resolve("raw"), o.catchUpBytes);
            for (int n : o.catchUpFollowers) {
                Result r = new Result("catch-up", t.label()).param("followers", n)
                        .param("streamBytes", o.catchUpBytes);
                boolean secure = t.base().getScheme().equals("https");
                double raw = secure
                        ? limit("file-to-tls-socket", n, () -> TlsLimit.fileToTlsSocket(source, n, probeCertificate()))
                        : limit("file-to-socket", n, () -> Limits.fileToSocket(source, n));
                r.errors.addAll(setupErrors);
                transport(r, t);
                Cohort followers = new Cohort("reader", n);
                List<Follower> fs = new ArrayList<>();
                List<H2Follower> h2s = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    if (o.h2) {
                        h2s.add(new H2Follower(followers, i, path));
                    } else {
                        fs.add(new Follower(followers, i, path, false, false, false, 0, null, null));
                    }
                }
                r.connections = o.h2 ? (n + o.h2StreamsPerConnection - 1) / o.h2StreamsPerConnection : n;
                Meter m = new Meter(t, c);
                long start = System.nanoTime();
                try (H2Connections h2 = new H2Connections(c)) {
                    if (o.h2) {
                        h2.open(h2s, o.h2StreamsPerConnection);
                    } else {
                        open(c, followers, fs, deadline);
                    }
                    await(followers, deadline);
                }
                long end = System.nanoTime();
                m.stop(r);
                r.seconds = (end - start) / 1e9;
                boolean ok = setupErrors.isEmpty();
                for (Follower f : fs) {
                    r.bytes += f.bytes();
                    ok &= f.verify(200, a);
                }
                for (H2Follower f : h2s) {
                    r.bytes += f.bytes();
                    ok &= f.verify(200, a);
                }
                logUnfinished(h2s);
                r.errors.addAll(followers.errors());
                r.verified = ok && r.errors.isEmpty();
                r.limitName = secure ? "raw TLS file copy ×" + n : "raw transferTo ×" + n;
                r.limitBytesPerSecond = raw;
                r.target = secure ? "≥ 0.8 × raw TLS file copy" : "≥ 0.8 × raw file-to-socket";
                r.targetMet = r.verified && r.ratio() >= 0.8;
                emit(r);
            }
        }
    }

    private Result idle(Target t) throws Exception {
        int n = o.idleFollowers;
        int streams = Math.min(o.idleStreams, n);
        Result r = new Result("idle", t.label()).param("followers", n).param("streams", streams);
        long deadline = deadline();
        try (LoadClient c = client(t); Payload p = new Payload(100, false)) {
            Cohort appenders = new Cohort("appender", streams);
            List<Appender> as = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                as.add(new Appender(appenders, i, path("idle", i), p, 1, 0, 0, false, null));
            }
            open(c, appenders, as, deadline);
            for (Appender a : as) {
                a.start(); // one message each, then idle until end()
            }
            ProcStats s = t.stats();
            boolean gc = s != null && s.gc(60);
            Meter m = new Meter(t, c);
            Cohort followers = new Cohort("follower", n);
            List<Follower> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                fs.add(new Follower(followers, i, path("idle", i % streams), true, false, false, 0, null, null));
            }
            long start = System.nanoTime();
            open(c, followers, fs, deadline);
            r.seconds = (System.nanoTime() - start) / 1e9; // time to connect them all
            if (s != null) {
                gc &= s.gc(60);
            }
            m.stop(r);
            r.connections = n;
            if (r.serverRssBefore > 0 && r.serverRssAfter > 0) {
                r.perConnectionBytes = Math.max(0, (r.serverRssAfter - r.serverRssBefore) / n);
            }
            r.targetNote = gc ? "RSS after a full GC (jcmd GC.run) before and after connecting"
                    : "RSS as is (no GC could be requested)";
            for (Appender a : as) {
                a.end();
            }
            await(appenders, deadline);
            await(followers, deadline);
            boolean ok = appenders.errorCount() == 0;
            for (Follower f : fs) {
                Appender a = as.get(f.id % streams);
                r.bytes += f.bytes();
                ok &= f.verify(101, a);
            }
            r.errors.addAll(appenders.errors());
            r.errors.addAll(followers.errors());
            r.verified = ok && r.errors.isEmpty();
        }
        r.target = "≤ 16 KiB server memory per follower";
        r.targetMet = r.perConnectionBytes < 0 ? null : r.verified && r.perConnectionBytes <= 16 * 1024;
        return r;
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Deletes this run's streams from the root of a server the benchmark started, as the raw append
     * probe deletes its file: the page cache they held is free again, so each scenario writes into
     * memory on the same terms as the probe, and the disk does not fill up over runs.
     */
    private void deleteStreams(Target t) throws IOException {
        Path root = t.root();
        if (root == null) {
            return;
        }
        Path dir = root.resolve("bench-" + runId);
        if (!Files.exists(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * Unmeasured load so that the JIT compilers of the server and of this load generator have compiled
     * the measured paths before anything is measured: {@code warmupBytes} in 64 KiB messages with four
     * live followers (append, live follow, read back), then each chosen append scenario (plain, with a
     * stalled follower) per message size, run exactly as it will be measured. Less is not enough: the
     * per-read paths (socket read, decoder entry, file write) run a few thousand times per append,
     * so a smaller warm-up leaves them to be compiled during the first measured append, and on two
     * cores the compiler threads then take time from the server and the load generator (that run
     * came out at half the speed of the same scenario measured later). Twice: the Close frame that
     * ends the first round takes the server's compiled frame decoder down a branch it had never
     * taken, which discards that code (a deoptimization), and only the next append compiles it
     * again. Then waits for both processes to go quiet.
     */
    private void warmUp(Target t) throws Exception {
        warmUp(t, 65536, o.warmupBytes, 4);
        for (int round = 0; round < 2; round++) {
            for (int size : o.appendMessageSizes) {
                for (boolean stalled : new boolean[] {false, true}) {
                    if (o.scenarios.contains(stalled ? "append+stalled" : "append")) {
                        log.println("bench: warm-up on " + t.label() + ": " + (stalled ? "append+stalled"
                                : "append") + " with " + size + "-byte messages, not measured");
                        Result scratch = appendOnce(t, size, stalled, WARM_UP_RUNS + round);
                        if (!scratch.verified) {
                            log.println("bench: warm-up errors: " + scratch.errors);
                        }
                        deleteStreams(t);
                    }
                }
            }
        }
        settle(t);
    }

    private void warmUp(Target t, int size, long bytes, int followerCount) throws Exception {
        log.println("bench: warm-up on " + t.label() + " (" + bytes + " bytes in " + size + "-byte messages, "
                + followerCount + " followers, not measured)");
        long deadline = deadline();
        Result scratch = new Result("warm-up", t.label());
        try (LoadClient c = client(t); Payload p = new Payload(size, false)) {
            String path = path("warm-up-" + size, 0);
            Cohort appenders = new Cohort("appender", 1);
            Appender a = new Appender(appenders, 0, path, p, Math.max(1, bytes / size), 0, 0, true, null);
            open(c, appenders, List.of(a), deadline);
            Cohort followers = new Cohort("follower", followerCount);
            List<Follower> fs = new ArrayList<>();
            for (int i = 0; i < followerCount; i++) {
                fs.add(new Follower(followers, i, path, true, i % 2 == 0, false, 0, null, null));
            }
            open(c, followers, fs, deadline);
            a.start();
            await(appenders, deadline);
            await(followers, deadline);
            for (Follower f : fs) {
                f.verify(101, a);
            }
            readBack(c, path, a, deadline, scratch);
            scratch.errors.addAll(appenders.errors());
            scratch.errors.addAll(followers.errors());
        }
        if (!scratch.errors.isEmpty()) {
            log.println("bench: warm-up errors: " + scratch.errors);
        }
        deleteStreams(t); // its page cache is free again before anything is measured
    }

    /**
     * Waits until the server (if its PID is known) and this process use less than a tenth of a core
     * each over {@link #SETTLE_INTERVAL_MS} twice in a row: the JIT compilers have finished what the
     * warm-up (or a probe) gave them. Gives up after {@link #SETTLE_TIMEOUT_S} seconds and says so.
     */
    private void settle(Target t) throws InterruptedException {
        ProcStats self = ProcStats.self();
        ProcStats server = t.stats();
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(SETTLE_TIMEOUT_S);
        double limit = 0.1 * SETTLE_INTERVAL_MS / 1000.0;
        int quiet = 0;
        double selfCpu = self.cpuSeconds();
        double serverCpu = server == null ? 0 : server.cpuSeconds();
        while (quiet < 2) {
            if (System.nanoTime() > deadline) {
                log.println("bench: still busy after " + SETTLE_TIMEOUT_S + " s; measuring anyway");
                return;
            }
            Thread.sleep(SETTLE_INTERVAL_MS); // a polling interval, not a wait for an event
            double s = self.cpuSeconds();
            double v = server == null ? 0 : server.cpuSeconds();
            quiet = s - selfCpu <= limit && v - serverCpu <= limit ? quiet + 1 : 0;
            selfCpu = s;
            serverCpu = v;
        }
        log.println("bench: quiet after " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms");
    }

    /** Reads the finished stream back with a plain GET and checks it against what {@code a} sent. */
    private boolean readBack(LoadClient c, String path, Appender a, long deadline, Result r)
            throws Exception {
        Cohort readers = new Cohort("read-back", 1);
        Follower f = new Follower(readers, 0, path, false, false, false, 0, null, null);
        open(c, readers, List.of(f), deadline);
        await(readers, deadline);
        boolean ok = f.verify(200, a);
        r.errors.addAll(readers.errors());
        return ok;
    }

    private LoadClient client(Target t) throws IOException {
        return new LoadClient(t.base(), o.threads, o.sourceAddresses, o.maxPendingConnects);
    }

    private LoadClient dsClient(Target t) throws IOException {
        return new LoadClient(t.base(), o.dsThreads, o.sourceAddresses, o.maxPendingConnects);
    }

    private long deadline() {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(o.timeoutSeconds);
    }

    private String path(String scenario, int i) {
        return "/bench-" + runId + "/" + scenario + "/" + i + ".log";
    }

    private static <P extends Peer> void open(LoadClient c, Cohort cohort, List<P> peers, long deadline)
            throws InterruptedException {
        try {
            for (P p : peers) {
                c.connect(p, deadline);
            }
        } catch (TimeoutException e) {
            cohort.error(cohort.name() + "s: " + e.getMessage());
            return;
        }
        if (!cohort.awaitOpened(deadline)) {
            cohort.error(cohort.pendingOpen() + " of " + cohort.size() + " " + cohort.name()
                    + "s not open at the deadline");
        }
    }

    /**
     * Says how the readers of {@code r} reach the server: {@code http/1.1}, {@code tls http/1.1}, {@code h2c}
     * or {@code tls h2} (the appender is always a WebSocket over HTTP/1.1, with TLS if the server has it).
     */
    private void transport(Result r, Target t) {
        boolean secure = t.base().getScheme().equals("https");
        r.param("protocol", (secure ? "tls " : "") + (o.h2 ? (secure ? "h2" : "h2c") : "http/1.1"));
        if (o.h2) {
            r.param("streamsPerConnection", o.h2StreamsPerConnection);
        }
    }

    private SelfSignedCertificate.Pem probeCertificate;

    /** The certificate of the raw TLS probe, made once per run in the work dir. */
    private SelfSignedCertificate.Pem probeCertificate() throws IOException {
        if (probeCertificate == null) {
            probeCertificate = SelfSignedCertificate.generate(work.resolve("raw-tls"));
        }
        return probeCertificate;
    }

    private void awaitOpened(Cohort cohort, long deadline) throws InterruptedException {
        if (!cohort.awaitOpened(deadline)) {
            cohort.error(cohort.pendingOpen() + " of " + cohort.size() + " " + cohort.name()
                    + "s not open at the deadline");
        }
    }

    private void logUnfinished(List<H2Follower> readers) {
        readers.stream().filter(f -> !f.isFinished()).limit(5)
                .forEach(f -> log.println("bench: unfinished " + f.describe()));
    }

    private void await(Cohort cohort, long deadline) throws InterruptedException {
        await(cohort, List.of(), deadline);
    }

    private void await(Cohort cohort, List<? extends Peer> peers, long deadline)
            throws InterruptedException {
        if (!cohort.awaitFinished(deadline)) {
            cohort.error(cohort.pendingFinish() + " of " + cohort.size() + " " + cohort.name()
                    + "s not finished at the deadline");
            peers.stream().filter(p -> !p.isFinished()).limit(5)
                    .forEach(p -> log.println("bench: unfinished " + p.describe()));
        }
    }

    private interface Probe {
        double run() throws Exception;
    }

    /**
     * A physical limit, measured once per run and emitted as its own result: the best of three runs,
     * since a limit is what the machine can do, and single runs of page-cache and loopback probes vary
     * by a factor of two or more on a virtual machine.
     */
    private double limit(String kind, int param, Probe probe) throws Exception {
        String key = kind + ":" + param;
        Double v = limits.get(key);
        if (v == null) {
            log.println("bench: measuring limit " + key + " (best of 3)");
            Result r = new Result("limit:" + kind, "-").param(kind.startsWith("file-to-") ? "senders" : "chunk",
                    param);
            List<Long> runs = new ArrayList<>();
            double best = 0;
            for (int i = 0; i < 3; i++) {
                double run = probe.run();
                runs.add(Math.round(run / 1e6));
                best = Math.max(best, run);
            }
            v = best;
            r.param("runsMBps", runs);
            r.bytes = -1;
            r.seconds = Double.NaN;
            r.limitName = kind;
            r.limitBytesPerSecond = v;
            r.verified = true;
            limits.put(key, v);
            results.add(r);
            out.println(Json.writeRounded(r.toMap(), 4));
            out.flush();
        }
        return v;
    }
}
