package org.httpfstream.bench;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The limit of the JetStream store's scenarios: what a client publishing straight to the cluster gets,
 * on an R3 stream configured as the store's shard streams are ({@code HFS_<s>}: file storage, three
 * replicas, direct gets off), with the same bytes in the same chunks. A publish counts when its PubAck
 * arrived (replicated), as an append of the store does. Two shapes: asynchronous with a window of
 * acknowledgements outstanding (a stream of bytes, as an append session's), and synchronous, one publish
 * at a time per publisher (a request/response client, as a Durable Streams POST).
 *
 * <p>Thread safety: one probe at a time; {@link #syncPublish} runs its publishers on threads of its own.
 */
final class JetStreamLimit implements AutoCloseable {
    private static final String STREAM = "HFSBENCH_RAW";
    private static final String SUBJECT = "hfsbench.raw";
    /** Bytes of acknowledgements outstanding at most in {@link #asyncPublish}. */
    private static final long WINDOW_BYTES = 8L << 20;
    /** Messages outstanding at most in {@link #asyncPublish}. */
    private static final int WINDOW_MESSAGES = 1024;

    private final Connection connection;
    private final JetStream js;
    private final JetStreamManagement jsm;

    /** Connects to the cluster at {@code urls} (waiting up to 30 s for JetStream) and makes the probe's stream. */
    JetStreamLimit(List<String> urls) throws IOException, InterruptedException {
        connection = Nats.connect(new Options.Builder().servers(urls.toArray(String[]::new)).maxReconnects(-1)
                .connectionName("httpfstream-bench-raw").build());
        js = connection.jetStream(io.nats.client.JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(10))
                .build());
        jsm = connection.jetStreamManagement();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (;;) {
            try {
                try {
                    jsm.deleteStream(STREAM);
                } catch (JetStreamApiException gone) {
                    // not there: a fresh cluster
                }
                jsm.addStream(StreamConfiguration.builder().name(STREAM).subjects(SUBJECT)
                        .storageType(StorageType.File).replicas(3).allowDirect(false).build());
                while (jsm.getStreamInfo(STREAM).getClusterInfo().getLeader() == null) {
                    TimeUnit.MILLISECONDS.sleep(20); // polling: the cluster gives no event for an elected leader
                }
                return;
            } catch (JetStreamApiException | IOException e) {
                if (System.nanoTime() > deadline) {
                    connection.close();
                    throw new IOException("JetStream at " + urls + " not ready: " + e.getMessage(), e);
                }
                TimeUnit.MILLISECONDS.sleep(100); // the meta group is still electing its leader
            }
        }
    }

    /**
     * Publishes {@code bytes} in messages of {@code chunk} bytes, asynchronously, at most {@value
     * #WINDOW_MESSAGES} messages or {@link #WINDOW_BYTES} bytes unacknowledged; bytes per second until the
     * last acknowledgement.
     */
    double asyncPublish(int chunk, long bytes) throws Exception {
        purge();
        byte[] payload = pattern(chunk);
        long messages = Math.max(1, bytes / chunk);
        int window = (int) Math.max(1, Math.min(WINDOW_MESSAGES, WINDOW_BYTES / chunk));
        ArrayDeque<CompletableFuture<PublishAck>> inFlight = new ArrayDeque<>();
        long start = System.nanoTime();
        for (long i = 0; i < messages; i++) {
            if (inFlight.size() >= window) {
                inFlight.removeFirst().get(30, TimeUnit.SECONDS);
            }
            inFlight.addLast(js.publishAsync(SUBJECT, payload));
        }
        while (!inFlight.isEmpty()) {
            inFlight.removeFirst().get(30, TimeUnit.SECONDS);
        }
        return messages * (double) chunk / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * {@code publishers} threads each publishing {@code size}-byte messages one at a time (each waits for
     * its PubAck) for {@code seconds}; bytes per second acknowledged.
     */
    double syncPublish(int size, int publishers, long seconds) throws Exception {
        purge();
        byte[] payload = pattern(size);
        AtomicLong acknowledged = new AtomicLong();
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> threads = new ArrayList<>();
        List<Exception> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int p = 0; p < publishers; p++) {
            Thread t = new Thread(() -> {
                try {
                    while (System.nanoTime() < end) {
                        js.publish(SUBJECT, java.util.Arrays.copyOf(payload, size));
                        acknowledged.incrementAndGet();
                    }
                } catch (Exception e) {
                    failures.add(e);
                }
            }, "raw-publisher-" + p);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        if (!failures.isEmpty()) {
            throw new IOException("raw publish failed: " + failures.get(0), failures.get(0));
        }
        return acknowledged.get() * (double) size / ((System.nanoTime() - start) / 1e9);
    }

    /** {@code n} bytes that do not compress, as the scenarios' payloads. */
    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        new java.util.Random(n).nextBytes(b);
        return b;
    }

    private void purge() throws IOException, JetStreamApiException {
        jsm.purgeStream(STREAM);
    }

    /** Deletes the probe's stream and closes the connection. */
    @Override
    public void close() throws InterruptedException {
        try {
            jsm.deleteStream(STREAM);
        } catch (IOException | JetStreamApiException e) {
            // the cluster goes away with the run
        }
        connection.close();
    }
}
