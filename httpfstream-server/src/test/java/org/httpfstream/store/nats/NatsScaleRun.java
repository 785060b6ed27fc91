package org.httpfstream.store.nats;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.httpfstream.store.Follower;
import org.httpfstream.store.StoreLimits;
import org.httpfstream.store.StoredStream;
import org.httpfstream.testing.NatsCluster;

/**
 * A by-hand measurement, not a test (it runs for minutes): many live streams on a real 3-node cluster
 * with two front nodes and the production layout (16 shards, R3). Phase 1 makes each stream with one
 * append through node A (a one-operation lease each: take, create, publish, release), phase 2 follows
 * every stream on node B (one subscription per stream there) until it has the byte, phase 3 appends once
 * more to every stream on A while B's followers are attached and waits until every follower saw it.
 * Prints the rates, latency percentiles, the consumers on the cluster and the heap of this JVM (both
 * nodes). Run (see docs/notes/nops.md):
 *
 * <pre>
 * mvn -B -o -q -pl httpfstream-server test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -cp httpfstream-server/target/classes:httpfstream-server/target/test-classes:$(cat /tmp/cp.txt) \
 *     org.httpfstream.store.nats.NatsScaleRun 10000 16
 * </pre>
 */
public final class NatsScaleRun {
    private NatsScaleRun() {}

    public static void main(String[] args) throws Exception {
        int streams = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        try (NatsCluster nats = new NatsCluster()) {
            nats.start();
            NatsConfig config = NatsConfig.DEFAULT.withNamespace("scale");
            long t0 = System.nanoTime();
            try (NatsStorage a = new NatsStorage(nats.connect(0), true, config, StoreLimits.NONE);
                    NatsStorage b = new NatsStorage(nats.connect(1), true, config, StoreLimits.NONE)) {
                System.out.printf("cluster and 16-shard layout ready in %d ms; load %s%n", ms(t0), load());
                ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
                    Thread t = new Thread(r, "scale");
                    t.setDaemon(true); // a failed phase ends the run
                    return t;
                });
                long[] create = run(pool, streams, i -> {
                    StoredStream s = a.stream(path(i));
                    s.withLease(true, lease -> lease.append(ByteBuffer.wrap(("a" + i + ";").getBytes(UTF_8)))).join();
                });
                report("create + 1 append (A, one-operation lease each)", create, load());
                Follower[] followers = new Follower[streams];
                Waiter[] waiters = new Waiter[streams];
                long[] follow = run(pool, streams, i -> {
                    Waiter w = new Waiter();
                    waiters[i] = w;
                    Follower f = b.stream(path(i)).follow(w::changed, () -> false);
                    followers[i] = f;
                    w.await(f, ("a" + i + ";").length());
                });
                report("follow on B until the byte is there (first view of the stream on B)", follow, load());
                long heapAfterFollow = heap();
                // one more append each on A, while every follower on B is attached
                AtomicInteger seen = new AtomicInteger();
                long t3 = System.nanoTime();
                long[] live = run(pool, streams, i -> {
                    StoredStream s = a.stream(path(i));
                    s.withLease(false, lease -> lease.append(ByteBuffer.wrap("b".getBytes(UTF_8)))).join();
                    waiters[i].await(followers[i], ("a" + i + ";b").length());
                    seen.incrementAndGet();
                });
                report("second append on A until B's follower has it", live, load());
                System.out.printf("all %d followers on B saw the second append %d ms after the round began%n",
                        seen.get(), ms(t3));
                long consumers = 0;
                for (int s = 0; s < config.shards(); s++) {
                    consumers += a.jsm.getStreamInfo(NatsNames.streamName(s)).getStreamState().getConsumerCount();
                }
                System.out.printf("consumers on HFS_*: %d (expected %d: one per stream on each node)%n", consumers,
                        2L * streams);
                System.out.printf("heap used after follow: %d MiB (both front nodes in this JVM)%n",
                        heapAfterFollow >> 20);
                for (Follower f : followers) {
                    f.close();
                }
                pool.shutdown();
                pool.awaitTermination(1, TimeUnit.MINUTES);
            }
            System.out.printf("total %d s%n", ms(t0) / 1000);
        }
    }

    interface Step {
        void run(int i) throws Exception;
    }

    /** Runs {@code step} for 0..n-1 on the pool; the latency of each, in microseconds. */
    static long[] run(ExecutorService pool, int n, Step step) throws Exception {
        long[] micros = new long[n];
        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        List<Future<?>> fs = new ArrayList<>();
        long t0 = System.nanoTime();
        int workers = ((java.util.concurrent.ThreadPoolExecutor) pool).getCorePoolSize();
        for (int w = 0; w < workers; w++) {
            fs.add(pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                    long s = System.nanoTime();
                    try {
                        step.run(i);
                    } catch (Exception e) {
                        System.out.printf("  failed at item %d after %d done, %d ms into the phase: %s%n", i, done.get(),
                                (System.nanoTime() - t0) / 1_000_000, e);
                        throw e;
                    }
                    micros[i] = (System.nanoTime() - s) / 1000;
                    if (done.incrementAndGet() % 1000 == 0) {
                        System.out.printf("  %d done, %d ms%n", done.get(), (System.nanoTime() - t0) / 1_000_000);
                        System.out.flush();
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        long total = System.nanoTime() - t0;
        System.out.printf("  %d in %d ms: %.0f/s%n", n, total / 1_000_000, n / (total / 1e9));
        return micros;
    }

    static void report(String what, long[] micros, String load) {
        long[] sorted = micros.clone();
        Arrays.sort(sorted);
        System.out.printf("%s: p50 %.1f ms, p99 %.1f ms, max %.1f ms; load %s%n", what,
                sorted[sorted.length / 2] / 1000.0, sorted[(int) (sorted.length * 0.99)] / 1000.0,
                sorted[sorted.length - 1] / 1000.0, load);
    }

    /** Wakes a waiter when its follower is told of a change. */
    static final class Waiter {
        synchronized void changed() {
            notifyAll();
        }

        synchronized void await(Follower f, long want) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (f.length() < want) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("follower stuck at " + f.length() + " < " + want);
                }
                wait(Math.min(100, TimeUnit.NANOSECONDS.toMillis(left) + 1)); // woken by changed()
            }
        }
    }

    static String path(int i) {
        return "/scale/" + (i % 100) + "/" + i + ".log";
    }

    static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    static long heap() {
        Runtime r = Runtime.getRuntime();
        System.gc();
        return r.totalMemory() - r.freeMemory();
    }

    static String load() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "?";
        }
    }
}
