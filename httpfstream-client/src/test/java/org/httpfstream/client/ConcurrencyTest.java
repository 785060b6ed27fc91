package org.httpfstream.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many followers and many appenders at once, against the real server with the real client. */
class ConcurrencyTest {
    @TempDir Path root;
    RealServer server;
    ExecutorService pool;

    @BeforeEach
    void start() throws IOException {
        server = RealServer.start(root);
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void stop() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        server.close();
    }

    static String sha256(byte[] data) {
        return HexFormat.of().formatHex(digest().digest(data));
    }

    static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Reads {@code in} to its end and returns the SHA-256 of what it read. */
    static String drain(InputStream in) throws IOException {
        MessageDigest d = digest();
        byte[] buf = new byte[8192];
        try (in) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                d.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(d.digest());
    }

    @Test
    void followersJoiningAtRandomMomentsEachGetEveryByteExactlyOnce() throws Exception {
        URI uri = server.uri("/concurrent/big.bin");
        Random random = new Random(42);
        int followers = 24;
        long total = 6L * 1024 * 1024;
        // Each follower joins after the appender has written a random number of bytes.
        long[] joinAt = new long[followers];
        for (int i = 0; i < followers; i++) {
            joinAt[i] = i == 0 ? 1 : (long) (random.nextDouble() * total);
        }
        List<CountDownLatch> joinGates = new ArrayList<>();
        List<Future<String>> results = new ArrayList<>();
        for (int i = 0; i < followers; i++) {
            CountDownLatch gate = new CountDownLatch(1);
            joinGates.add(gate);
            results.add(pool.submit((Callable<String>) () -> {
                gate.await();
                return drain(HttpFStream.follow(uri));
            }));
        }
        MessageDigest written = digest();
        long sent = 0;
        try (OutputStream out = HttpFStream.openAppend(uri)) {
            while (sent < total) {
                byte[] chunk = new byte[1 + random.nextInt(20_000)];
                random.nextBytes(chunk);
                out.write(chunk);
                written.update(chunk);
                sent += chunk.length;
                for (int i = 0; i < followers; i++) {
                    if (joinAt[i] <= sent) {
                        joinGates.get(i).countDown();
                    }
                }
            }
        }
        joinGates.forEach(CountDownLatch::countDown);
        String expected = HexFormat.of().formatHex(written.digest());
        assertThat(sha256(server.bytes("/concurrent/big.bin"))).isEqualTo(expected);
        for (Future<String> result : results) {
            assertThat(result.get(120, TimeUnit.SECONDS)).isEqualTo(expected);
        }
    }

    @Test
    void ofFiftySimultaneousAppendersExactlyOneWins() throws Exception {
        URI uri = server.uri("/contended.log");
        int appenders = 50;
        CountDownLatch ready = new CountDownLatch(appenders);
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch decided = new CountDownLatch(appenders);
        CountDownLatch release = new CountDownLatch(1);
        List<Future<String>> outcomes = new ArrayList<>();
        for (int i = 0; i < appenders; i++) {
            int id = i;
            outcomes.add(pool.submit(() -> {
                ready.countDown();
                go.await();
                OutputStream out;
                try {
                    out = HttpFStream.openAppend(uri);
                } catch (WriterConflictException e) {
                    decided.countDown();
                    return "conflict";
                }
                try (out) {
                    decided.countDown();
                    out.write(("winner " + id + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    release.await(); // hold the lease until every other appender has been refused
                }
                return "won " + id;
            }));
        }
        ready.await();
        go.countDown();
        assertThat(decided.await(60, TimeUnit.SECONDS)).isTrue();
        release.countDown();
        List<String> results = new ArrayList<>();
        for (Future<String> f : outcomes) {
            results.add(f.get(60, TimeUnit.SECONDS));
        }
        List<String> winners = results.stream().filter(r -> r.startsWith("won")).toList();
        assertThat(winners).hasSize(1);
        assertThat(results.stream().filter(r -> r.equals("conflict"))).hasSize(appenders - 1);
        assertThat(server.text("/contended.log"))
                .isEqualTo("winner " + winners.get(0).substring(4) + "\n");
    }

    @Test
    void allByteValuesRoundTripThroughTheClient() throws Exception {
        byte[] all = new byte[256 * 4];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        URI uri = server.uri("/bytes.bin");
        try (OutputStream out = HttpFStream.openAppend(uri)) {
            InputStream live = HttpFStream.follow(uri);
            out.write(all, 0, 256);
            assertThat(live.readNBytes(256)).isEqualTo(java.util.Arrays.copyOf(all, 256));
            out.write(all, 256, all.length - 256);
            out.close();
            assertThat(live.readNBytes(all.length - 256))
                    .isEqualTo(java.util.Arrays.copyOfRange(all, 256, all.length));
            assertThat(live.read()).isEqualTo(-1);
            live.close();
        }
        assertThat(server.bytes("/bytes.bin")).isEqualTo(all);
        try (InputStream finished = HttpFStream.follow(uri)) {
            assertThat(finished.readAllBytes()).isEqualTo(all);
        }
    }
}
