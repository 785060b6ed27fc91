package org.httpfstream.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.httpfstream.client.FollowOffsetTest.offsetOf;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Automatic resume of a FOLLOW against the real server: connections cut at random points by a proxy, a
 * server restart on the same port, a stream deleted meanwhile, and a server that stays away.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ResumeTest {

    @TempDir
    Path root;

    private final HttpFStreamClient client = HttpFStreamClient.builder()
            .readTimeout(Duration.ofSeconds(20))
            .resumeTimeout(Duration.ofSeconds(30))
            .build();

    /** How many bytes a follower has read; an appender waits on it to stay close ahead of the follower. */
    private static final class Progress {
        private long read;
        private boolean ended;

        synchronized void add(int n) {
            read += n;
            notifyAll();
        }

        synchronized void end() {
            ended = true;
            notifyAll();
        }

        /** Waits until the follower has read at least {@code target} bytes or has stopped reading. */
        synchronized void await(long target) throws InterruptedException {
            while (read < target && !ended) {
                wait();
            }
        }
    }

    /**
     * Reads {@code in} to its end on another thread, reporting to {@code progress}; the result is the
     * SHA-256 of what was read.
     */
    private static CompletableFuture<String> drainAsync(InputStream in, Progress progress) {
        return CompletableFuture.supplyAsync(() -> {
            MessageDigest digest = ConcurrencyTest.digest();
            byte[] buffer = new byte[5000];
            try {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    digest.update(buffer, 0, n);
                    progress.add(n);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                progress.end();
            }
            return HexFormat.of().formatHex(digest.digest());
        });
    }

    /** Reads {@code n} bytes of {@code in} on another thread. */
    private static CompletableFuture<byte[]> readAsync(InputStream in, int n) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return in.readNBytes(n);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /**
     * A proxy between follower and server kills the connection (reset or FIN, at random) after a random
     * number of bytes, seven times during an 8 MiB append of random data: in the middle of WebSocket
     * frames, and once in the response head of a reconnect. The appender stays at most 256 KiB ahead of
     * the follower, so the append is live through the cuts (a last reconnect may find it ended and get the
     * rest as a 200 body). The follower must get exactly the file.
     */
    @Test
    void connectionsCutAtRandomPointsAreResumedWithoutGapOrDuplicate() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        int total = 8 << 20;
        long[] cutAfter = new long[7];
        // The first connection must survive its handshake (the initial request is not resumed); one later
        // cut lands in the response head of a reconnect.
        cutAfter[0] = 300 + random.nextInt(1 << 20);
        cutAfter[1] = 1 + random.nextInt(180);
        for (int i = 2; i < cutAfter.length; i++) {
            cutAfter[i] = 1 + random.nextInt(1 << 20);
        }
        // Each connection carries at most cutAfter[i] < 1 MiB + 300 bytes, so all seven cuts happen.
        String plan = "seed " + seed + ", cuts after " + Arrays.toString(cutAfter);
        AtomicBoolean appending = new AtomicBoolean(true);
        AtomicInteger cutsWhileAppending = new AtomicInteger();
        Runnable countCut = () -> {
            if (appending.get()) {
                cutsWhileAppending.incrementAndGet();
            }
        };
        try (RealServer server = RealServer.start(root);
             CuttingProxy proxy = CuttingProxy.start(server.server.port(), cutAfter, seed, countCut)) {
            URI direct = server.uri("/cut/random.bin");
            MessageDigest written = ConcurrencyTest.digest();
            CompletableFuture<String> followed;
            FollowInputStream follower;
            Progress progress = new Progress();
            try (OutputStream w = client.openAppend(direct)) {
                byte[] first = new byte[1000];
                random.nextBytes(first);
                w.write(first);
                written.update(first);
                follower = client.follow(proxy.uri("/cut/random.bin"));
                followed = drainAsync(follower, progress);
                for (int sent = first.length; sent < total; ) {
                    progress.await(sent - (256 << 10));
                    byte[] chunk = new byte[Math.min(total - sent, 1 + random.nextInt(70_000))];
                    random.nextBytes(chunk);
                    w.write(chunk);
                    written.update(chunk);
                    sent += chunk.length;
                }
            } finally {
                appending.set(false);
            }
            String expected = HexFormat.of().formatHex(written.digest());
            assertThat(ConcurrencyTest.sha256(Files.readAllBytes(root.resolve("cut/random.bin")))).isEqualTo(expected);
            assertThat(followed.get(90, TimeUnit.SECONDS)).as(plan).isEqualTo(expected);
            assertThat(follower.offset()).as(plan).isEqualTo(offsetOf(total));
            assertThat(proxy.cuts()).as(plan).isEqualTo(cutAfter.length);
            assertThat(cutsWhileAppending.get()).as(plan).isGreaterThanOrEqualTo(cutAfter.length - 1);
            assertThat(proxy.connections()).as(plan).isGreaterThan(cutAfter.length);
            follower.close();
        }
    }

    /**
     * The server shuts down (the follower gets Close 1001) and a new one starts on the same port with the
     * same root; a new appender session continues the file, and the follower continues from where it was.
     *
     * <p>To make the order of events certain, the test holds the port between the two servers: a plain
     * socket accepts the follower's first reconnect attempt and keeps it waiting until the new server runs
     * and the new appender has its lease; then it drops that attempt, and the follower's next attempt
     * reaches the new server while the append is live (it stays open until the follower has had some of
     * it, so the follower is resumed on a live WebSocket, not with a finished file).
     */
    @Test
    void followerResumesAcrossAServerRestartOnTheSamePort() throws Exception {
        byte[] before = FollowTest.randomBytes(300_000, 21);
        byte[] after = FollowTest.randomBytes(200_000, 22);
        int firstPart = 70_000;
        RealServer first = RealServer.start(root);
        int port = first.server.port();
        URI uri = first.uri("/restart.bin");
        OutputStream w1 = client.openAppend(uri);
        FollowInputStream follower;
        try {
            w1.write(before);
            follower = client.follow(uri);
            assertThat(follower.readNBytes(before.length)).isEqualTo(before);
            assertThat(follower.offset()).isEqualTo(offsetOf(before.length));
        } finally {
            // The follower reads nothing meanwhile: Close 1001 waits in its socket until the server is gone.
            first.close();
        }
        assertThatThrownBy(w1::close).as("appends are not resumed").isInstanceOf(IOException.class);

        RealServer second;
        CompletableFuture<byte[]> resumed;
        try (ServerSocket placeholder = new ServerSocket()) {
            placeholder.setReuseAddress(true);
            placeholder.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
            placeholder.setSoTimeout(20_000);
            resumed = readAsync(follower, firstPart);
            Socket held = placeholder.accept();
            try (held) {
                held.setSoTimeout(20_000);
                String requestLine = new String(held.getInputStream().readNBytes(80), StandardCharsets.ISO_8859_1);
                assertThat(requestLine).startsWith("GET /restart.bin?offset=" + offsetOf(before.length) + " HTTP/1.1");
                placeholder.close();
                second = RealServer.start(root, b -> b.bind("127.0.0.1", port));
            }
        }
        try (second; OutputStream w2 = client.openAppend(uri)) {
            // The dropped attempt is retried; the appender is live, so the follower gets a WebSocket.
            w2.write(after, 0, firstPart);
            assertThat(resumed.get(60, TimeUnit.SECONDS)).isEqualTo(Arrays.copyOf(after, firstPart));
            assertThat(follower.offset()).isEqualTo(offsetOf(before.length + firstPart));
            w2.write(after, firstPart, after.length - firstPart);
            assertThat(follower.readNBytes(after.length - firstPart))
                    .isEqualTo(Arrays.copyOfRange(after, firstPart, after.length));
            w2.close();
            assertThat(follower.read()).as("the new append session's end is the end of the stream").isEqualTo(-1);
            assertThat(follower.offset()).isEqualTo(offsetOf(before.length + after.length));
            follower.close();
        }
        assertThat(second.server.port()).isEqualTo(port);
        byte[] all = new byte[before.length + after.length];
        System.arraycopy(before, 0, all, 0, before.length);
        System.arraycopy(after, 0, all, before.length, after.length);
        assertThat(Files.readAllBytes(root.resolve("restart.bin"))).isEqualTo(all);
    }

    /** A server that goes away and does not come back: the follower gives up after the resume timeout. */
    @Test
    void followerOfAServerThatStaysAwayGivesUpAfterTheResumeTimeout() throws Exception {
        HttpFStreamClient impatient = HttpFStreamClient.builder()
                .readTimeout(Duration.ofSeconds(20))
                .resumeTimeout(Duration.ofMillis(700))
                .build();
        URI uri;
        FollowInputStream follower;
        OutputStream w;
        try (RealServer server = RealServer.start(root)) {
            uri = server.uri("/gone-server.txt");
            w = client.openAppend(uri);
            w.write("partial".getBytes(StandardCharsets.US_ASCII));
            follower = impatient.follow(uri);
            assertThat(follower.readNBytes(7)).isEqualTo("partial".getBytes(StandardCharsets.US_ASCII));
        }
        long start = System.nanoTime();
        assertThatThrownBy(follower::read)
                .isExactlyInstanceOf(IOException.class)
                .hasMessage("FOLLOW " + uri + ": could not resume at offset " + offsetOf(7) + " within 700 ms; "
                        + "last failure: FOLLOW " + uri + ": could not connect to 127.0.0.1:" + uri.getPort()
                        + ": Connection refused")
                .hasCauseInstanceOf(ConnectException.class)
                .satisfies(e -> assertThat(e.getSuppressed()).singleElement().asString().contains("1001"));
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(700);
        assertThat(follower.offset()).isEqualTo(offsetOf(7));
        assertThatThrownBy(follower::read).isInstanceOf(IOException.class).hasMessageContaining("could not resume");
        follower.close();
        assertThatThrownBy(w::close).isInstanceOf(IOException.class);
    }

    /** The stream is deleted while the follower is cut off: the reconnect gets 404, a NoSuchFileException. */
    @Test
    void streamDeletedWhileResumingIsNoSuchFile() throws Exception {
        byte[] data = FollowTest.randomBytes(2 << 20, 23);
        Path file = root.resolve("deleted.bin");
        try (RealServer server = RealServer.start(root);
             CuttingProxy proxy = CuttingProxy.start(server.server.port(), new long[] {300_000}, 1, () -> {
                 try {
                     Files.delete(file);
                 } catch (IOException e) {
                     throw new UncheckedIOException(e);
                 }
             })) {
            client.append(server.uri("/deleted.bin"), new ByteArrayInputStream(data));
            URI uri = proxy.uri("/deleted.bin");
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            try (FollowInputStream in = client.follow(uri)) {
                byte[] buffer = new byte[4096];
                assertThatThrownBy(() -> {
                    for (int n; (n = in.read(buffer)) >= 0; ) {
                        got.write(buffer, 0, n);
                    }
                }).isInstanceOfSatisfying(NoSuchFileException.class, e -> {
                    assertThat(e.getFile()).isEqualTo(uri.toString());
                    assertThat(e.getMessage()).contains("HTTP 404");
                });
                assertThat(got.size()).isLessThan(300_000);
                assertThat(got.toByteArray()).isEqualTo(Arrays.copyOf(data, got.size()));
                assertThat(in.offset()).isEqualTo(offsetOf(got.size()));
                assertThatThrownBy(in::read).isInstanceOf(IOException.class).hasMessageContaining("HTTP 404");
            }
            assertThat(proxy.cuts()).isEqualTo(1);
        }
    }
}
