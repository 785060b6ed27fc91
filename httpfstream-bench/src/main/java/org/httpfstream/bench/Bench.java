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
    private static final long SETTLE_INTERVAL_MS = 250;
    private static final long SETTLE_TIMEOUT_S = 30;

    /** The parsed command line. */
    final BenchOptions o;
    private final PrintStream out;
    /** Where progress goes. */
    final PrintStream log;
    private final String runId = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
            + "-" + ProcessHandle.current().pid();
    private final Map<String, Double> limits = new HashMap<>();
    private final Map<String, Result> byKey = new LinkedHashMap<>();
    /** Every result so far, in the order emitted; the WebSocket scenarios look up earlier ones. */
    final List<Result> results = new ArrayList<>();
    private final WsScenarios ws;
    private final ScaleScenarios scale;
    /** The work directory, set when the run starts. */
    Path work;

    /**
     * @param options the parsed command line
     * @param out where JSON lines and the table go
     * @param log where progress goes
     */
    public Bench(BenchOptions options, PrintStream out, PrintStream log) {
        this.o = options;
        this.out = out;
        this.log = log;
        this.ws = new WsScenarios(this);
        this.scale = new ScaleScenarios(this, ws);
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
        List<String> natsScenarios = o.scenarios.stream().filter(BenchOptions.NATS_SCENARIOS::contains).toList();
        if (!natsScenarios.isEmpty()) {
            runNats(natsScenarios);
            if (natsScenarios.size() == o.scenarios.size()) {
                return finishRun();
            }
            o.scenarios = o.scenarios.stream().filter(sc -> !natsScenarios.contains(sc)).toList();
        }
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
                    ws.warmUp(t);
                }
                boolean fresh = true;
                for (String scenario : o.scenarios) {
                    if ((scenario.equals("idle") || scenario.equals("followers-100k")) && t.launched() && !fresh) {
                        // Memory per connection is measured on a server whose heap earlier scenarios
                        // have not grown.
                        t = t.relaunch();
                        log.println("bench: restarted our server for idle at " + t.base() + " (pid "
                                + t.stats().pid() + ")");
                    }
                    t = runScenario(t, scenario);
                    fresh = false;
                    deleteStreams(t);
                }
            } finally {
                t.close();
            }
        }
        return finishRun();
    }

    /** Prints the table (and writes it if asked); the results in order. */
    private List<Result> finishRun() throws IOException {
        String table = Result.markdown(results);
        out.println();
        out.print(table);
        out.flush();
        if (o.markdown != null) {
            Files.writeString(o.markdown, table, StandardCharsets.UTF_8);
        }
        return results;
    }

    /**
     * Runs the JetStream store's scenarios ({@link NatsScenarios}): starts two front nodes on the cluster
     * at {@code --nats}, and the raw publish probe they are compared with; stops both at the end.
     */
    private void runNats(List<String> scenarios) throws Exception {
        log.println("bench: JetStream store on " + o.natsUrls);
        try (JetStreamLimit raw = new JetStreamLimit(o.natsUrls);
                Target a = Target.frontNode(work.resolve("front-a"), o.serverJvmOptions, o.serverClasspath,
                        work.resolve("front-a.log"), o.natsUrls, "httpfstream (NATS R3, front node A)");
                Target b = Target.frontNode(work.resolve("front-b"), o.serverJvmOptions, o.serverClasspath,
                        work.resolve("front-b.log"), o.natsUrls, "httpfstream (NATS R3, front node B)")) {
            log.println("bench: front nodes at " + a.base() + " (pid " + a.stats().pid() + ") and " + b.base()
                    + " (pid " + b.stats().pid() + ")");
            NatsScenarios nats = new NatsScenarios(this, raw);
            for (String scenario : scenarios) {
                log.println("bench: " + scenario);
                switch (scenario) {
                    case "nats-append" -> {
                        for (int size : o.appendMessageSizes) {
                            emit(nats.append(a, size));
                        }
                    }
                    case "nats-ds-append" -> {
                        for (int connections : o.natsDsConnections) {
                            emit(nats.dsAppend(a, connections));
                        }
                    }
                    case "nats-fanout" -> emit(nats.fanout(a, b));
                    default -> throw new IllegalArgumentException("unknown scenario: " + scenario);
                }
            }
        }
    }

    /** Runs one scenario on {@code t}; returns the server to go on with (a scenario may restart it). */
    private Target runScenario(Target t, String scenario) throws Exception {
        log.println("bench: " + scenario + " on " + t.label());
        switch (scenario) {
            case "append" -> {
                for (int size : o.appendMessageSizes) {
                    emit(ws.append(t, size, false));
                }
            }
            case "append+stalled" -> {
                for (int size : o.appendMessageSizes) {
                    emit(ws.append(t, size, true));
                }
            }
            case "fanout-max" -> {
                for (String frames : o.h2 ? List.of("text") : o.fanoutFrames) { // h2 ?follow has no frames
                    emit(ws.fanoutMax(t, frames.equals("binary")));
                }
            }
            case "fanout-latency" -> emit(ws.fanoutLatency(t));
            case "streams" -> emit(ws.streams(t));
            case "catch-up" -> ws.catchUp(t);
            case "idle" -> emit(ws.idle(t));
            case "ds-append" -> {
                try (LoadClient c = dsClient(t)) {
                    DsScenarios ds = new DsScenarios(t, c);
                    if (o.dsWarmupSeconds > 0) {
                        dsWarmUp(t, scenario, List.of(ds.append("/bench-" + runId + "/ds-append-warm-up",
                                o.dsAppendConnections, o.dsMessageSize, o.dsWarmupSeconds, o.dsStreamPerConnection,
                                o.dsProducers)));
                    }
                    Result r = ds.append("/bench-" + runId + "/ds-append", o.dsAppendConnections,
                            o.dsMessageSize, o.durationSeconds, o.dsStreamPerConnection, o.dsProducers);
                    if (o.dsNoOp) {
                        DsNoopLimit.apply(this, r, o.dsStreamPerConnection, o.dsProducers);
                    }
                    emit(r);
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
            case "followers-100k" -> scale.followers(t);
            case "streams-1m" -> {
                return scale.streams(t);
            }
            default -> throw new IllegalArgumentException("unknown scenario: " + scenario);
        }
        return t;
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

    void emit(Result r) {
        results.add(r);
        byKey.put(r.server + "|" + r.scenario + "|" + r.params, r);
        out.println(Json.writeRounded(r.toMap(), 4));
        out.flush();
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Deletes this run's streams from the root of a server the benchmark started, as the raw append
     * probe deletes its file: the page cache they held is free again, so each scenario writes into
     * memory on the same terms as the probe, and the disk does not fill up over runs.
     */
    void deleteStreams(Target t) throws IOException {
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
     * Waits until the server (if its PID is known) and this process use less than a tenth of a core
     * each over {@link #SETTLE_INTERVAL_MS} twice in a row: the JIT compilers have finished what the
     * warm-up (or a probe) gave them. Gives up after {@link #SETTLE_TIMEOUT_S} seconds and says so.
     */
    void settle(Target t) throws InterruptedException {
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

    LoadClient client(Target t) throws IOException {
        return new LoadClient(t.base(), o.threads, o.sourceAddresses, o.maxPendingConnects);
    }

    private LoadClient dsClient(Target t) throws IOException {
        return new LoadClient(t.base(), o.dsThreads, o.sourceAddresses, o.maxPendingConnects);
    }

    long deadline() {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(o.timeoutSeconds);
    }

    String path(String scenario, int i) {
        return "/bench-" + runId + "/" + scenario + "/" + i + ".log";
    }

    interface Probe {
        double run() throws Exception;
    }

    /**
     * A physical limit, measured once per run and emitted as its own result: the best of three runs,
     * since a limit is what the machine can do, and single runs of page-cache and loopback probes vary
     * by a factor of two or more on a virtual machine.
     */
    double limit(String kind, int param, Probe probe) throws Exception {
        String key = kind + ":" + param;
        Double v = limits.get(key);
        if (v == null) {
            log.println("bench: measuring limit " + key + " (best of 3)");
            Result r = new Result("limit:" + kind, "-").param(kind.startsWith("file-to-") ? "senders"
                    : kind.startsWith("ds-") ? "connections" : "chunk", param);
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
