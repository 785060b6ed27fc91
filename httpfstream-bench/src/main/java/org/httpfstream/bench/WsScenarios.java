package org.httpfstream.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The scenarios of the original protocol (WebSocket appenders; WebSocket, plain HTTP and HTTP/2 readers) and
 * the warm-up before them, each run as a {@link ScenarioRun}; {@link Bench} chooses them, keeps the physical
 * limits they are compared with and reports their results.
 *
 * <p>Thread safety: not thread safe; one scenario at a time, on the bench's thread (the load itself runs
 * on the {@link LoadClient}'s event loops).
 */
final class WsScenarios {
    private static final double LATENCY_TARGET_MS = 20;
    /** Run numbers of the warm-up's append runs (their streams' names), apart from the measured ones. */
    private static final int WARM_UP_RUNS = 1000;

    /** The suite these scenarios run in: its options, its log, its limits and results. */
    private final Bench bench;

    WsScenarios(Bench bench) {
        this.bench = bench;
    }

    /**
     * The append scenario, plain or with a stalled follower: the best of {@code appendRuns} runs, as a
     * limit is the best of three probe runs (every run's figure is in {@code runsMBps}). A run that
     * fails verification is the result at once: a failure is never hidden behind a better run.
     */
    Result append(Target t, int messageSize, boolean stalled) throws Exception {
        double raw = bench.limit("file-append", messageSize, () -> Limits.fileAppend(bench.work.resolve("raw"),
                messageSize, bench.o.appendBytes));
        Result r = null;
        List<Long> runs = new ArrayList<>();
        for (int run = 0; run < bench.o.appendRuns; run++) {
            bench.settle(t); // the probe's or the last run's code may still be compiling, on a core we need
            Result next = appendOnce(t, messageSize, stalled, run);
            runs.add(Math.round(next.throughput() / 1e6));
            if (!next.verified) {
                r = next;
                break;
            }
            if (r == null || next.throughput() > r.throughput()) {
                r = next;
            }
            bench.deleteStreams(t);
        }
        if (bench.o.appendRuns > 1) {
            r.param("runsMBps", runs);
        }
        if (!stalled) {
            PathLimitResults.appendLimits(bench, r, messageSize, raw);
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
        for (Result p : bench.results) {
            if (p.scenario().equals("append") && p.server.equals(t.label())
                    && Integer.valueOf(messageSize).equals(p.params.get("messageSize"))
                    && Long.valueOf(bench.o.appendBytes).equals(p.params.get("bytes"))) {
                return p;
            }
        }
        return null;
    }

    /** One measured run of the append scenario. */
    private Result appendOnce(Target t, int messageSize, boolean stalled, int run) throws Exception {
        String name = stalled ? "append+stalled" : "append";
        Result r = new Result(name, t.label()).param("messageSize", messageSize)
                .param("bytes", bench.o.appendBytes);
        try (LoadClient c = bench.client(t); Payload p = new Payload(messageSize, false)) {
            ScenarioRun s = new ScenarioRun(c, bench.deadline(), bench.log);
            String path = bench.path(name + "-" + messageSize, run);
            Appender a = s.appender(path, p, bench.o.appendBytes / messageSize, 0, null);
            Follower f = null;
            if (stalled) {
                Cohort followers = s.cohort("stalled follower", 1);
                f = s.open(followers, i -> new Follower(followers, i, path, true, false, true, null)).get(0);
            }
            r.connections = stalled ? 2 : 1;
            // The raw probe starts from recycled memory; so does the server it is compared with.
            Limits.recycleMemory(bench.work.resolve("raw"), bench.o.appendBytes);
            Meter m = new Meter(t, c);
            a.start();
            if (stalled && !a.cohort.awaitFinished(Math.min(s.deadline(),
                    System.nanoTime() + TimeUnit.SECONDS.toNanos(bench.o.stallTimeoutSeconds)))) {
                // A server that lets one stalled reader hold up its writer (the original did) would
                // block here for good: say so, and let the follower read so that the run can go on.
                r.errors.add("the appender had not finished after " + bench.o.stallTimeoutSeconds
                        + " s with a stalled follower; the follower was then let read");
                f.resume();
            }
            s.await(a.cohort);
            m.stop(r);
            r.bytes = a.sentBytes();
            r.seconds = (a.endNanos() - a.startNanos()) / 1e9;
            s.check(a.cohort.errorCount() == 0 && a.endNanos() > 0);
            if (stalled) {
                f.resume(); // it must still get every byte, from the file
                s.await(f.cohort);
                s.check(f.verify(101, a));
            }
            if (s.passed()) {
                s.readBack(path, a);
            }
            s.finish(r);
        }
        return r;
    }

    Result fanoutMax(Target t, boolean binary) throws Exception {
        int n = bench.o.fanoutFollowers;
        int size = bench.o.fanoutMessageSize;
        Result r = new Result("fanout-max", t.label()).param("followers", n)
                .param("appendedBytes", bench.o.fanoutBytes).param("messageSize", size)
                .param("frames", bench.o.h2 ? "h2 ?follow" : binary ? "binary" : "text");
        transport(r, t);
        double raw = bench.limit("loopback-tcp", size, () -> Limits.loopbackTcp(size, bench.o.fanoutBytes));
        try (LoadClient c = bench.client(t); Payload p = new Payload(size, false);
                H2Connections h2 = new H2Connections(c)) {
            ScenarioRun s = new ScenarioRun(c, bench.deadline(), bench.log);
            String path = bench.path("fanout-max-" + (binary ? "binary" : "text"), 0);
            Appender a = s.appender(path, p, bench.o.fanoutBytes / size, 0, null);
            Cohort followers = s.cohort("follower", n);
            List<Follower> fs = new ArrayList<>();
            List<H2Follower> h2s = new ArrayList<>();
            if (bench.o.h2) {
                for (int i = 0; i < n; i++) {
                    h2s.add(new H2Follower(followers, i, path + "?follow"));
                }
                h2.open(h2s, bench.o.h2StreamsPerConnection);
                s.awaitOpened(followers);
                r.connections = (n + bench.o.h2StreamsPerConnection - 1) / bench.o.h2StreamsPerConnection + 1;
            } else {
                fs = s.open(followers, i -> new Follower(followers, i, path, true, binary, false, null));
                r.connections = n + 1;
            }
            Meter m = new Meter(t, c);
            r.seconds = s.stream(a, followers, fs);
            m.stop(r);
            h2.close();
            s.check(a.cohort.errorCount() == 0);
            s.check(fs, 101, a);
            s.check(h2s, 200, a);
            s.logUnfinished(h2s);
            s.finish(r);
        }
        r.limitName = "raw loopback TCP" + (t.base().getScheme().equals("https") ? " (cleartext)" : "");
        r.limitBytesPerSecond = raw;
        r.target = "aggregate ≥ 0.5 × raw loopback TCP";
        r.targetMet = r.verified && r.ratio() >= 0.5;
        return r;
    }

    Result fanoutLatency(Target t) throws Exception {
        int n = bench.o.latencyFollowers;
        int size = bench.o.latencyMessageSize;
        int messages = (int) Math.min(Integer.MAX_VALUE - 8, (long) bench.o.latencyRate * bench.o.durationSeconds);
        Result r = new Result("fanout-latency", t.label()).param("followers", n)
                .param("messageSize", size).param("rate", bench.o.latencyRate)
                .param("seconds", bench.o.durationSeconds);
        Histogram latency = new Histogram();
        AtomicLongArray sendTimes = new AtomicLongArray(messages);
        try (LoadClient c = bench.client(t); Payload p = new Payload(size, false)) {
            ScenarioRun s = new ScenarioRun(c, bench.deadline(), bench.log);
            String path = bench.path("fanout-latency", 0);
            Appender a = s.appender(path, p, messages, 1_000_000_000L / bench.o.latencyRate, sendTimes);
            Cohort followers = s.cohort("follower", n);
            Follower.Latency probe = new Follower.Latency(size, sendTimes, latency);
            List<Follower> fs = s.open(followers, i -> new Follower(followers, i, path, true, false, false, probe));
            r.connections = n + 1;
            Meter m = new Meter(t, c);
            r.seconds = s.stream(a, followers, fs);
            m.stop(r);
            s.check(a.cohort.errorCount() == 0);
            s.check(fs, 101, a);
            s.finish(r, latency, (long) n * messages);
        }
        r.target = "every byte to all; p99 ≤ 20 ms";
        r.targetMet = r.verified && latency.percentile(99) <= LATENCY_TARGET_MS * 1e6;
        return r;
    }

    Result streams(Target t) throws Exception {
        int n = bench.o.streams;
        int size = bench.o.streamMessageSize;
        int messages = (int) Math.min(Integer.MAX_VALUE - 8, (long) bench.o.streamRate * bench.o.durationSeconds);
        long period = 1_000_000_000L / bench.o.streamRate;
        Result r = new Result("streams", t.label()).param("streams", n).param("messageSize", size)
                .param("rate", bench.o.streamRate).param("seconds", bench.o.durationSeconds);
        Histogram latency = new Histogram();
        try (LoadClient c = bench.client(t); Payload p = new Payload(size, false)) {
            ScenarioRun s = new ScenarioRun(c, bench.deadline(), bench.log);
            Cohort appenders = s.cohort("appender", n);
            Cohort followers = s.cohort("follower", n);
            List<Appender> as = new ArrayList<>();
            List<Follower> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String path = bench.path("streams", i);
                AtomicLongArray sendTimes = new AtomicLongArray(messages);
                // Spread the streams' ticks evenly over one period, as independent writers would be.
                as.add(new Appender(appenders, i, path, p, messages, period, period * i / n, true, sendTimes));
                fs.add(new Follower(followers, i, path, true, false, false,
                        new Follower.Latency(size, sendTimes, latency)));
            }
            s.open(appenders, as);
            s.open(followers, fs);
            r.connections = 2 * n;
            Meter m = new Meter(t, c);
            long start = System.nanoTime();
            for (Appender a : as) {
                a.start();
            }
            s.await(appenders, as);
            s.await(followers, fs);
            long end = System.nanoTime();
            m.stop(r);
            r.seconds = (end - start) / 1e9;
            s.check(appenders.errorCount() == 0);
            for (int i = 0; i < n; i++) {
                s.check(fs.get(i), 101, as.get(i));
            }
            s.finish(r, latency, (long) n * messages);
        }
        r.target = "no loss; p99 ≤ 20 ms";
        r.targetMet = r.verified && latency.percentile(99) <= LATENCY_TARGET_MS * 1e6;
        return r;
    }

    void catchUp(Target t) throws Exception {
        int size = 65536;
        long deadline = bench.deadline();
        try (LoadClient c = bench.client(t); Payload p = new Payload(size, false)) {
            ScenarioRun setup = new ScenarioRun(c, deadline, bench.log);
            Appender a = setup.appender(bench.path("catch-up", 0), p, bench.o.catchUpBytes / size, 0, null);
            a.start();
            setup.await(a.cohort);
            List<String> setupErrors = a.cohort.errors();
            Path source = Limits.sourceFile(bench.work.resolve("raw"), bench.o.catchUpBytes);
            for (int n : bench.o.catchUpFollowers) {
                bench.emit(catchUp(t, new ScenarioRun(c, deadline, bench.log), a, n, source, setupErrors));
            }
        }
    }

    /** One catch-up run: {@code n} readers of the finished stream of {@code a}, all at once. */
    private Result catchUp(Target t, ScenarioRun s, Appender a, int n, Path source, List<String> setupErrors)
            throws Exception {
        Result r = new Result("catch-up", t.label()).param("followers", n)
                .param("streamBytes", bench.o.catchUpBytes);
        boolean secure = t.base().getScheme().equals("https");
        double raw = secure
                ? bench.limit("file-to-tls-socket", n, () -> TlsLimit.fileToTlsSocket(source, n, probeCertificate()))
                : bench.limit("file-to-socket", n, () -> Limits.fileToSocket(source, n));
        r.errors.addAll(setupErrors);
        transport(r, t);
        Cohort followers = s.cohort("reader", n);
        List<Follower> fs = new ArrayList<>();
        List<H2Follower> h2s = new ArrayList<>();
        String path = bench.path("catch-up", 0);
        for (int i = 0; i < n; i++) {
            if (bench.o.h2) {
                h2s.add(new H2Follower(followers, i, path));
            } else {
                fs.add(new Follower(followers, i, path, false, false, false, null));
            }
        }
        r.connections = bench.o.h2 ? (n + bench.o.h2StreamsPerConnection - 1) / bench.o.h2StreamsPerConnection : n;
        Meter m = new Meter(t, s.client());
        long start = System.nanoTime();
        try (H2Connections h2 = new H2Connections(s.client())) {
            if (bench.o.h2) {
                h2.open(h2s, bench.o.h2StreamsPerConnection);
            } else {
                s.open(followers, fs);
            }
            s.await(followers);
        }
        long end = System.nanoTime();
        m.stop(r);
        r.seconds = (end - start) / 1e9;
        s.check(setupErrors.isEmpty());
        s.check(fs, 200, a);
        s.check(h2s, 200, a);
        s.logUnfinished(h2s);
        s.finish(r);
        r.limitName = secure ? "raw TLS file copy ×" + n : "raw transferTo ×" + n;
        r.limitBytesPerSecond = raw;
        if (!secure) {
            PathLimitResults.catchUpFairLimit(bench, r, n, source);
        }
        r.target = secure ? "≥ 0.8 × raw TLS file copy" : "≥ 0.8 × raw file-to-socket";
        r.targetMet = r.verified && r.ratio() >= 0.8;
        return r;
    }

    Result idle(Target t) throws Exception {
        int n = bench.o.idleFollowers;
        int streams = Math.min(bench.o.idleStreams, n);
        Result r = new Result("idle", t.label()).param("followers", n).param("streams", streams);
        try (LoadClient c = bench.client(t); Payload p = new Payload(100, false)) {
            ScenarioRun run = new ScenarioRun(c, bench.deadline(), bench.log);
            Cohort appenders = run.cohort("appender", streams);
            List<Appender> as = run.open(appenders,
                    i -> new Appender(appenders, i, bench.path("idle", i), p, 1, 0, 0, false, null));
            for (Appender a : as) {
                a.start(); // one message each, then idle until end()
            }
            ProcStats s = t.stats();
            boolean gc = s != null && s.gc(60);
            Meter m = new Meter(t, c);
            Cohort followers = run.cohort("follower", n);
            long start = System.nanoTime();
            List<Follower> fs = run.open(followers,
                    i -> new Follower(followers, i, bench.path("idle", i % streams), true, false, false, null));
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
            run.await(appenders);
            run.await(followers);
            run.check(appenders.errorCount() == 0);
            for (int i = 0; i < n; i++) {
                run.check(fs.get(i), 101, as.get(i % streams));
            }
            run.finish(r);
        }
        r.target = "≤ 16 KiB server memory per follower";
        r.targetMet = r.perConnectionBytes < 0 ? null : r.verified && r.perConnectionBytes <= 16 * 1024;
        return r;
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
    void warmUp(Target t) throws Exception {
        warmUp(t, 65536, bench.o.warmupBytes, 4);
        for (int round = 0; round < 2; round++) {
            for (int size : bench.o.appendMessageSizes) {
                for (boolean stalled : new boolean[] {false, true}) {
                    if (bench.o.scenarios.contains(stalled ? "append+stalled" : "append")) {
                        bench.log.println("bench: warm-up on " + t.label() + ": " + (stalled ? "append+stalled"
                                : "append") + " with " + size + "-byte messages, not measured");
                        Result scratch = appendOnce(t, size, stalled, WARM_UP_RUNS + round);
                        if (!scratch.verified) {
                            bench.log.println("bench: warm-up errors: " + scratch.errors);
                        }
                        bench.deleteStreams(t);
                    }
                }
            }
        }
        bench.settle(t);
    }

    private void warmUp(Target t, int size, long bytes, int followerCount) throws Exception {
        bench.log.println("bench: warm-up on " + t.label() + " (" + bytes + " bytes in " + size + "-byte messages, "
                + followerCount + " followers, not measured)");
        Result scratch = new Result("warm-up", t.label());
        try (LoadClient c = bench.client(t); Payload p = new Payload(size, false)) {
            ScenarioRun s = new ScenarioRun(c, bench.deadline(), bench.log);
            String path = bench.path("warm-up-" + size, 0);
            Appender a = s.appender(path, p, Math.max(1, bytes / size), 0, null);
            Cohort followers = s.cohort("follower", followerCount);
            List<Follower> fs = s.open(followers,
                    i -> new Follower(followers, i, path, true, i % 2 == 0, false, null));
            s.stream(a, followers, List.of());
            s.check(fs, 101, a);
            s.readBack(path, a);
            s.finish(scratch);
        }
        if (!scratch.errors.isEmpty()) {
            bench.log.println("bench: warm-up errors: " + scratch.errors);
        }
        bench.deleteStreams(t); // its page cache is free again before anything is measured
    }

    /**
     * Says how the readers of {@code r} reach the server: {@code http/1.1}, {@code tls http/1.1}, {@code h2c}
     * or {@code tls h2} (the appender is always a WebSocket over HTTP/1.1, with TLS if the server has it).
     */
    private void transport(Result r, Target t) {
        boolean secure = t.base().getScheme().equals("https");
        r.param("protocol", (secure ? "tls " : "") + (bench.o.h2 ? (secure ? "h2" : "h2c") : "http/1.1"));
        if (bench.o.h2) {
            r.param("streamsPerConnection", bench.o.h2StreamsPerConnection);
        }
    }

    private SelfSignedCertificate.Pem probeCertificate;

    /** The certificate of the raw TLS probe, made once per run in the work dir. */
    private SelfSignedCertificate.Pem probeCertificate() throws IOException {
        if (probeCertificate == null) {
            probeCertificate = SelfSignedCertificate.generate(bench.work.resolve("raw-tls"));
        }
        return probeCertificate;
    }
}
