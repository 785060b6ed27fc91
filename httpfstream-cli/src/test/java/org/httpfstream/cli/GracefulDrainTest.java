package org.httpfstream.cli;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.httpfstream.cli.ServerProcesses.numberedLines;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.httpfstream.client.FollowInputStream;
import org.httpfstream.client.HttpFStreamClient;
import org.httpfstream.testing.HttpWire;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM under load: the server process drains and exits 0 within its drain timeout; started again on
 * the same root and port, it holds every acknowledged byte exactly once and in order, and every follower
 * — the Java client's WebSocket follower, a {@code ?follow} reader, a long-poll loop and an SSE reader —
 * resumes from its own offset and ends with exactly the stream's bytes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GracefulDrainTest {

    private static final Duration TIMEOUT = ServerProcesses.TIMEOUT;
    private static final Duration DRAIN = Duration.ofSeconds(3);

    @TempDir
    Path root;

    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses();

    private final HttpFStreamClient client = HttpFStreamClient.builder().resumeTimeout(Duration.ofSeconds(60))
            .build();

    private CliProcess startServer(int atPort) {
        return servers.start("-root=" + root, "-http=127.0.0.1:" + atPort, "-fsync",
                "-drain-timeout=" + DRAIN.toMillis() + "ms");
    }

    @Test
    void sigtermUnderLoadLosesNoAcknowledgedByteAndEveryFollowerResumesWithoutGapOrDuplicate() throws Exception {
        CliProcess server = startServer(0);
        int firstPort = servers.port();

        List<Reader> readers = List.of(
                new JavaFollower("/ws/0.log"), new HttpFollower("/ws/1.log"), new JavaFollower("/ws/2.log"),
                new LongPoller("/ds/p0.txt"), new SseReader("/ds/p1.txt"));
        List<Appender> appenders = List.of(new Appender("/ws/0.log", true, readers.get(0)),
                new Appender("/ws/1.log", true, readers.get(1)),
                new Appender("/ws/2.log", false, readers.get(2))); // never stops: the drain timeout ends it
        List<Producer> producers = List.of(new Producer("/ds/p0.txt", "p0"), new Producer("/ds/p1.txt", "p1"));
        for (Producer p : producers) {
            p.create();
        }
        for (Appender a : appenders) {
            a.start();
        }
        for (Appender a : appenders) {
            a.worker.awaitProgress(1, TIMEOUT, "bytes appended to " + a.path);
        }
        for (Producer p : producers) {
            p.start();
        }
        for (Reader r : readers) {
            r.worker = servers.worker(r.getClass().getSimpleName() + " " + r.path, w -> r.run(w));
        }
        for (Producer p : producers) {
            p.worker.awaitProgress(20, TIMEOUT, "20 acknowledged POSTs to " + p.path);
        }
        for (Reader r : readers) {
            r.worker.awaitProgress(1, TIMEOUT, "bytes at the " + r.worker.name);
        }

        long signalled = System.nanoTime();
        server.terminate();
        server.awaitStderrLine(Pattern.compile("Drain - draining: "), TIMEOUT);
        for (Appender a : appenders) {
            if (a.finishes) {
                a.worker.stop(); // ends with close(), which returns once the server has every byte
            }
        }
        assertThat(server.awaitExit(DRAIN.plusSeconds(15)))
                .as("exit code after SIGTERM; stderr: %s", server.stderrText()).isZero();
        assertThat(Duration.ofNanos(System.nanoTime() - signalled)).isLessThan(DRAIN.plusSeconds(15));
        String log = server.stderrText();
        for (Appender a : appenders) {
            String end = "APPEND " + a.path + " ended (" + (a.finishes ? "close frame" : "server shutting down") + ")";
            assertThat(log).as("the log of the drained server").contains(end);
            assertThat(log.indexOf(end)).as("%s ended during the drain", a.path)
                    .isGreaterThan(log.indexOf("draining: ")).isLessThan(log.indexOf(" stopped"));
        }
        assertThat(log).contains("drain timed out after");

        for (Appender a : appenders) {
            a.stopped();
        }
        for (Producer p : producers) {
            assertThat(p.worker.awaitEnd(TIMEOUT)).as("what ended the POSTs to %s", p.path)
                    .isInstanceOf(IOException.class);
        }

        startServer(firstPort); // the same root and port: the followers come back by themselves
        for (Producer p : producers) {
            p.afterRestart();
        }
        for (Appender a : appenders) {
            a.afterRestart();
        }
        for (Reader r : readers) {
            assertThat(r.worker.awaitEnd(TIMEOUT)).as("what ended the %s", r.worker.name).isNull();
            byte[] stream = Files.readAllBytes(root.resolve(r.path.substring(1)));
            if (r.patterned) { // checked byte by byte as they came (the appender checks the file)
                assertThat(r.offset()).as("bytes the %s got, across the restart", r.worker.name)
                        .isEqualTo(stream.length);
            } else {
                assertThat(r.received()).as("what the %s got, across the restart", r.worker.name).isEqualTo(stream);
            }
        }
    }

    @Test
    void aSecondSigtermEndsTheDrainAtOnce() throws Exception {
        CliProcess server = servers.start("-root=" + root, "-http=127.0.0.1:0", "-drain-timeout=10m");
        OutputStream append = client.openAppend(url("/held.log"));
        append.write("kept\n".getBytes(UTF_8));
        FollowInputStream follow = client.follow(url("/held.log"), "-1");
        assertThat(follow.readNBytes(5)).isEqualTo("kept\n".getBytes(UTF_8)); // the server has the bytes

        server.terminate();
        server.awaitStderrLine(Pattern.compile("Drain - draining: "), TIMEOUT);
        server.terminate(); // the appender would hold the drain for ten minutes
        assertThat(server.awaitExit(TIMEOUT)).as("exit code; stderr: %s", server.stderrText()).isZero();
        assertThat(server.stderrText()).contains("SIGTERM again: ending the drain now").contains("drain forced");
        try {
            append.close();
            throw new AssertionError("the append was ended by the server, its close() must say so");
        } catch (IOException expected) {
            // Close 1001: the server went away
        }
        follow.close();
        assertThat(Files.readString(root.resolve("held.log"))).isEqualTo("kept\n");
    }

    /**
     * A WebSocket appender of the Java client, writing numbered lines until told to stop (if it ever is),
     * at most {@link #AHEAD} bytes ahead of its follower and {@link #CAP} bytes in all, so that the test's
     * memory and disk stay small.
     */
    private final class Appender {
        static final long AHEAD = 256 * 1024;
        static final long CAP = 16 * 1024 * 1024;
        final String path;
        final boolean finishes;
        final Reader follower;
        /** Bytes handed to write(), the last of them maybe not sent. Guarded by this. */
        private long attempted;
        Worker worker;

        Appender(String path, boolean finishes, Reader follower) {
            this.path = path;
            this.finishes = finishes;
            this.follower = follower;
        }

        void start() throws IOException {
            OutputStream out = client.openAppend(url(path));
            worker = servers.worker("appender " + path, w -> {
                Random random = new Random(path.hashCode());
                long at = 0;
                try {
                    while (!w.stopping()) {
                        // At the cap it only waits to be told to stop.
                        if (!follower.awaitOffset(at >= CAP ? Long.MAX_VALUE : at - AHEAD, w)) {
                            break;
                        }
                        int n = 1 + random.nextInt(4000);
                        synchronized (this) {
                            attempted = at + n;
                        }
                        out.write(numberedLines(at, n));
                        at += n;
                        w.progress(at);
                    }
                } finally {
                    out.close();
                }
            });
        }

        /** After the server stopped: what the appender confirmed. */
        void stopped() {
            worker.stop();
            Throwable end = worker.awaitEnd(TIMEOUT);
            if (finishes) {
                assertThat(end).as("the append to %s, closed during the drain", path).isNull();
            } else {
                assertThat(end).as("the append to %s, still going at the drain timeout", path)
                        .isInstanceOf(IOException.class);
            }
        }

        void afterRestart() throws IOException {
            byte[] kept = Files.readAllBytes(root.resolve(path.substring(1)));
            if (finishes) { // close() returned: every byte written is confirmed
                assertThat(kept.length).as("%s: every confirmed byte", path).isEqualTo(worker.progress());
            } else { // ended by Close 1001: every byte the server received stays
                long sent;
                synchronized (this) {
                    sent = attempted;
                }
                assertThat((long) kept.length).as("%s", path).isBetween(1L, sent);
            }
            assertThat(kept).as("%s: the bytes sent, in order, each once", path).isEqualTo(numberedLines(0, kept.length));
        }
    }

    /** A Durable Streams idempotent producer: one POST after the other, each acknowledged or not. */
    private final class Producer {
        final String path;
        final String id;
        private final HttpClient http = ServerProcesses.httpClient();
        /** The first sequence number not acknowledged (it may have been sent). Written by the worker. */
        private volatile int next;
        Worker worker;

        Producer(String path, String id) {
            this.path = path;
            this.id = id;
        }

        void create() throws Exception {
            assertThat(send(http, "PUT", path, null, "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        }

        void start() {
            worker = servers.worker("producer " + id, w -> {
                for (int seq = 0; ; seq++) {
                    HttpResponse<byte[]> r = post(seq);
                    if (r.statusCode() != 200) {
                        throw new AssertionError("POST " + seq + " to " + path + " answered " + r.statusCode() + ": "
                                + new String(r.body(), UTF_8));
                    }
                    next = seq + 1;
                    w.progress(seq + 1);
                }
            });
        }

        HttpResponse<byte[]> post(int seq) throws IOException, InterruptedException {
            return send(http, "POST", path, body(seq), "Content-Type", "text/plain", "Producer-Id", id,
                    "Producer-Epoch", "0", "Producer-Seq", Integer.toString(seq));
        }

        String body(int seq) {
            return id + " " + seq + " " + "#".repeat((seq * 13) % 71) + "\n";
        }

        /**
         * Every acknowledged POST is there once, in order; the one whose answer never came is sent again,
         * as a producer does: appended now, or found a duplicate. Then the stream is closed, which ends
         * its followers.
         */
        void afterRestart() throws Exception {
            int acked = next;
            StringBuilder expected = new StringBuilder();
            for (int seq = 0; seq < acked; seq++) {
                expected.append(body(seq));
            }
            String kept = Files.readString(root.resolve(path.substring(1)));
            assertThat(kept).as("%s: the acknowledged POSTs, then at most the unanswered one", path)
                    .isIn(expected.toString(), expected + body(acked));
            HttpResponse<byte[]> retry = post(acked);
            assertThat(retry.statusCode()).as("the unanswered POST %s sent again", acked).isIn(200, 204);
            expected.append(body(acked));
            assertThat(Files.readString(root.resolve(path.substring(1)))).as("%s: each POST once", path)
                    .isEqualTo(expected.toString());
            assertThat(send(http, "POST", path, null, "Content-Type", "text/plain", "Stream-Closed", "true")
                    .statusCode()).isEqualTo(204);
        }
    }

    /**
     * A follower of one stream, across the restart: it keeps what it gets, or, for the appenders' numbered
     * lines, checks each byte as it comes and counts them.
     */
    private abstract static class Reader {
        final String path;
        final boolean patterned;
        /** Guarded by this. */
        private final ByteArrayOutputStream got = new ByteArrayOutputStream();
        /** Bytes received. Guarded by this. */
        private long count;
        Worker worker;

        Reader(String path) {
            this.path = path;
            this.patterned = path.startsWith("/ws/");
        }

        abstract void run(Worker w) throws Exception;

        synchronized void add(byte[] b, int off, int n, Worker w) {
            if (patterned) {
                byte[] expected = numberedLines(count, n);
                if (!java.util.Arrays.equals(b, off, off + n, expected, 0, n)) {
                    throw new AssertionError(path + ": bytes " + count + " to " + (count + n) + " are not the ones sent");
                }
            } else {
                got.write(b, off, n);
            }
            count += n;
            notifyAll();
            w.progress(count);
        }

        synchronized byte[] received() {
            return got.toByteArray();
        }

        synchronized long offset() {
            return count;
        }

        /**
         * Waits until this reader has {@code min} bytes; false if {@code appender} is told to stop first.
         * Woken by every byte; the timed wait only looks at the stop flag again.
         */
        synchronized boolean awaitOffset(long min, Worker appender) throws InterruptedException {
            while (count < min) {
                if (appender.stopping()) {
                    return false;
                }
                wait(50);
            }
            return true;
        }
    }

    /** The Java client's follower: a WebSocket while the appender writes; it resumes by itself. */
    private final class JavaFollower extends Reader {
        JavaFollower(String path) {
            super(path);
        }

        @Override
        void run(Worker w) throws Exception {
            try (FollowInputStream in = client.follow(url(path), "-1")) {
                byte[] buffer = new byte[8192];
                int n;
                while ((n = in.read(buffer)) != -1) {
                    add(buffer, 0, n, w);
                }
                assertThat(in.offset()).isEqualTo(String.format("%016x", offset()));
            }
        }
    }

    /**
     * {@code GET ?follow} on a raw socket: chunks, then a last chunk whose trailer {@code Stream-Writer-Active:
     * true} says the server went away (resume at {@code Stream-Next-Offset}); after the restart, with the
     * appender gone, the rest of the file as a plain 200.
     */
    private final class HttpFollower extends Reader {
        HttpFollower(String path) {
            super(path);
        }

        @Override
        void run(Worker w) throws Exception {
            while (true) {
                try (Socket s = servers.connect()) {
                    s.getOutputStream().write(("GET " + path + "?follow&offset=" + String.format("%016x", offset())
                            + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(ISO_8859_1));
                    InputStream in = s.getInputStream();
                    Map<String, String> head = HttpWire.readHead(in);
                    assertThat(head.get(":status")).isEqualTo("200");
                    assertThat(head.get("stream-offset")).isEqualTo(String.format("%016x", offset()));
                    if (!"chunked".equals(head.get("transfer-encoding"))) { // not live: the rest, then the end
                        byte[] rest = in.readNBytes(Integer.parseInt(head.get("content-length")));
                        add(rest, 0, rest.length, w);
                        return;
                    }
                    Map<String, String> trailers = new TreeMap<>();
                    byte[] chunk;
                    while ((chunk = HttpWire.readChunk(in, trailers)) != null) {
                        add(chunk, 0, chunk.length, w);
                    }
                    assertThat(trailers.get("stream-next-offset")).as("the resume offset")
                            .isEqualTo(String.format("%016x", offset()));
                    if (!"true".equals(trailers.get("stream-writer-active"))) {
                        return; // the stream's own end
                    }
                }
            }
        }
    }

    /** A reader of the Durable Streams live modes, with its own HTTP client. */
    private abstract class HttpReader extends Reader {
        final HttpClient http = ServerProcesses.httpClient();

        HttpReader(String path) {
            super(path);
        }
    }

    /** A long-poll loop: 200 with bytes, or 204 at the timeout (or the drain); ends when the stream is closed. */
    private final class LongPoller extends HttpReader {
        LongPoller(String path) {
            super(path);
        }

        @Override
        void run(Worker w) throws Exception {
            String offset = "-1";
            while (true) {
                HttpResponse<byte[]> r = servers.getAcrossRestarts(http, path + "?offset=" + offset + "&live=long-poll",
                        BodyHandlers.ofByteArray());
                assertThat(r.statusCode()).as("long-poll at %s", offset).isIn(200, 204);
                add(r.body(), 0, r.body().length, w);
                offset = r.headers().firstValue("Stream-Next-Offset").orElseThrow();
                assertThat(offset).isEqualTo(String.format("%016x", offset()));
                if (r.statusCode() == 204 && r.headers().firstValue("Stream-Closed").isPresent()) {
                    return;
                }
            }
        }
    }

    /** An SSE reader: data events count once their control event says where they end. */
    private final class SseReader extends HttpReader {
        SseReader(String path) {
            super(path);
        }

        @Override
        void run(Worker w) throws Exception {
            Pattern next = Pattern.compile("\"streamNextOffset\":\"([0-9a-f]{16})\"");
            while (true) {
                String target = path + "?offset=" + String.format("%016x", offset()) + "&live=sse";
                HttpResponse<InputStream> r = servers.getAcrossRestarts(http, target, BodyHandlers.ofInputStream());
                assertThat(r.statusCode()).isEqualTo(200);
                try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), UTF_8))) {
                    String event = null;
                    StringBuilder data = new StringBuilder();
                    StringBuilder pending = new StringBuilder();
                    String line;
                    while ((line = in.readLine()) != null) {
                        if (line.startsWith("event:")) {
                            event = line.substring(6).trim();
                        } else if (line.startsWith("data:")) {
                            String value = line.substring(5);
                            data.append(value.startsWith(" ") ? value.substring(1) : value).append('\n');
                        } else if (line.isEmpty() && event != null) {
                            String value = data.length() > 0 ? data.substring(0, data.length() - 1) : "";
                            if (event.equals("data")) {
                                pending.append(value);
                            } else if (event.equals("control")) {
                                byte[] b = pending.toString().getBytes(UTF_8);
                                add(b, 0, b.length, w);
                                pending.setLength(0);
                                Matcher m = next.matcher(value);
                                assertThat(m.find()).as("control event %s", value).isTrue();
                                assertThat(m.group(1)).isEqualTo(String.format("%016x", offset()));
                                if (value.contains("\"streamClosed\":true")) {
                                    return;
                                }
                            }
                            event = null;
                            data.setLength(0);
                        }
                    }
                } catch (IOException e) {
                    // cut: reconnect from the last control event's offset
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // helpers

    private URI url(String path) {
        return servers.url(path);
    }

    private HttpResponse<byte[]> send(HttpClient http, String method, String path, String body, String... headers)
            throws IOException, InterruptedException {
        return servers.send(http, method, path, body, headers);
    }
}
