package org.httpfstream.server;

import org.httpfstream.testing.TestCertificates;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpResponse.BodySubscriber;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.httpfstream.auth.AuthConfig;
import org.httpfstream.server.testing.ServerExtension;
import org.httpfstream.testing.Await;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * HTTPS (HTTP/1.1 and h2 by ALPN) and cleartext h2c with prior knowledge, driven by the JDK's HttpClient and
 * curl: every kind of read and write, many follows over one connection, a stalled stream beside a live
 * one, a certificate reload, and the access checks over both.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsAndHttp2Test {
    @RegisterExtension
    final ServerExtension server = new ServerExtension().startedByTest();
    TestCertificates.Pem cert;

    void startTls(AuthConfig auth) throws IOException {
        cert = TestCertificates.selfSigned(server.folder(), "first");
        server.start(b -> b
                .longPollTimeout(Duration.ofSeconds(20)).tls(cert.config()).auth(auth));
    }

    HttpClient client(HttpClient.Version version, X509Certificate... trusted) {
        return HttpClient.newBuilder().version(version).sslContext(TestCertificates.trusting(trusted))
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    URI uri(String pathAndQuery) {
        return server.uri().resolve(pathAndQuery.substring(1));
    }

    HttpRequest request(String method, String pathAndQuery, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body, UTF_8));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return b.build();
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    @Nested
    class OverTls {
        @Test
        void aFileIsReadWholeOverHttp11AndOverH2ChosenByAlpn() throws Exception {
            startTls(null);
            assertThat(server.uri().getScheme()).isEqualTo("https");
            assertThat(server.get().tlsEngine()).isEqualTo("OpenSSL"); // netty-tcnative-boringssl-static loads here
            byte[] content = random(3 * 1024 * 1024 + 17); // many pieces through the TLS engine
            Files.write(server.root().resolve("big.bin"), content);
            for (HttpClient.Version version : HttpClient.Version.values()) {
                HttpResponse<byte[]> r = client(version, cert.x509()).send(request("GET", "/big.bin", null),
                        BodyHandlers.ofByteArray());
                assertThat(r.version()).isEqualTo(version);
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo(content);
                HttpResponse<byte[]> range = client(version, cert.x509()).send(
                        request("GET", "/big.bin", null, "Range", "bytes=100-199"), BodyHandlers.ofByteArray());
                assertThat(range.statusCode()).isEqualTo(206);
                assertThat(range.body()).isEqualTo(java.util.Arrays.copyOfRange(content, 100, 200));
            }
        }

        @Test
        void everyDurableStreamsRequestWorksOverH2() throws Exception {
            startTls(null);
            HttpClient h2 = client(HttpClient.Version.HTTP_2, cert.x509());
            HttpResponse<String> put = h2.send(request("PUT", "/ds/a.txt", "hello ", "Content-Type", "text/plain"),
                    BodyHandlers.ofString());
            assertThat(put.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(put.statusCode()).isEqualTo(201);
            HttpResponse<String> catchUp = h2.send(request("GET", "/ds/a.txt?offset=-1", null), BodyHandlers.ofString());
            assertThat(catchUp.body()).isEqualTo("hello ");
            assertThat(catchUp.headers().firstValue("Stream-Next-Offset")).hasValue("0000000000000006");
            assertThat(catchUp.headers().firstValue("Content-Security-Policy")).isPresent();
            assertThat(catchUp.headers().map()).doesNotContainKeys("connection", "transfer-encoding");

            CompletableFuture<HttpResponse<String>> longPoll = h2.sendAsync(
                    request("GET", "/ds/a.txt?offset=0000000000000006&live=long-poll", null), BodyHandlers.ofString());
            CompletableFuture<HttpResponse<String>> follow = h2.sendAsync(request("GET", "/ds/a.txt?follow", null),
                    BodyHandlers.ofString());
            HttpResponse<InputStream> sse = h2.send(request("GET", "/ds/a.txt?offset=-1&live=sse", null),
                    BodyHandlers.ofInputStream());
            assertThat(sse.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(sse.headers().firstValue("Content-Type")).hasValue("text/event-stream");
            try (BufferedReader events = new BufferedReader(new InputStreamReader(sse.body(), UTF_8))) {
                assertThat(DurableStreamsTest.readSseUntil(events, "data:hello ")).contains("event: data\n");
                Await.until("the live readers are in", () -> server.get().liveReaders() >= 2);
                assertThat(h2.send(request("POST", "/ds/a.txt", "world", "Content-Type", "text/plain"),
                        BodyHandlers.ofString()).statusCode()).isEqualTo(204);
                HttpResponse<String> polled = longPoll.get(20, TimeUnit.SECONDS);
                assertThat(polled.statusCode()).isEqualTo(200);
                assertThat(polled.body()).isEqualTo("world");
                assertThat(DurableStreamsTest.readSseUntil(events, "data:world")).contains("event: data\n");
                assertThat(h2.send(request("POST", "/ds/a.txt", "!", "Content-Type", "text/plain",
                        "Stream-Closed", "true"), BodyHandlers.ofString()).statusCode()).isEqualTo(204);
            }
            HttpResponse<String> followed = follow.get(20, TimeUnit.SECONDS);
            assertThat(followed.statusCode()).isEqualTo(200);
            assertThat(followed.body()).isEqualTo("hello world!");
            HttpResponse<Void> head = h2.send(request("HEAD", "/ds/a.txt", null), BodyHandlers.discarding());
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.headers().firstValue("Stream-Closed")).hasValue("true");
            assertThat(head.headers().firstValue("Stream-Next-Offset")).hasValue("000000000000000c");

            assertThat(h2.send(request("PUT", "/ds/e.json", "[1,2]", "Content-Type", "application/json"),
                    BodyHandlers.ofString()).statusCode()).isEqualTo(201);
            assertThat(h2.send(request("GET", "/ds/e.json?offset=-1", null), BodyHandlers.ofString()).body())
                    .isEqualTo("[1,2]");

            assertThat(h2.send(request("DELETE", "/ds/a.txt", null), BodyHandlers.ofString()).statusCode())
                    .isEqualTo(204);
            assertThat(h2.send(request("GET", "/ds/a.txt?offset=-1", null), BodyHandlers.ofString()).statusCode())
                    .isEqualTo(404);
            assertThat(server.get().openConnections()).isEqualTo(1); // all of it over one HTTP/2 connection
        }

        @Test
        void aHundredFollowsShareOneConnection() throws Exception {
            startTls(null);
            HttpClient h2 = client(HttpClient.Version.HTTP_2, cert.x509());
            int n = 100;
            for (int i = 0; i < n; i++) {
                assertThat(h2.send(request("PUT", "/many/" + i, null, "Content-Type", "application/octet-stream"),
                        BodyHandlers.ofString()).statusCode()).isEqualTo(201);
            }
            List<CompletableFuture<HttpResponse<byte[]>>> follows = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                follows.add(h2.sendAsync(request("GET", "/many/" + i + "?follow", null), BodyHandlers.ofByteArray()));
            }
            Await.until("all " + n + " follows are in", () -> server.get().liveReaders() == n);
            assertThat(server.get().openConnections()).isEqualTo(1);
            for (int i = 0; i < n; i++) {
                assertThat(h2.send(request("POST", "/many/" + i, "stream " + i, "Content-Type",
                        "application/octet-stream", "Stream-Closed", "true"), BodyHandlers.ofString()).statusCode())
                        .isEqualTo(204);
            }
            for (int i = 0; i < n; i++) {
                HttpResponse<byte[]> r = follows.get(i).get(30, TimeUnit.SECONDS);
                assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
                assertThat(new String(r.body(), UTF_8)).isEqualTo("stream " + i);
            }
            assertThat(server.get().openConnections()).isEqualTo(1);
        }

        @Test
        void aStalledStreamStallsNeitherItsNeighbourNorTheAppender() throws Exception {
            startTls(null);
            HttpClient h2 = client(HttpClient.Version.HTTP_2, cert.x509());
            // More than the JDK client's stream window (16 MiB) and than the server will buffer for it.
            byte[] content = random(24 * 1024 * 1024);
            Files.write(server.root().resolve("huge.bin"), content);
            Stalled stalled = new Stalled();
            CompletableFuture<HttpResponse<byte[]>> slow = h2.sendAsync(request("GET", "/huge.bin", null),
                    info -> stalled);
            Await.until("the stalled reader got its first bytes", () -> stalled.received.get() > 0);

            assertThat(h2.send(request("PUT", "/live.bin", null, "Content-Type", "application/octet-stream"),
                    BodyHandlers.ofString()).statusCode()).isEqualTo(201);
            HttpResponse<InputStream> live = h2.send(request("GET", "/live.bin?follow", null),
                    BodyHandlers.ofInputStream());
            assertThat(live.version()).isEqualTo(HttpClient.Version.HTTP_2);
            try (InputStream in = live.body()) {
                for (int i = 0; i < 50; i++) {
                    byte[] piece = random(64 * 1024 + i);
                    // the appender is answered while one stream of the connection reads nothing
                    HttpRequest post = HttpRequest.newBuilder(uri("/live.bin")).timeout(Duration.ofSeconds(30))
                            .header("Content-Type", "application/octet-stream")
                            .POST(BodyPublishers.ofByteArray(piece)).build();
                    assertThat(h2.send(post, BodyHandlers.ofString()).statusCode()).isEqualTo(204);
                    assertThat(in.readNBytes(piece.length)).isEqualTo(piece); // and the neighbour reads on
                }
            }
            assertThat(stalled.received.get()).isLessThan(content.length); // it really was stalled
            stalled.resume();
            HttpResponse<byte[]> r = slow.get(60, TimeUnit.SECONDS);
            assertThat(r.body()).isEqualTo(content); // and then got every byte, in order
            assertThat(server.get().openConnections()).isEqualTo(1);
        }

        @Test
        void aStalledFollowerStallsNeitherTheOtherFollowerNorTheAppender() throws Exception {
            startTls(null);
            HttpClient h2 = client(HttpClient.Version.HTTP_2, cert.x509());
            assertThat(h2.send(request("PUT", "/fan.bin", null, "Content-Type", "application/octet-stream"),
                    BodyHandlers.ofString()).statusCode()).isEqualTo(201);
            Stalled stalled = new Stalled();
            CompletableFuture<HttpResponse<byte[]>> slow = h2.sendAsync(request("GET", "/fan.bin?follow", null),
                    info -> stalled);
            HttpResponse<InputStream> live = h2.send(request("GET", "/fan.bin?follow", null),
                    BodyHandlers.ofInputStream());
            Await.until("both followers are in", () -> server.get().liveReaders() == 2);
            ByteArrayOutputStream appended = new ByteArrayOutputStream();
            try (InputStream in = live.body()) {
                // 24 MiB in all: more than the JDK client's stream window (16 MiB) holds for the stalled one
                for (int i = 0; i < 24; i++) {
                    byte[] piece = random(1024 * 1024 + i);
                    appended.writeBytes(piece);
                    HttpRequest post = HttpRequest.newBuilder(uri("/fan.bin")).timeout(Duration.ofSeconds(30))
                            .header("Content-Type", "application/octet-stream")
                            .POST(BodyPublishers.ofByteArray(piece)).build();
                    assertThat(h2.send(post, BodyHandlers.ofString()).statusCode()).isEqualTo(204);
                    assertThat(in.readNBytes(piece.length)).isEqualTo(piece);
                }
                assertThat(stalled.received.get()).isLessThan(appended.size()); // it really was stalled
                assertThat(h2.send(request("POST", "/fan.bin", null, "Stream-Closed", "true",
                        "Content-Type", "application/octet-stream"), BodyHandlers.ofString()).statusCode())
                        .isEqualTo(204);
                assertThat(in.readAllBytes()).isEmpty();
            }
            stalled.resume();
            assertThat(slow.get(60, TimeUnit.SECONDS).body()).isEqualTo(appended.toByteArray());
            assertThat(server.get().openConnections()).isEqualTo(1);
        }

        @Test
        void aReloadGivesNewConnectionsTheNewCertificateAndKeepsOpenOnes() throws Exception {
            startTls(null);
            TestCertificates.Pem second = TestCertificates.selfSigned(server.folder(), "second");
            HttpClient before = client(HttpClient.Version.HTTP_2, cert.x509(), second.x509());
            assertThat(before.send(request("PUT", "/r.txt", "a", "Content-Type", "text/plain"),
                    BodyHandlers.ofString()).statusCode()).isEqualTo(201);
            CompletableFuture<HttpResponse<String>> follow = before.sendAsync(request("GET", "/r.txt?follow", null),
                    BodyHandlers.ofString());
            Await.until("the follow is in", () -> server.get().liveReaders() == 1);

            Files.copy(second.certificate(), cert.certificate(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.copy(second.key(), cert.key(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            assertThat(server.get().reloadTls()).isTrue();

            HttpResponse<String> fresh = client(HttpClient.Version.HTTP_2, cert.x509(), second.x509())
                    .send(request("GET", "/r.txt?offset=-1", null), BodyHandlers.ofString());
            assertThat(fresh.sslSession().orElseThrow().getPeerCertificates()[0]).isEqualTo(second.x509());
            HttpResponse<String> old = before.send(request("POST", "/r.txt", "b", "Content-Type", "text/plain",
                    "Stream-Closed", "true"), BodyHandlers.ofString());
            assertThat(old.statusCode()).isEqualTo(204);
            assertThat(old.sslSession().orElseThrow().getPeerCertificates()[0]).isEqualTo(cert.x509());
            assertThat(follow.get(20, TimeUnit.SECONDS).body()).isEqualTo("ab"); // not dropped by the reload

            Files.writeString(cert.key(), "not a key\n");
            assertThat(server.get().reloadTls()).isFalse(); // a bad pair is refused, the one in force stays
            assertThat(client(HttpClient.Version.HTTP_2, second.x509()).send(request("GET", "/r.txt?offset=-1", null),
                    BodyHandlers.ofString()).body()).isEqualTo("ab");
        }

        @Test
        void tokensAndContentSafetyHoldOverH2AndHttp11() throws Exception {
            Path tokens = server.folder().resolve("tokens");
            Files.writeString(tokens, "t read,append /\n");
            startTls(AuthConfig.of(tokens));
            Files.writeString(server.root().resolve("page.html"), "<script>alert(1)</script>");
            for (HttpClient.Version version : HttpClient.Version.values()) {
                HttpClient c = client(version, cert.x509());
                HttpResponse<String> anonymous = c.send(request("GET", "/page.html", null), BodyHandlers.ofString());
                assertThat(anonymous.statusCode()).isEqualTo(401);
                assertThat(anonymous.version()).isEqualTo(version);
                HttpResponse<String> page = c.send(request("GET", "/page.html", null, "Authorization", "Bearer t"),
                        BodyHandlers.ofString());
                assertThat(page.statusCode()).isEqualTo(200);
                assertThat(page.headers().firstValue("Content-Security-Policy")).isPresent();
                assertThat(page.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
            }
        }

        @Test
        void aWebhookIsToldHttpsCallbackUrls() throws Exception {
            cert = TestCertificates.selfSigned(server.folder(), "first");
            server.start(b -> b.tls(cert.config())
                    .webhookTargets(org.httpfstream.subscriptions.WebhookTargets.allowing("127.0.0.1/32")));
            java.util.concurrent.LinkedBlockingQueue<String> got = new java.util.concurrent.LinkedBlockingQueue<>();
            com.sun.net.httpserver.HttpServer receiver = com.sun.net.httpserver.HttpServer.create(
                    new java.net.InetSocketAddress("127.0.0.1", 0), 0);
            receiver.createContext("/", exchange -> {
                got.add(new String(exchange.getRequestBody().readAllBytes(), UTF_8));
                exchange.sendResponseHeaders(204, -1);
                exchange.close();
            });
            receiver.start();
            try {
                HttpClient h2 = client(HttpClient.Version.HTTP_2, cert.x509());
                HttpResponse<String> sub = h2.send(request("PUT", "/__ds/subscriptions/s1",
                        "{\"type\":\"webhook\",\"pattern\":\"events/*\",\"webhook\":{\"url\":\"http://127.0.0.1:"
                                + receiver.getAddress().getPort() + "/hook\"}}", "Content-Type", "application/json"),
                        BodyHandlers.ofString());
                assertThat(sub.statusCode()).as(sub.body()).isEqualTo(201);
                assertThat(h2.send(request("PUT", "/events/a", null, "Content-Type", "text/plain"), BodyHandlers.ofString()).statusCode())
                        .isEqualTo(201);
                assertThat(h2.send(request("POST", "/events/a", "x", "Content-Type", "text/plain"),
                        BodyHandlers.ofString()).statusCode()).isIn(200, 204);
                String delivery = got.poll(20, TimeUnit.SECONDS);
                assertThat(delivery).contains("\"callback_url\":\"https://127.0.0.1:" + server.get().port() + "/");
            } finally {
                receiver.stop(0);
            }
        }

        @Test
        void anEcCertificateServesH2Too() throws Exception {
            cert = TestCertificates.selfSigned(server.folder(), "ec", "EC", "dns:localhost,ip:127.0.0.1");
            server.start(b -> b.tls(cert.config())
                    );
            Files.writeString(server.root().resolve("e.txt"), "elliptic");
            HttpResponse<String> r = client(HttpClient.Version.HTTP_2, cert.x509()).send(request("GET", "/e.txt", null),
                    BodyHandlers.ofString());
            assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(r.body()).isEqualTo("elliptic");
        }

        @Test
        void closingTheServerDrainsH2FollowersAtOnce() throws Exception {
            startTls(null);
            HttpClient h2 = client(HttpClient.Version.HTTP_2, cert.x509());
            assertThat(h2.send(request("PUT", "/g.txt", "so far", "Content-Type", "text/plain"),
                    BodyHandlers.ofString()).statusCode()).isEqualTo(201);
            CompletableFuture<HttpResponse<String>> follow = h2.sendAsync(request("GET", "/g.txt?follow", null),
                    BodyHandlers.ofString());
            Await.until("the follow is in", () -> server.get().liveReaders() == 1);
            long start = System.nanoTime();
            server.stop();
            // Well inside the 10 s drain timeout: the follower is ended with its resume offset (the
            // trailers Stream-Next-Offset and Stream-Writer-Active: true, as over HTTP/1.1, see DrainTest),
            // and the connection goes away once its streams have ended.
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            HttpResponse<String> ended = follow.get(20, TimeUnit.SECONDS);
            assertThat(ended.statusCode()).isEqualTo(200);
            assertThat(ended.body()).isEqualTo("so far");
        }

        @Test
        void aMissingKeyFailsTheStartWithOneLine() throws Exception {
            cert = TestCertificates.selfSigned(server.folder(), "first");
            Files.delete(cert.key());
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> server.start(b -> b.tls(cert.config())))
                    .isInstanceOf(IOException.class).hasMessageContaining(cert.key().toString());
        }
    }

    /** A body subscriber that takes one buffer, then nothing until {@link #resume()}. */
    static final class Stalled implements BodySubscriber<byte[]> {
        final AtomicLong received = new AtomicLong();
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final CompletableFuture<byte[]> body = new CompletableFuture<>();
        final AtomicReference<Flow.Subscription> subscription = new AtomicReference<>();

        @Override
        public CompletionStage<byte[]> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription.set(s);
            s.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> item) {
            synchronized (bytes) {
                for (ByteBuffer b : item) {
                    received.addAndGet(b.remaining());
                    byte[] a = new byte[b.remaining()];
                    b.get(a);
                    bytes.writeBytes(a);
                }
            }
        }

        void resume() {
            subscription.get().request(Long.MAX_VALUE);
        }

        @Override
        public void onError(Throwable t) {
            body.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            synchronized (bytes) {
                body.complete(bytes.toByteArray());
            }
        }
    }

    @Nested
    class H2cWithPriorKnowledge {
        @Test
        void curlReadsAndWritesOverCleartextHttp2() throws Exception {
            server.start();
            String base = server.uri().toString();
            assertThat(curl("-sS", "--http2-prior-knowledge", "-X", "PUT", "-H", "Content-Type: text/plain",
                    "--data-binary", "over h2c", "-o", "/dev/null", "-w", "%{http_version} %{http_code}",
                    base + "c.txt")).isEqualTo("2 201");
            assertThat(curl("-sS", "--http2-prior-knowledge", base + "c.txt?offset=-1")).isEqualTo("over h2c");
            String head = curl("-sS", "--http2-prior-knowledge", "-I", base + "c.txt");
            assertThat(head).startsWith("HTTP/2 200").contains("stream-next-offset: 0000000000000008");
            Files.write(server.root().resolve("f.bin"), random(1 << 20));
            assertThat(curl("-sS", "--http2-prior-knowledge", "-o", server.folder().resolve("copy.bin").toString(),
                    "-w", "%{http_version} %{http_code}", base + "f.bin")).isEqualTo("2 200");
            assertThat(Files.readAllBytes(server.folder().resolve("copy.bin"))).isEqualTo(random(1 << 20));
            // and HTTP/1.1 on the same port, as before
            assertThat(curl("-sS", "--http1.1", "-o", "/dev/null", "-w", "%{http_version} %{http_code}",
                    base + "c.txt")).isEqualTo("1.1 200");
        }
    }

    @Nested
    class IdleHttp2Connections {
        @Test
        void areClosedWhenNoStreamIsOpenButKeptWhileAQuietFollowIs() throws Exception {
            server.start(b -> b
                    .settings(HttpFStreamSettings.defaults().withIdleTimeout(Duration.ofSeconds(1))));
            try (java.net.Socket idle = new java.net.Socket("127.0.0.1", server.get().port())) {
                idle.setSoTimeout(20_000);
                idle.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(UTF_8));
                idle.getOutputStream().write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0}); // empty SETTINGS
                idle.getOutputStream().flush();
                long start = System.nanoTime();
                InputStream in = idle.getInputStream();
                while (in.read() >= 0) {
                    // the server's SETTINGS, its ACK of ours, then GOAWAY, then the end
                }
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
            }

            assertThat(curl("-sS", "--http2-prior-knowledge", "-X", "PUT", "-H", "Content-Type: text/plain",
                    "-o", "/dev/null", "-w", "%{http_code}", server.uri() + "q.txt")).isEqualTo("201");
            Process follow = new ProcessBuilder("curl", "-sS", "-N", "--http2-prior-knowledge",
                    server.uri() + "q.txt?follow").redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try {
                Await.until("the follow is in", () -> server.get().liveReaders() == 1);
                // three idle timeouts of silence: time passing is the point here, not an event awaited
                java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofSeconds(3).toNanos());
                assertThat(server.get().liveReaders()).isEqualTo(1);
                assertThat(curl("-sS", "--http2-prior-knowledge", "-X", "POST", "-H", "Content-Type: text/plain",
                        "-H", "Stream-Closed: true", "--data-binary", "late", "-o", "/dev/null", "-w", "%{http_code}",
                        server.uri() + "q.txt")).isEqualTo("204");
                assertThat(new String(follow.getInputStream().readAllBytes(), UTF_8)).isEqualTo("late");
                assertThat(follow.waitFor(20, TimeUnit.SECONDS)).isTrue();
                assertThat(follow.exitValue()).isZero(); // a clean end, with its trailer
            } finally {
                follow.destroy();
            }
        }
    }

    /** Runs curl and returns its standard output; fails on a non-zero exit. */
    static String curl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("curl");
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("curl exit status of " + command).isZero();
        return new String(out, UTF_8);
    }
}
