package org.httpfstream.cli;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
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
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.httpfstream.client.FollowInputStream;
import org.httpfstream.client.HttpFStreamClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM under load: the server process drains and exits 0 within its drain timeout; started again on
 * the same root and port, it holds every acknowledged byte exactly once and in order, and every follower
 * — the Java client's WebSocket follower, a {@code ?follow} reader, a long-poll loop and an SSE reader —
 * resumes from its own offset and ends with exactly the stream's bytes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GracefulDrainTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Duration DRAIN = Duration.ofSeconds(3);
    private static final Pattern STARTED = Pattern.compile("Starting server on 127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path root;

    private final List<CliProcess> processes = new ArrayList<>();
    private final List<Worker> workers = new ArrayList<>();
    private final HttpFStreamClient client = HttpFStreamClient.builder().resumeTimeout(Duration.ofSeconds(60))
            .build();
    private volatile int port;

    @AfterEach
    void stopEverything() {
        workers.forEach(Worker::stop);
        processes.forEach(CliProcess::close);
    }

    private CliProcess startServer(int atPort) {
        CliProcess server = CliProcess.start("server", "-root=" + root, "-http=127.0.0.1:" + atPort, "-fsync",
                "-drain-timeout=" + DRAIN.toMillis() + "ms");
        processes.add(server);
        port = Integer.parseInt(server.awaitStderrLine(STARTED, TIMEOUT).group(1));
        return server;
    }

    @Test
    void sigtermUnderLoadLosesNoAcknowledgedByteAndEveryFollowerResumesWithoutGapOrDuplicate() throws Exception {
        CliProcess server = startServer(0);
        int firstPort = port;

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
            r.worker = start(r.getClass().getSimpleName() + " " + r.path, w -> r.run(w));
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
        CliProcess server = CliProcess.start("server", "-root=" + root, "-http=127.0.0.1:0", "-drain-timeout=10m");
        processes.add(server);
        port = Integer.parseInt(server.awaitStderrLine(STARTED, TIMEOUT).group(1));
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
            worker = GracefulDrainTest.this.start("appender " + path, w -> {
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
                        out.write(pattern(at, n));
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
            assertThat(kept).as("%s: the bytes sent, in order, each once", path).isEqualTo(pattern(0, kept.length));
        }
    }

    /** A Durable Streams idempotent producer: one POST after the other, each acknowledged or not. */
    private final class Producer {
        final String path;
        final String id;
        private final HttpClient http = httpClient();
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
            worker = GracefulDrainTest.this.start("producer " + id, w -> {
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
                byte[] expected = pattern(count, n);
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
                try (Socket s = connectWithRetry()) {
                    s.getOutputStream().write(("GET " + path + "?follow&offset=" + String.format("%016x", offset())
                            + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(ISO_8859_1));
                    InputStream in = s.getInputStream();
                    Map<String, String> head = head(in);
                    assertThat(head.get(":status")).isEqualTo("200");
                    assertThat(head.get("stream-offset")).isEqualTo(String.format("%016x", offset()));
                    if (!"chunked".equals(head.get("transfer-encoding"))) { // not live: the rest, then the end
                        byte[] rest = in.readNBytes(Integer.parseInt(head.get("content-length")));
                        add(rest, 0, rest.length, w);
                        return;
                    }
                    Map<String, String> trailers = new TreeMap<>();
                    byte[] chunk;
                    while ((chunk = chunk(in, trailers)) != null) {
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

    /** A long-poll loop: 200 with bytes, or 204 at the timeout (or the drain); ends when the stream is closed. */
    private final class LongPoller extends Reader {
        private final HttpClient http = httpClient();

        LongPoller(String path) {
            super(path);
        }

        @Override
        void run(Worker w) throws Exception {
            String offset = "-1";
            while (true) {
                HttpResponse<byte[]> r;
                try {
                    r = send(http, "GET", path + "?offset=" + offset + "&live=long-poll", null);
                } catch (IOException e) {
                    awaitServer();
                    continue;
                }
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
    private final class SseReader extends Reader {
        private final HttpClient http = httpClient();

        SseReader(String path) {
            super(path);
        }

        @Override
        void run(Worker w) throws Exception {
            Pattern next = Pattern.compile("\"streamNextOffset\":\"([0-9a-f]{16})\"");
            while (true) {
                HttpResponse<InputStream> r;
                try {
                    r = http.send(HttpRequest.newBuilder(url(path + "?offset=" + String.format("%016x", offset())
                            + "&live=sse")).timeout(TIMEOUT).build(), BodyHandlers.ofInputStream());
                } catch (IOException e) {
                    awaitServer();
                    continue;
                }
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

    /** Waits until the server accepts connections again (the restart), polling with a deadline. */
    private void awaitServer() {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no server on port " + port + " within " + TIMEOUT, e);
                }
                LockSupport.parkNanos(Duration.ofMillis(50).toNanos()); // poll interval, not a wait for the event
            }
        }
    }

    private Socket connectWithRetry() throws IOException {
        while (true) {
            try {
                Socket s = new Socket("127.0.0.1", port);
                s.setSoTimeout((int) TIMEOUT.toMillis());
                return s;
            } catch (java.net.ConnectException e) {
                awaitServer();
            }
        }
    }

    /** Reads a response head: the status under ":status", header names in lower case. */
    private static Map<String, String> head(InputStream in) throws IOException {
        Map<String, String> head = new TreeMap<>();
        head.put(":status", line(in).split(" ", 3)[1]);
        for (String l = line(in); !l.isEmpty(); l = line(in)) {
            int colon = l.indexOf(':');
            head.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
        }
        return head;
    }

    /** One chunk's data, or null after the last chunk (its trailers into {@code trailers}). */
    private static byte[] chunk(InputStream in, Map<String, String> trailers) throws IOException {
        String size = line(in);
        int semicolon = size.indexOf(';');
        int n = Integer.parseInt((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
        if (n == 0) {
            for (String l = line(in); !l.isEmpty(); l = line(in)) {
                int colon = l.indexOf(':');
                trailers.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
            }
            return null;
        }
        byte[] data = in.readNBytes(n);
        if (data.length != n || !line(in).isEmpty()) {
            throw new IOException("malformed chunk");
        }
        return data;
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new java.io.EOFException("connection closed in a line");
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(ISO_8859_1);
    }

    private static HttpClient httpClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private HttpResponse<byte[]> send(HttpClient http, String method, String path, String body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(url(path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body, UTF_8));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), BodyHandlers.ofByteArray());
    }

    /** Bytes {@code from} to {@code from + n} of an endless text of numbered lines ("0000000\n0000001\n..."). */
    private static byte[] pattern(long from, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            long p = from + i;
            int column = (int) (p % 8);
            long line = p / 8;
            b[i] = column == 7 ? (byte) '\n' : (byte) ('0' + (line / pow10(6 - column)) % 10);
        }
        return b;
    }

    private static long pow10(int e) {
        long r = 1;
        for (int i = 0; i < e; i++) {
            r *= 10;
        }
        return r;
    }

    private Worker start(String name, Worker.Body body) {
        Worker w = new Worker(name, body);
        workers.add(w);
        return w;
    }

    /** A loop on a thread of its own that reports its progress and its end; waiters wake on either. */
    private static final class Worker {
        interface Body {
            void run(Worker w) throws Exception;
        }

        final String name;
        private volatile boolean stop;
        private long progress;
        private boolean ended;
        private Throwable failure;

        Worker(String name, Body body) {
            this.name = name;
            Thread thread = new Thread(() -> {
                Throwable t = null;
                try {
                    body.run(this);
                } catch (Throwable e) {
                    t = e;
                }
                synchronized (this) {
                    failure = t;
                    ended = true;
                    notifyAll();
                }
            }, name);
            thread.setDaemon(true);
            thread.start();
        }

        boolean stopping() {
            return stop;
        }

        void stop() {
            stop = true;
        }

        synchronized void progress(long value) {
            progress = value;
            notifyAll();
        }

        synchronized long progress() {
            return progress;
        }

        synchronized void awaitProgress(long min, Duration timeout, String what) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (progress < min) {
                if (ended) {
                    throw new AssertionError(name + " ended at " + progress + " without " + what, failure);
                }
                waitUntil(deadline, what);
            }
        }

        /** Waits until the loop has ended; returns what ended it (null if it returned). */
        synchronized Throwable awaitEnd(Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!ended) {
                waitUntil(deadline, "the end of " + name);
            }
            return failure;
        }

        private void waitUntil(long deadline, String what) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("timed out waiting for " + what + " (" + name + " at " + progress + ")");
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }
}
