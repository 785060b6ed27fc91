package org.httpfstream.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The request-handling limit of ds-append (issue 16): the same load (connections, bodies, producer
 * headers, event loops, warm-up, duration) against {@link NoopServerMain} in its own JVM, started with
 * our server's JVM options, best of three runs like every probe. The ds-append result gets it as its
 * limit, so its ratio is ds-append / no-op.
 *
 * <p>Thread safety: stateless; called on the bench's thread.
 */
final class DsNoopLimit {
    static final double TARGET = 0.6;

    private DsNoopLimit() {}

    /** Sets the no-op limit of the ds-append result {@code r} (measured once per run and mode). */
    static void apply(Bench bench, Result r, boolean streamPerConnection, boolean producers) throws Exception {
        BenchOptions o = bench.o;
        String kind = "ds-no-op-" + (streamPerConnection ? "per-connection" : "one") + (producers ? "-producers" : "");
        double limit = bench.limit(kind, o.dsAppendConnections, () -> once(bench, streamPerConnection, producers));
        r.limitName = "no-op HTTP/1.1 server (204 to every POST), same load";
        r.limitBytesPerSecond = limit;
        r.target = producers ? "≥ 0.6 × no-op (producers: ≥ 0.8 × plain appends, same run)" : "≥ 0.6 × no-op";
        r.targetMet = r.verified && r.ratio() >= TARGET;
        r.param("noOpAppendsPerSecond", Math.round(limit / o.dsMessageSize));
    }

    /** One run: a fresh no-op server, an unmeasured warm-up, then the measured load; bytes per second. */
    private static double once(Bench bench, boolean streamPerConnection, boolean producers) throws Exception {
        BenchOptions o = bench.o;
        try (Target noop = launch(o.serverJvmOptions, o.serverClasspath, bench.work.resolve("no-op.log"));
                LoadClient c = new LoadClient(noop.base(), o.dsThreads, o.sourceAddresses, o.maxPendingConnects)) {
            DsScenarios ds = new DsScenarios(noop, c);
            if (o.dsWarmupSeconds > 0) {
                ds.append("/no-op-warm-up", o.dsAppendConnections, o.dsMessageSize, o.dsWarmupSeconds,
                        streamPerConnection, producers, false);
                bench.settle(noop);
            }
            Result r = ds.append("/no-op", o.dsAppendConnections, o.dsMessageSize, o.durationSeconds,
                    streamPerConnection, producers, false);
            if (!r.verified) {
                throw new IOException("the no-op server's run failed: " + r.errors);
            }
            return r.throughput();
        }
    }

    /** Starts {@link NoopServerMain} in a child JVM and waits until it listens; its output goes to {@code log}. */
    static Target launch(List<String> jvmOptions, String classpath, Path log) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add(NoopServerMain.class.getName());
        cmd.add("-http=127.0.0.1:0");
        Files.createDirectories(log.toAbsolutePath().getParent());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<String> listening = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("LISTENING ")) {
                        listening.complete(line);
                    }
                    Files.writeString(log, line + System.lineSeparator(), StandardCharsets.UTF_8,
                            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                }
            } catch (IOException e) {
                listening.completeExceptionally(e);
            }
            listening.completeExceptionally(new IOException("the no-op server exited before listening; see " + log));
        }, "no-op-output");
        reader.setDaemon(true);
        reader.start();
        String line;
        try {
            line = listening.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            p.destroyForcibly();
            throw new IOException("the no-op server did not start: " + e.getMessage() + "; see " + log, e);
        }
        String[] parts = line.split(" ");
        return new Target("no-op HTTP/1.1", URI.create(parts[1]), new ProcStats(Long.parseLong(parts[2])), p, null);
    }
}
