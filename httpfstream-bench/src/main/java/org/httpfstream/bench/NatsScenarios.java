package org.httpfstream.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The scenarios of the JetStream store (issue 15): two front nodes ({@code -store=nats}) on one cluster,
 * each scenario compared with a raw JetStream publish of the same bytes in the same chunks measured in
 * the same run ({@link JetStreamLimit}).
 *
 * <ul>
 *   <li>{@code nats-append}: one WebSocket appender through front node A, per message size; the limit is
 *       an asynchronous windowed publish of the same bytes in messages of that size. Target ≥ 0.7 ×.
 *   <li>{@code nats-ds-append}: Durable Streams POSTs of {@code --ds-message-size} bytes through front
 *       node A from N connections on one stream; the limit is N publishers publishing the same messages
 *       synchronously (one PubAck awaited at a time each, as a POST awaits its answer). Target ≥ 0.7 ×.
 *   <li>{@code nats-fanout}: one appender on A at {@code --latency-rate}, {@code --latency-followers}
 *       followers, half on A and half on B; append-to-receive latency. Target p99 ≤ 20 ms.
 * </ul>
 *
 * <p>Thread safety: not thread safe; one scenario at a time, on the bench's thread.
 */
final class NatsScenarios {
    private static final double LATENCY_TARGET_MS = 20;
    private static final double RATIO_TARGET = 0.7;

    private final Bench bench;
    private final JetStreamLimit raw;
    /** Set once the first nats-append warmed the front node up. */
    private boolean warm;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    NatsScenarios(Bench bench, JetStreamLimit raw) {
        this.bench = bench;
        this.raw = raw;
    }

    /** nats-append with {@code size}-byte messages: the best of {@code --append-runs} runs. */
    Result append(Target t, int size) throws Exception {
        long bytes = bench.o.natsAppendBytes;
        double limit = bench.limit("jetstream-publish-async", size, () -> raw.asyncPublish(size, bytes));
        if (!warm) { // the front node's and this process's code compiled before anything is measured
            warm = true;
            Result scratch = appendOnce(t, size, Math.max(size, bytes / 4), 1000);
            bench.log.println("bench: nats-append warm-up" + (scratch.errors.isEmpty() ? "" : ", errors: "
                    + scratch.errors));
        }
        Result best = null;
        List<Long> runs = new ArrayList<>();
        for (int run = 0; run < bench.o.appendRuns; run++) {
            bench.settle(t);
            Result next = appendOnce(t, size, bytes, run);
            runs.add(Math.round(next.throughput() / 1e6));
            if (!next.verified) {
                best = next;
                break;
            }
            if (best == null || next.throughput() > best.throughput()) {
                best = next;
            }
        }
        best.param("runsMBps", runs);
        best.limitName = "raw JetStream publish (R3, async, " + size + "-byte messages)";
        best.limitBytesPerSecond = limit;
        best.target = "≥ 0.7 × raw JetStream publish";
        best.targetMet = best.verified && best.ratio() >= RATIO_TARGET;
        return best;
    }

    private Result appendOnce(Target t, int size, long bytes, int run) throws Exception {
        Result r = new Result("nats-append", t.label()).param("messageSize", size).param("bytes", bytes);
        String path = bench.path("nats-append-" + size, run);
        try (LoadClient c = bench.client(t); Payload p = new Payload(size, false)) {
            ScenarioRun s = new ScenarioRun(c, bench.deadline(), bench.log);
            Appender a = s.appender(path, p, bytes / size, 0, null);
            r.connections = 1;
            Meter m = new Meter(t, c);
            a.start();
            s.await(a.cohort);
            m.stop(r);
            r.bytes = a.sentBytes();
            r.seconds = (a.endNanos() - a.startNanos()) / 1e9;
            s.check(a.cohort.errorCount() == 0 && a.endNanos() > 0);
            if (s.passed()) {
                s.readBack(path, a);
            }
            s.finish(r);
        }
        delete(t, path);
        return r;
    }

    /** nats-ds-append from {@code connections} connections on one stream. */
    Result dsAppend(Target t, int connections) throws Exception {
        int size = bench.o.dsMessageSize;
        long seconds = bench.o.durationSeconds;
        // each of the limit's three runs up to 10 s: a rate, steady after a second
        double limit = bench.limit("jetstream-publish-sync", connections,
                () -> raw.syncPublish(size, connections, Math.min(10, seconds)));
        Result r;
        try (LoadClient c = new LoadClient(t.base(), bench.o.dsThreads, bench.o.sourceAddresses,
                bench.o.maxPendingConnects)) {
            DsScenarios ds = new DsScenarios(t, c);
            String prefix = "/bench-nats-" + System.nanoTime() + "/ds-append-" + connections;
            if (bench.o.dsWarmupSeconds > 0) {
                Result warm = ds.append(prefix + "-warm-up", connections, size, bench.o.dsWarmupSeconds, false,
                        false);
                bench.log.println("bench: nats-ds-append warm-up (" + bench.o.dsWarmupSeconds + " s)"
                        + (warm.errors.isEmpty() ? "" : ", errors: " + warm.errors));
                bench.settle(t);
            }
            r = ds.append(prefix, connections, size, seconds, false, false);
        }
        Result named = new Result("nats-ds-append", r.server);
        copy(r, named);
        named.limitName = "raw JetStream publish (R3, sync, " + size + " B, " + connections + " publisher"
                + (connections == 1 ? "" : "s") + ")";
        named.limitBytesPerSecond = limit;
        named.target = "≥ 0.7 × raw JetStream publish";
        named.targetNote = r.targetNote + " vs " + Math.round(limit / size) + " raw publishes/s";
        named.targetMet = named.verified && named.ratio() >= RATIO_TARGET;
        return named;
    }

    /** nats-fanout: the appender on {@code a}, the followers spread over {@code a} and {@code b}. */
    Result fanout(Target a, Target b) throws Exception {
        int n = bench.o.latencyFollowers;
        int size = bench.o.latencyMessageSize;
        int messages = (int) Math.min(Integer.MAX_VALUE - 8, (long) bench.o.latencyRate * bench.o.durationSeconds);
        Result r = new Result("nats-fanout", a.label() + " + B").param("followers", n)
                .param("frontNodes", 2).param("messageSize", size).param("rate", bench.o.latencyRate)
                .param("seconds", bench.o.durationSeconds);
        Histogram latency = new Histogram();
        Histogram onA = new Histogram();
        Histogram onB = new Histogram();
        AtomicLongArray sendTimes = new AtomicLongArray(messages);
        String path = bench.path("nats-fanout", 0);
        try (LoadClient ca = bench.client(a); LoadClient cb = bench.client(b); Payload p = new Payload(size, false)) {
            ScenarioRun sa = new ScenarioRun(ca, bench.deadline(), bench.log);
            ScenarioRun sb = new ScenarioRun(cb, bench.deadline(), bench.log);
            Appender appender = sa.appender(path, p, messages, 1_000_000_000L / bench.o.latencyRate, sendTimes);
            int half = n / 2;
            Cohort fa = sa.cohort("follower on A", half);
            Cohort fb = sb.cohort("follower on B", n - half);
            List<Follower> fsa = sa.open(fa, i -> new Follower(fa, i, path, true, false, false,
                    new Follower.Latency(size, sendTimes, onA)));
            List<Follower> fsb = sb.open(fb, i -> new Follower(fb, i, path, true, false, false,
                    new Follower.Latency(size, sendTimes, onB)));
            r.connections = n + 1;
            Meter m = new Meter(a, ca);
            appender.start();
            sa.await(appender.cohort);
            sa.await(fa, fsa);
            sb.await(fb, fsb);
            r.seconds = (System.nanoTime() - appender.startNanos()) / 1e9;
            m.stop(r);
            sa.check(appender.cohort.errorCount() == 0);
            sa.check(fsa, 101, appender);
            sb.check(fsb, 101, appender);
            Result scratch = new Result("nats-fanout", b.label());
            sb.finish(scratch);
            r.errors.addAll(scratch.errors);
            latency.addAll(onA);
            latency.addAll(onB);
            sa.finish(r, latency, (long) n * messages);
            r.bytes += scratch.bytes;
            r.verified &= scratch.verified;
        }
        delete(a, path);
        r.param("p99MsOnA", Math.round(onA.percentile(99) / 1e4) / 100.0);
        r.param("p99MsOnB", Math.round(onB.percentile(99) / 1e4) / 100.0);
        r.target = "every byte to all; p99 ≤ 20 ms";
        r.targetMet = r.verified && latency.percentile(99) <= LATENCY_TARGET_MS * 1e6;
        return r;
    }

    private static void copy(Result from, Result to) {
        to.params.putAll(from.params);
        to.errors.addAll(from.errors);
        to.bytes = from.bytes;
        to.seconds = from.seconds;
        to.connections = from.connections;
        to.latency = from.latency;
        to.verified = from.verified;
        to.serverCpuSeconds = from.serverCpuSeconds;
        to.serverRssBefore = from.serverRssBefore;
        to.serverRssPeak = from.serverRssPeak;
        to.serverRssAfter = from.serverRssAfter;
        to.targetNote = from.targetNote;
    }

    /** Deletes a finished stream from the cluster (a Durable Streams DELETE), so runs do not fill its disks. */
    private void delete(Target t, String path) {
        try {
            http.send(HttpRequest.newBuilder(URI.create(t.base().toString().replaceAll("/$", "") + path)).DELETE()
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.discarding());
        } catch (Exception e) {
            bench.log.println("bench: could not delete " + path + ": " + e);
        }
    }
}
