package org.httpfstream.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.httpfstream.cli.ServerProcesses.numberedLines;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.httpfstream.client.FollowInputStream;
import org.httpfstream.client.HttpFStreamClient;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Crash consistency: the server process is killed with SIGKILL in the middle of work, then started again
 * on the same root, and everything it acknowledged must be there, byte for byte, with its metadata. A
 * process crash keeps the kernel's page cache, so this holds in the default mode as well as with
 * {@code -fsync}; what it catches is acknowledged state that lived only in the dead process's memory.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CrashRecoveryTest {

    private static final Duration TIMEOUT = ServerProcesses.TIMEOUT;
    /** The exit code of a process killed by SIGKILL. */
    private static final int KILLED = 128 + 9;

    @TempDir
    Path root;

    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses();

    private final HttpClient http = ServerProcesses.httpClient();

    private CliProcess server;

    private void startServer(boolean fsync) {
        List<String> args = new ArrayList<>(List.of("-root=" + root, "-http=127.0.0.1:0"));
        if (fsync) {
            args.add("-fsync");
        }
        server = servers.start(args.toArray(String[]::new));
    }

    /**
     * One server process is killed while it works on three streams at once, then a new one is started on
     * the same root: a Durable Streams stream that a client keeps appending to (after many acknowledged
     * appends of every kind), a stream closed before the crash, and a WebSocket append followed live.
     */
    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(booleans = {false, true})
    void whatWasAcknowledgedBeforeKill9IsThereAfterARestart(boolean fsync) throws Exception {
        startServer(fsync);
        ClosedStream closed = new ClosedStream("/closed");
        closed.beforeCrash();
        AppendedStream appended = new AppendedStream("/builds/42/busy");
        appended.beforeCrash();
        WebSocketStream webSocket = new WebSocketStream("/ws.log");
        webSocket.beforeCrash();

        assertThat(server.kill(TIMEOUT)).as("exit code of the killed server; stderr: %s", server.stderrText())
                .isEqualTo(KILLED);
        appended.crashed();
        webSocket.crashed();

        startServer(fsync);
        appended.afterRestart();
        closed.afterRestart();
        webSocket.afterRestart();
    }

    /** A stream closed before the crash stays closed: appends refused, reads say so, the bytes kept. */
    private final class ClosedStream {
        private final String path;

        ClosedStream(String path) {
            this.path = path;
        }

        void beforeCrash() throws Exception {
            assertThat(send("PUT", path, "first\n", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
            assertThat(send("POST", path, "second\n", "Content-Type", "text/plain").statusCode()).isEqualTo(204);
            HttpResponse<byte[]> closing = send("POST", path, "last\n", "Content-Type", "text/plain",
                    "Stream-Closed", "true");
            assertThat(closing.statusCode()).isEqualTo(204);
            assertThat(closing.headers().firstValue("Stream-Closed")).hasValue("true");
        }

        void afterRestart() throws Exception {
            HttpResponse<byte[]> read = send("GET", path + "?offset=-1", null);
            assertThat(read.statusCode()).isEqualTo(200);
            assertThat(text(read)).isEqualTo("first\nsecond\nlast\n");
            assertThat(read.headers().firstValue("Stream-Closed")).as("closed, after the restart").hasValue("true");
            assertThat(read.headers().firstValue("Content-Type")).hasValue("text/plain");
            HttpResponse<byte[]> refused = send("POST", path, "more\n", "Content-Type", "text/plain");
            assertThat(refused.statusCode()).as("an append to the closed stream: %s", text(refused)).isEqualTo(409);
            assertThat(refused.headers().firstValue("Stream-Closed")).hasValue("true");
            assertThat(send("HEAD", path, null).headers().firstValue("Stream-Closed")).hasValue("true");
            assertThat(Files.readString(root.resolve(path.substring(1)))).isEqualTo("first\nsecond\nlast\n");
        }
    }

    /**
     * Many acknowledged appends (plain, from an idempotent producer, with {@code Stream-Seq}), then a client
     * that keeps appending (producer and {@code Stream-Seq} on every request) while the server dies. After
     * the restart: every acknowledged byte in order, the content type and TTL, the producers' state and the
     * last {@code Stream-Seq}.
     */
    private final class AppendedStream {
        private final String path;
        private final ByteArrayOutputStream acknowledged = new ByteArrayOutputStream();
        private long earlySeq = -1;
        private String earlyBody;
        private String lastEarlySeq;
        private Worker appender;
        private int acked;

        AppendedStream(String path) {
            this.path = path;
        }

        void beforeCrash() throws Exception {
            assertThat(send("PUT", path, null, "Content-Type", "text/plain", "Stream-TTL", "3600").statusCode())
                    .isEqualTo(201);
            for (int i = 0; i < 60; i++) {
                String body = "a" + i + " " + "-".repeat(i % 37) + "\n";
                switch (i % 3) {
                    case 0 -> assertThat(send("POST", path, body, "Content-Type", "text/plain").statusCode())
                            .isEqualTo(204);
                    case 1 -> {
                        earlySeq++;
                        earlyBody = body;
                        assertThat(send("POST", path, body, "Content-Type", "text/plain", "Producer-Id", "early",
                                "Producer-Epoch", "2", "Producer-Seq", Long.toString(earlySeq)).statusCode())
                                .isEqualTo(200);
                    }
                    default -> {
                        lastEarlySeq = String.format("a%06d", i);
                        assertThat(send("POST", path, body, "Content-Type", "text/plain", "Stream-Seq", lastEarlySeq)
                                .statusCode()).isEqualTo(204);
                    }
                }
                acknowledged.write(body.getBytes(UTF_8));
            }

            URI uri = url(path);
            appender = servers.worker("background POSTs", w -> {
                HttpClient own = ServerProcesses.httpClient(); // a connection of its own
                for (int j = 0; !w.stopping(); j++) {
                    HttpResponse<byte[]> r = own.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT)
                            .POST(BodyPublishers.ofString(body(j), UTF_8))
                            .headers("Content-Type", "text/plain", "Producer-Id", "background", "Producer-Epoch", "0",
                                    "Producer-Seq", Integer.toString(j), "Stream-Seq", String.format("b%06d", j))
                            .build(), BodyHandlers.ofByteArray());
                    if (r.statusCode() != 200) {
                        throw new AssertionError("background POST " + j + " answered " + r.statusCode() + ": "
                                + text(r));
                    }
                    w.progress(j + 1);
                }
            });
            appender.awaitProgress(40, TIMEOUT, "40 acknowledged background POSTs");
        }

        void crashed() throws IOException {
            assertThat(appender.awaitEnd(TIMEOUT)).as("what ended the background POSTs").isInstanceOf(IOException.class);
            acked = (int) appender.progress(); // POSTs 0..acked-1 were answered 200; POST acked may have landed
            for (int j = 0; j < acked; j++) {
                acknowledged.write(body(j).getBytes(UTF_8));
            }
        }

        void afterRestart() throws Exception {
            byte[] expected = acknowledged.toByteArray();
            HttpResponse<byte[]> read = send("GET", path + "?offset=-1", null);
            assertThat(read.statusCode()).isEqualTo(200);
            byte[] kept = read.body();
            assertThat(text(read)).as("the stream after the crash: every acknowledged append, in order")
                    .startsWith(new String(expected, UTF_8));
            // Then nothing, or the whole POST that was in flight (written, but killed before its answer went
            // out): no other body, no duplicate, and never part of one. The kernel may cut a write short when
            // SIGKILL arrives (between pages or folios), but the restarted store cuts such a torn append off
            // (its tail marks say where the last whole append ended).
            assertThat(new String(kept, expected.length, kept.length - expected.length, UTF_8))
                    .as("after the acknowledged appends: nothing, or the whole unanswered POST")
                    .isIn("", body(acked));
            assertThat(read.headers().firstValue("Stream-Next-Offset")).hasValue(String.format("%016x", kept.length));
            assertThat(read.headers().firstValue("Content-Type")).hasValue("text/plain");
            assertThat(read.headers().firstValue("Stream-Closed")).isEmpty();
            assertThat(Files.readAllBytes(root.resolve(path.substring(1)))).isEqualTo(kept);

            // The configuration persisted: an equal PUT finds the stream (200), another one conflicts.
            assertThat(send("PUT", path, null, "Content-Type", "text/plain", "Stream-TTL", "3600").statusCode())
                    .isEqualTo(200);
            assertThat(send("PUT", path, null, "Content-Type", "text/plain", "Stream-TTL", "60").statusCode())
                    .isEqualTo(409);

            // The last acknowledged append of each producer, retried: a duplicate, not appended again.
            HttpResponse<byte[]> retry = send("POST", path, body(acked - 1), "Content-Type", "text/plain",
                    "Producer-Id", "background", "Producer-Epoch", "0", "Producer-Seq", Integer.toString(acked - 1));
            assertThat(retry.statusCode()).as("background POST %s retried: %s", acked - 1, text(retry)).isEqualTo(204);
            HttpResponse<byte[]> retryEarly = send("POST", path, earlyBody, "Content-Type", "text/plain",
                    "Producer-Id", "early", "Producer-Epoch", "2", "Producer-Seq", Long.toString(earlySeq));
            assertThat(retryEarly.statusCode()).as("early producer retried: %s", text(retryEarly)).isEqualTo(204);
            assertThat(retryEarly.headers().firstValue("Producer-Epoch")).hasValue("2");
            assertThat(retryEarly.headers().firstValue("Producer-Seq")).hasValue(Long.toString(earlySeq));

            // A Stream-Seq not greater than the last acknowledged one is refused.
            for (String seq : List.of(String.format("b%06d", acked - 1), lastEarlySeq)) {
                HttpResponse<byte[]> r = send("POST", path, "again\n", "Content-Type", "text/plain", "Stream-Seq", seq);
                assertThat(r.statusCode()).as("Stream-Seq %s after the crash: %s", seq, text(r)).isEqualTo(409);
            }
            assertThat(send("GET", path + "?offset=-1", null).body())
                    .as("nothing appended by the duplicates and refusals").isEqualTo(kept);

            // And the stream goes on.
            assertThat(send("POST", path, "after\n", "Content-Type", "text/plain", "Stream-Seq", "c000000")
                    .statusCode()).isEqualTo(204);
            assertThat(send("GET", path + "?offset=-1", null).body()).isEqualTo(concat(kept, "after\n".getBytes(UTF_8)));
        }

        private static String body(int j) {
            return "b" + j + " " + "=".repeat((j * 7) % 61) + "\n";
        }
    }

    /**
     * A WebSocket appender streams at full speed, a follower reads along; the server dies. After the
     * restart the file is a prefix of what was sent holding at least every byte the follower received
     * (followers see only written bytes), and a new append session starts: no lease outlived the process.
     */
    private final class WebSocketStream {
        private final String path;
        private final HttpFStreamClient client = HttpFStreamClient.builder().resumeTimeout(Duration.ZERO).build();
        private final ByteArrayOutputStream followed = new ByteArrayOutputStream();
        /** Bytes handed to write(), the last of them maybe not sent. Guarded by itself. */
        private final long[] attempted = new long[1];
        private OutputStream append;
        private Worker appender;
        private Worker follower;
        private byte[] seen;
        private long sent;

        WebSocketStream(String path) {
            this.path = path;
        }

        void beforeCrash() throws Exception {
            append = client.openAppend(url(path));
            appender = servers.worker("WebSocket appender", w -> {
                Random random = new Random(7);
                long at = 0;
                while (!w.stopping()) {
                    int n = 1 + random.nextInt(3000);
                    byte[] chunk = numberedLines(at, n);
                    synchronized (attempted) {
                        attempted[0] = at + n;
                    }
                    append.write(chunk);
                    at += n;
                    w.progress(at);
                }
            });
            FollowInputStream follow = client.follow(url(path), "-1");
            follower = servers.worker("WebSocket follower", w -> {
                byte[] buffer = new byte[8192];
                int n;
                while ((n = follow.read(buffer)) != -1) {
                    synchronized (followed) {
                        followed.write(buffer, 0, n);
                    }
                    w.progress(w.progress() + n);
                }
            });
            follower.awaitProgress(256 * 1024, TIMEOUT, "256 KiB at the follower");
        }

        void crashed() {
            // Everything the follower got was sent before the kill; it ends with an error, not an end of stream.
            assertThat(follower.awaitEnd(TIMEOUT)).as("what ended the follower").isInstanceOf(IOException.class);
            synchronized (followed) {
                seen = followed.toByteArray();
            }
            try {
                append.close(); // the appender's writes fail now, if they did not already
            } catch (IOException expected) {
                // the server is gone: no Close 1000 confirms the end
            }
            appender.awaitEnd(TIMEOUT);
            synchronized (attempted) {
                sent = attempted[0];
            }
        }

        void afterRestart() throws Exception {
            Path file = root.resolve(path.substring(1));
            byte[] kept = Files.readAllBytes(file);
            assertThat((long) kept.length).as("bytes kept; the follower had %s, %s were sent", seen.length, sent)
                    .isBetween((long) seen.length, sent);
            assertThat(kept).as("the file: a prefix of what was sent").isEqualTo(numberedLines(0, kept.length));
            assertThat(seen).as("what the follower saw: a prefix of what was sent").isEqualTo(numberedLines(0, seen.length));
            HttpResponse<byte[]> read = send("GET", path, null);
            assertThat(read.statusCode()).isEqualTo(200);
            assertThat(read.body()).isEqualTo(kept);
            assertThat(read.headers().firstValue("Stream-Writer-Active")).hasValue("false");

            // No lease survived the crash: a new append session starts and continues the file.
            byte[] more = "after the crash\n".getBytes(UTF_8);
            try (OutputStream again = client.openAppend(url(path))) {
                again.write(more);
            } // close() returns once the server has the bytes (Close 1000)
            assertThat(Files.readAllBytes(file)).isEqualTo(concat(kept, more));
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // helpers

    private URI url(String path) {
        return servers.url(path);
    }

    private HttpResponse<byte[]> send(String method, String path, String body, String... headers)
            throws IOException, InterruptedException {
        return servers.send(http, method, path, body, headers);
    }

    private static String text(HttpResponse<byte[]> r) {
        return new String(r.body(), UTF_8);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
