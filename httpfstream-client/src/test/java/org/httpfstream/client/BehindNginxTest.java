package org.httpfstream.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.httpfstream.server.http.SseSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The documented nginx configuration ({@code docs/nginx/httpfstream.conf}, used as it is but for its
 * two addresses) with Debian's nginx in front of a real server: WebSocket append and follow, {@code
 * ?follow}, a multi-megabyte POST, a browser's write, and an SSE response idle for longer than nginx's
 * 60 s read timeout. Beside it, in the same nginx, two proxies as operators first write them: a plain
 * {@code proxy_pass} that drops the WebSocket upgrade (the Java follower goes on with {@code ?follow}),
 * and a second hop in front of the documented one, which cuts an idle {@code ?follow} at 60 s (the
 * follower resumes from its offset).
 *
 * <p>The two tests that must stay idle for more than 60 s start in {@link #start()} and run while the
 * quick ones do; they are checked last. Without nginx the class is skipped (Debian package {@code
 * nginx}), unless the environment says {@code CI=true}: then it fails.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BehindNginxTest {
    /** Longer than nginx's proxy_read_timeout of 60 s. */
    static final Duration IDLE = Duration.ofSeconds(66);
    static final Path CONFIG = Path.of("..", "docs", "nginx", "httpfstream.conf");

    Path root;
    Path nginxDir;
    RealServer server;
    Process nginx;
    int documented;
    int plain;
    int chained;
    final HttpFStreamClient client = HttpFStreamClient.defaultClient();
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    /** Threads for the followers and the two long tests (not the common pool: it may have one thread). */
    final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "behind-nginx");
        t.setDaemon(true);
        return t;
    });
    CompletableFuture<List<String>> idleSse;
    CompletableFuture<String> idleChainedFollow;
    OutputStream chainedAppender;

    @BeforeAll
    void start() throws Exception {
        Path binary = nginxBinary();
        if (binary == null) {
            String why = "nginx is not installed (Debian package nginx: apt-get install -y nginx)";
            if ("true".equals(System.getenv("CI"))) {
                fail(why + "; CI=true, so the proxy tests must run");
            }
            Assumptions.assumeTrue(false, why + ": skipping the reverse-proxy tests");
        }
        // SSE responses outlive the idle period here, so that only the keep-alives hold them open.
        root = Files.createTempDirectory("httpfstream-nginx-root");
        server = RealServer.start(root, b -> b.sse(new SseSettings(Duration.ofSeconds(120))));
        documented = freePort();
        plain = freePort();
        chained = freePort();
        nginxDir = Files.createTempDirectory("httpfstream-nginx",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.writeString(nginxDir.resolve("httpfstream.conf"), documentedConfig(Files.readString(CONFIG)));
        Files.writeString(nginxDir.resolve("nginx.conf"), mainConfig());
        nginx = new ProcessBuilder(binary.toString(), "-p", nginxDir + "/", "-c", nginxDir.resolve("nginx.conf").toString(),
                "-e", nginxDir.resolve("error.log").toString(), "-g", "daemon off;")
                .redirectErrorStream(true).redirectOutput(nginxDir.resolve("stdout.log").toFile()).start();
        for (int port : new int[] {documented, plain, chained}) {
            await("nginx listens on " + port + " (" + log("stdout.log") + log("error.log") + ")", () -> accepts(port));
        }
        idleSse = async(() -> sseIdleThenData());
        idleChainedFollow = async(() -> followIdleThroughTwoHops());
    }

    @AfterAll
    void stop() throws Exception {
        if (chainedAppender != null) {
            chainedAppender.close();
        }
        if (nginx != null) {
            nginx.destroy(); // SIGTERM to the master, by its PID: a fast shutdown
            if (!nginx.waitFor(10, TimeUnit.SECONDS)) {
                nginx.destroyForcibly();
            }
        }
        if (server != null) {
            server.close();
        }
        threads.shutdownNow();
        delete(nginxDir);
        delete(root);
    }

    static void delete(Path dir) throws IOException {
        if (dir == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The shipped file, with only the upstream's and the listener's addresses replaced. */
    String documentedConfig(String shipped) {
        String upstream = "    server 127.0.0.1:8080;\n";
        String listen = "    listen 80;\n";
        assertThat(shipped).as("the addresses this test replaces").contains(upstream, listen);
        return shipped.replace(upstream, "    server 127.0.0.1:" + server.server.port() + ";\n")
                .replace(listen, "    listen 127.0.0.1:" + documented + ";\n");
    }

    /** The test's own main file: paths in the temporary folder, the documented site, two naive proxies. */
    String mainConfig() {
        String d = nginxDir.toString();
        return "worker_processes 1;\n"
                + "pid " + d + "/nginx.pid;\n"
                + "error_log " + d + "/error.log info;\n"
                + "events { worker_connections 256; }\n"
                + "http {\n"
                + "    access_log " + d + "/access.log;\n"
                + "    client_body_temp_path " + d + "/client_body;\n"
                + "    proxy_temp_path " + d + "/proxy;\n"
                + "    fastcgi_temp_path " + d + "/fastcgi;\n"
                + "    uwsgi_temp_path " + d + "/uwsgi;\n"
                + "    scgi_temp_path " + d + "/scgi;\n"
                + "    include " + d + "/httpfstream.conf;\n"
                + "    # A plain proxy_pass: no Upgrade headers, HTTP/1.0 to the server, nginx's defaults.\n"
                + "    server {\n"
                + "        listen 127.0.0.1:" + plain + ";\n"
                + "        access_log " + d + "/plain.log;\n"
                + "        location / { proxy_pass http://127.0.0.1:" + server.server.port() + "; }\n"
                + "    }\n"
                + "    # A second hop in front of the documented one, streaming but without the upgrade.\n"
                + "    server {\n"
                + "        listen 127.0.0.1:" + chained + ";\n"
                + "        access_log " + d + "/chained.log;\n"
                + "        location / {\n"
                + "            proxy_pass http://127.0.0.1:" + documented + ";\n"
                + "            proxy_http_version 1.1;\n"
                + "            proxy_buffering off;\n"
                + "        }\n"
                + "    }\n"
                + "}\n";
    }

    URI via(int port, String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port + pathAndQuery);
    }

    // ---------------------------------------------------------------- quick tests

    /** Runs {@code call} on a thread of {@link #threads}; what it throws fails the future. */
    private <T> CompletableFuture<T> async(Callable<T> call) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return call.call();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, threads);
    }

    /** An append to {@code uri} that wrote and flushed {@code text}, once the bytes are in {@code file} on disk. */
    private OutputStream appenderWrote(URI uri, String text, String file) throws Exception {
        OutputStream appender = client.openAppend(uri);
        appender.write(text.getBytes(StandardCharsets.UTF_8));
        appender.flush();
        await("the first bytes are on disk", () -> size(file) == text.length());
        return appender;
    }

    @Test
    @Order(1)
    void webSocketAppendAndFollowGoThroughTheDocumentedConfig() throws Exception {
        URI uri = via(documented, "/ws/build.log");
        CompletableFuture<byte[]> followed;
        try (OutputStream appender = appenderWrote(uri, "hello ", "ws/build.log")) {
            FollowInputStream in = client.follow(uri);
            followed = async(() -> {
                try (in) {
                    return FollowTest.readAll(in, 4096);
                }
            });
            appender.write("world".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(new String(followed.get(20, TimeUnit.SECONDS), StandardCharsets.UTF_8)).isEqualTo("hello world");
        await("both went over WebSockets (nginx logs a WebSocket when it ends)", () -> accessLog("access.log")
                .stream().filter(l -> l.contains("\"GET /ws/build.log HTTP/1.1\" 101 ")).count() == 2);
    }

    @Test
    @Order(2)
    void aFollowerBehindAPlainProxyPassGoesOnWithFollowInsteadOfStoppingAtTheBytesSoFar() throws Exception {
        try (OutputStream appender = appenderWrote(server.uri("/plain/build.log"), "part1 ", "plain/build.log")) {
            try (FollowInputStream in = client.follow(via(plain, "/plain/build.log"))) {
                assertThat(new String(in.readNBytes(6), StandardCharsets.UTF_8)).isEqualTo("part1 ");
                appender.write("part2".getBytes(StandardCharsets.UTF_8));
                appender.flush();
                // While the append goes on, only a live read can bring these bytes (a second answer of
                // the bytes so far would fail the follower).
                CompletableFuture<byte[]> live = async(() -> in.readNBytes(5));
                assertThat(new String(live.get(20, TimeUnit.SECONDS), StandardCharsets.UTF_8)).isEqualTo("part2");
                appender.close();
                CompletableFuture<Integer> end = async(() -> in.read());
                assertThat(end.get(20, TimeUnit.SECONDS)).as("the end, once the append ends").isEqualTo(-1);
            }
        }
        await("nginx logged the follower's requests", () -> accessLog("plain.log").size() >= 3);
        List<String> requests = accessLog("plain.log");
        assertThat(requests.get(0)).as("the bytes so far, not an upgrade").contains("\"GET /plain/build.log HTTP/1.1\" 200 ");
        assertThat(requests.get(1)).contains("\"GET /plain/build.log?offset=0000000000000006&follow HTTP/1.1\" 200 ");
    }

    @Test
    @Order(50) // after the test that reads the plain proxy's access log from its first line
    void aFollowerOfAnOpenDurableStreamBehindAPlainProxyPassGoesOnToTheStreamsClose() throws Exception {
        // No WebSocket appender here: the stream is live because it was created over Durable Streams and
        // is not closed yet, whoever appends to it.
        URI direct = server.uri("/plain/ds.txt");
        assertThat(http.send(HttpRequest.newBuilder(direct).PUT(HttpRequest.BodyPublishers.ofString("part1 "))
                .header("Content-Type", "text/plain").build(), BodyHandlers.discarding()).statusCode()).isEqualTo(201);
        try (FollowInputStream in = client.follow(via(plain, "/plain/ds.txt"))) {
            assertThat(new String(in.readNBytes(6), StandardCharsets.UTF_8)).isEqualTo("part1 ");
            CompletableFuture<byte[]> live = async(() -> in.readNBytes(5));
            assertThat(http.send(HttpRequest.newBuilder(direct).POST(HttpRequest.BodyPublishers.ofString("part2"))
                    .header("Content-Type", "text/plain").build(), BodyHandlers.discarding()).statusCode())
                    .isEqualTo(204);
            assertThat(new String(live.get(20, TimeUnit.SECONDS), StandardCharsets.UTF_8)).isEqualTo("part2");
            assertThat(http.send(HttpRequest.newBuilder(direct).POST(HttpRequest.BodyPublishers.noBody())
                    .header("Stream-Closed", "true").build(), BodyHandlers.discarding()).statusCode()).isEqualTo(204);
            CompletableFuture<Integer> end = async(() -> in.read());
            assertThat(end.get(20, TimeUnit.SECONDS)).as("the end, once the stream is closed").isEqualTo(-1);
        }
    }

    @Test
    @Order(3)
    void followStreamsThroughTheDocumentedConfigAndHeadTellsTheFinalOffset() throws Exception {
        try (OutputStream appender = appenderWrote(server.uri("/live/out.log"), "abc", "live/out.log")) {
            HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(via(documented, "/live/out.log?follow"))
                    .timeout(Duration.ofSeconds(10)).build(), BodyHandlers.ofInputStream());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Length")).isEmpty();
            assertThat(response.headers().firstValue("Stream-Writer-Active")).hasValue("true");
            try (InputStream body = response.body()) {
                assertThat(new String(body.readNBytes(3), StandardCharsets.UTF_8)).isEqualTo("abc");
                appender.write("def".getBytes(StandardCharsets.UTF_8));
                appender.flush();
                assertThat(new String(body.readNBytes(3), StandardCharsets.UTF_8)).as("live").isEqualTo("def");
                appender.close();
                assertThat(body.read()).as("the end, once the append ends").isEqualTo(-1);
            }
        }
        HttpResponse<Void> head = http.send(HttpRequest.newBuilder(via(documented, "/live/out.log"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), BodyHandlers.discarding());
        assertThat(head.headers().firstValue("Stream-Next-Offset")).hasValue("0000000000000006");
        assertThat(head.headers().firstValue("Stream-Writer-Active")).hasValue("false");
    }

    @Test
    @Order(4)
    void aTwelveMegabytePostGoesThroughTheDocumentedConfig() throws Exception {
        byte[] body = new byte[12 * 1024 * 1024];
        new Random(12).nextBytes(body);
        URI uri = via(documented, "/big.bin");
        assertThat(http.send(HttpRequest.newBuilder(uri).header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.noBody()).build(), BodyHandlers.ofString()).statusCode()).isEqualTo(201);
        HttpResponse<String> posted = http.send(HttpRequest.newBuilder(uri).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), BodyHandlers.ofString());
        assertThat(posted.statusCode()).as(posted.body()).isBetween(200, 204);
        HttpResponse<byte[]> read = http.send(HttpRequest.newBuilder(URI.create(uri + "?offset=-1")).build(),
                BodyHandlers.ofByteArray());
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.body()).isEqualTo(body);
    }

    @Test
    @Order(5)
    void aBrowserPageServedThroughNginxMayWriteAndAnotherMayNot() throws Exception {
        URI uri = via(documented, "/page/notes.txt");
        assertThat(http.send(HttpRequest.newBuilder(uri).header("Content-Type", "text/plain")
                .PUT(HttpRequest.BodyPublishers.noBody()).build(), BodyHandlers.ofString()).statusCode()).isEqualTo(201);
        HttpResponse<String> same = http.send(HttpRequest.newBuilder(uri).header("Content-Type", "text/plain")
                .header("Origin", "http://127.0.0.1:" + documented)
                .POST(HttpRequest.BodyPublishers.ofString("mine")).build(), BodyHandlers.ofString());
        assertThat(same.statusCode()).as("same origin: Host passed on with its port; %s", same.body()).isBetween(200, 204);
        HttpResponse<String> other = http.send(HttpRequest.newBuilder(uri).header("Content-Type", "text/plain")
                .header("Origin", "http://elsewhere.example")
                .POST(HttpRequest.BodyPublishers.ofString("theirs")).build(), BodyHandlers.ofString());
        assertThat(other.statusCode()).isEqualTo(403);
    }

    // ---------------------------------------------------------------- the two that idle past 60 s

    @Test
    @Order(100)
    void anSseResponseIdleForLongerThanTheReadTimeoutStaysOpenOnItsKeepAlives() throws Exception {
        List<String> lines = idleSse.get(IDLE.toSeconds() + 40, TimeUnit.SECONDS);
        assertThat(lines).as("keep-alive comments in %s of silence", IDLE)
                .filteredOn(": keep-alive"::equals).hasSizeGreaterThanOrEqualTo(4);
        assertThat(lines).contains("data:wake").doesNotContain("<EOF>");
    }

    @Test
    @Order(101)
    void aFollowerBehindTwoProxiesResumesFromItsOffsetAfterTheSecondCutsItsIdleFollow() throws Exception {
        assertThat(idleChainedFollow.get(IDLE.toSeconds() + 40, TimeUnit.SECONDS)).isEqualTo("before after");
        assertThat(log("error.log")).as("the second hop timed out").contains("upstream timed out");
        assertThat(accessLog("chained.log")).filteredOn(l -> l.contains("/chain/build.log?offset=0000000000000007&follow "))
                .as("?follow from the same offset, before and after the cut").hasSizeGreaterThanOrEqualTo(2);
    }

    /** Opens an SSE read of an empty stream through nginx, waits {@link #IDLE}, appends; returns the lines. */
    List<String> sseIdleThenData() throws Exception {
        URI uri = via(documented, "/sse/idle.txt");
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(uri).header("Content-Type", "text/plain")
                .PUT(HttpRequest.BodyPublishers.noBody()).build(), BodyHandlers.ofString());
        assertThat(created.statusCode()).isEqualTo(201);
        HttpResponse<InputStream> sse = http.send(HttpRequest.newBuilder(URI.create(uri + "?offset=-1&live=sse")).build(),
                BodyHandlers.ofInputStream());
        assertThat(sse.statusCode()).isEqualTo(200);
        BlockingQueue<String> queue = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(sse.body(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    queue.add(line);
                }
                queue.add("<EOF>");
            } catch (IOException e) {
                queue.add("<ERROR " + e + ">");
            }
        }, "sse-reader");
        reader.setDaemon(true);
        reader.start();
        List<String> lines = new ArrayList<>();
        long idleUntil = System.nanoTime() + IDLE.toNanos();
        for (long left; (left = idleUntil - System.nanoTime()) > 0; ) {
            String line = queue.poll(left, TimeUnit.NANOSECONDS);
            if (line != null) {
                lines.add(line);
                assertThat(line).as("the response after %s: %s", lines.size(), lines).doesNotStartWith("<");
            }
        }
        HttpResponse<String> posted = http.send(HttpRequest.newBuilder(uri).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("wake")).build(), BodyHandlers.ofString());
        assertThat(posted.statusCode()).isBetween(200, 204);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (long left; !lines.contains("data:wake") && (left = deadline - System.nanoTime()) > 0; ) {
            String line = queue.poll(left, TimeUnit.NANOSECONDS);
            if (line != null) {
                lines.add(line);
            }
        }
        sse.body().close();
        return lines;
    }

    /**
     * Follows through both hops (the upgrade dropped by the first, so over ?follow), stays idle for
     * {@link #IDLE}, then appends and ends the append; returns what the follower read.
     */
    String followIdleThroughTwoHops() throws Exception {
        chainedAppender = client.openAppend(server.uri("/chain/build.log"));
        chainedAppender.write("before ".getBytes(StandardCharsets.UTF_8));
        chainedAppender.flush();
        await("the first bytes are on disk", () -> size("chain/build.log") == 7);
        long started = System.nanoTime();
        FollowInputStream in = client.follow(via(chained, "/chain/build.log"));
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        CompletableFuture<Void> reading = CompletableFuture.runAsync(() -> {
            byte[] buffer = new byte[4096];
            try (in) {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    synchronized (got) {
                        got.write(buffer, 0, n);
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }, threads);
        await("the follower read the first bytes", () -> {
            synchronized (got) {
                return got.size() == 7;
            }
        });
        long idleUntil = started + IDLE.toNanos();
        while (System.nanoTime() < idleUntil) {
            assertThat(reading).as("the follower is still following").isNotDone();
            try {
                reading.get(Math.max(1, (idleUntil - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException expected) {
                // still following, as it should
            }
        }
        chainedAppender.write("after".getBytes(StandardCharsets.UTF_8));
        chainedAppender.close();
        reading.get(30, TimeUnit.SECONDS);
        synchronized (got) {
            return got.toString(StandardCharsets.UTF_8);
        }
    }

    // ---------------------------------------------------------------- helpers

    long size(String path) {
        try {
            Path p = root.resolve(path);
            return Files.exists(p) ? Files.size(p) : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    List<String> accessLog(String name) {
        try {
            Path p = nginxDir.resolve(name);
            return Files.exists(p) ? Files.readAllLines(p) : List.of();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    String log(String name) {
        return String.join("\n", accessLog(name));
    }

    static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting until " + what);
            }
            TimeUnit.MILLISECONDS.sleep(20); // polling a condition with a deadline
        }
    }

    /** The nginx binary on the PATH or in /usr/sbin (Debian's place, often not on a user's PATH). */
    static Path nginxBinary() {
        List<Path> candidates = new ArrayList<>();
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty()) {
                candidates.add(Path.of(dir, "nginx"));
            }
        }
        candidates.add(Path.of("/usr/sbin/nginx"));
        return candidates.stream().filter(Files::isExecutable).findFirst().orElse(null);
    }
}
