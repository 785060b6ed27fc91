package org.httpfstream.durable;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import org.httpfstream.store.StreamStore;

/**
 * A by-hand measurement of the domain part of a Durable Streams append, the bench's ds-append without
 * HTTP (not a test: nothing asserts a speed): {@link DurableStreams#append} of 100 bytes to one text
 * stream on the file store without fsync, with a change listener whose interest is false (as the
 * server's, with no subscription). 8 rounds of {@code N} appends (default 200,000; the first rounds
 * warm up); each round prints nanoseconds of this thread's CPU time (not wall time: on a shared
 * machine that varies far less) and bytes allocated by it per append. The stream's file grows by 100
 * bytes per append under a new folder of {@code DIR} (default the temp folder), removed at the end.
 *
 * <pre>
 * mvn -q -o -pl httpfstream-server test-compile
 * java -cp httpfstream-server/target/classes:httpfstream-server/target/test-classes:$SLF4J_API_JAR:$JACKSON_CORE_JAR \
 *     org.httpfstream.durable.DsAppendMicro [DIR [N]]
 * </pre>
 *
 * <p>Thread safety: run from one thread.
 */
public final class DsAppendMicro {
    private DsAppendMicro() {}

    public static void main(String[] args) throws Exception {
        Path root = Files.createTempDirectory(Path.of(args.length > 0 ? args[0] : System.getProperty("java.io.tmpdir")),
                "ds-append-micro");
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
        try (StreamStore store = new StreamStore(root)) {
            DurableStreams ds = new DurableStreams(store, Clock.systemUTC());
            ds.storage().addChangeListener(() -> false, path -> { });
            ds.create("/bench/s1", new DurableStreams.CreateRequest("text/plain", null, null, null, false,
                    new byte[0], null)).join();
            rounds(ds, n);
        } finally {
            try (var files = Files.walk(root)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void rounds(DurableStreams ds, int n) throws Exception {
        byte[] body = new byte[100];
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        for (int round = 0; round < 8; round++) {
            long cpu = mx.getCurrentThreadCpuTime();
            long bytes = mx.getThreadAllocatedBytes(thread);
            for (int i = 0; i < n; i++) {
                CompletableFuture<?> f = ds.append("/bench/s1",
                        new DurableStreams.AppendRequest("text/plain", null, null, false, body));
                if (!f.isDone()) {
                    f.join();
                }
            }
            System.out.printf("round %d: %.0f ns of CPU and %d bytes allocated per append%n", round,
                    (mx.getCurrentThreadCpuTime() - cpu) / (double) n, (mx.getThreadAllocatedBytes(thread) - bytes) / n);
        }
    }
}
