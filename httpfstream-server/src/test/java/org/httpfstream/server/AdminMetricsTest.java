package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.httpfstream.server.WebSocketTest.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.httpfstream.server.Refusals.Reason;
import org.httpfstream.server.admin.ServerMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin listener against a real server on real sockets: {@code /metrics} scraped with the JDK's
 * HttpClient, its metrics by exact name and labels, their values moving with what the test did;
 * {@code /healthz} and {@code /readyz}; and the stream port's namespace untouched by it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminMetricsTest {
    @TempDir Path dir;
    final List<HttpFStreamServer> servers = new ArrayList<>();
    final List<AutoCloseable> open = new ArrayList<>();
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpFStreamServer server;
    InetSocketAddress address;

    HttpFStreamServer start(HttpFStreamServerBuilder b) throws IOException {
        HttpFStreamServer s = b.bind("127.0.0.1", 0).admin("127.0.0.1", 0).build().start();
        servers.add(s);
        return s;
    }

    void start() throws IOException {
        server = start(HttpFStreamServer.builder().root(dir.resolve("root")));
        address = server.localAddress();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        for (HttpFStreamServer s : servers) {
            s.close();
        }
    }

    HttpResponse<String> admin(HttpFStreamServer s, String method, String path) throws Exception {
        InetSocketAddress a = s.adminAddress();
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.getPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Every sample of a scrape of {@code s}, by name and labels as written: {@code name{k="v"}}. */
    Map<String, Double> scrape(HttpFStreamServer s) throws Exception {
        HttpResponse<String> r = admin(s, "GET", "/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("text/plain; version=0.0.4"));
        Map<String, Double> samples = new HashMap<>();
        for (String line : r.body().split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return samples;
    }

    double metric(String sample) throws Exception {
        Double v = scrape(server).get(sample);
        assertThat(v).as(sample).isNotNull();
        return v;
    }

    HttpResponse<String> stream(String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + path))
                .timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A raw socket with {@code request} sent, closed after the test. */
    Socket send(String request) throws IOException {
        Socket s = new Socket();
        open.add(s);
        s.connect(address, 5000);
        s.setSoTimeout(20_000);
        s.getOutputStream().write(request.getBytes(ISO_8859_1));
        s.getOutputStream().flush();
        return s;
    }

    void awaitMetric(String sample, double value) {
        await(sample + " == " + value, () -> {
            try {
                return Double.valueOf(value).equals(scrape(server).get(sample));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    @Nested
    class TheAdminListener {
        @Test
        void isOffByDefault() throws Exception {
            HttpFStreamServer s = HttpFStreamServer.builder().root(dir.resolve("plain")).bind("127.0.0.1", 0)
                    .build().start();
            servers.add(s);
            assertThat(s.adminAddress()).isNull();
            assertThat(s.metrics()).isNull();
        }

        @Test
        void answersHealthAndReadinessAndNothingElse() throws Exception {
            start();
            assertThat(server.adminAddress().getPort()).isNotEqualTo(address.getPort());
            HttpResponse<String> health = admin(server, "GET", "/healthz");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).isEqualTo("ok\n");
            HttpResponse<String> ready = admin(server, "GET", "/readyz");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).isEqualTo("ready\n");
            assertThat(admin(server, "HEAD", "/healthz").statusCode()).isEqualTo(200);
            HttpResponse<String> other = admin(server, "GET", "/logs/app");
            assertThat(other.statusCode()).isEqualTo(404);
            assertThat(other.body()).isEqualTo(
                    "not found: /logs/app (the admin listener serves /metrics, /healthz and /readyz)\n");
            HttpResponse<String> post = admin(server, "POST", "/metrics");
            assertThat(post.statusCode()).isEqualTo(405);
            assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
        }

        @Test
        void saysNotReadyWhileDraining() throws Exception {
            start();
            server.setDraining(true);
            HttpResponse<String> r = admin(server, "GET", "/readyz");
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.body()).isEqualTo("not ready: draining\n");
            assertThat(admin(server, "GET", "/healthz").statusCode()).isEqualTo(200); // alive all the same
            server.setDraining(false);
            assertThat(admin(server, "GET", "/readyz").statusCode()).isEqualTo(200);
        }

        @Test
        void leavesTheStreamNamespaceAlone() throws Exception {
            start();
            assertThat(stream("GET", "/metrics", null).statusCode()).isEqualTo(404); // no such stream
            assertThat(stream("PUT", "/metrics", "my metrics", "Content-Type", "text/plain").statusCode())
                    .isEqualTo(201);
            assertThat(stream("PUT", "/healthz", "", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
            HttpResponse<String> mine = stream("GET", "/metrics", null);
            assertThat(mine.statusCode()).isEqualTo(200);
            assertThat(mine.body()).isEqualTo("my metrics");
            assertThat(admin(server, "GET", "/metrics").body()).contains("# TYPE httpfstream_appended_bytes_total counter");
            assertThat(Files.readString(dir.resolve("root/metrics"))).isEqualTo("my metrics");
        }

        @Test
        void keepsEachServersMetricsApart() throws Exception {
            start();
            HttpFStreamServer other = start(HttpFStreamServer.builder().root(dir.resolve("other")));
            assertThat(stream("PUT", "/a", "12345", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
            assertThat(metric("httpfstream_appended_bytes_total")).isEqualTo(5);
            assertThat(scrape(other).get("httpfstream_appended_bytes_total")).isEqualTo(0);
            assertThat(scrape(other)).containsKey("jvm_threads_current"); // each registry has the JVM's too
        }
    }

    @Nested
    class TheMetrics {
        @Test
        void countBytesAppendedAndAppendsByProtocol() throws Exception {
            start();
            assertThat(stream("PUT", "/ds.txt", null, "Content-Type", "text/plain").statusCode()).isEqualTo(201);
            double bytes = metric("httpfstream_appended_bytes_total");
            double posts = metric("httpfstream_appends_total{protocol=\"http\"}");
            String body = "x".repeat(1234);
            assertThat(stream("POST", "/ds.txt", body, "Content-Type", "text/plain").statusCode()).isEqualTo(204);
            assertThat(metric("httpfstream_appended_bytes_total")).isEqualTo(bytes + 1234);
            assertThat(metric("httpfstream_appends_total{protocol=\"http\"}")).isEqualTo(posts + 1);

            try (RawWebSocket ws = RawWebSocket.append(address, "/ws.log")) {
                assertThat(ws.status()).isEqualTo(101);
                assertThat(metric("httpfstream_appends_total{protocol=\"websocket\"}")).isEqualTo(1);
                assertThat(metric("httpfstream_appenders")).isEqualTo(1);
                assertThat(metric("httpfstream_streams_open")).isGreaterThanOrEqualTo(1);
                ws.send(RawWebSocket.BINARY, new byte[777]);
                ws.send(RawWebSocket.TEXT, "abc".getBytes(UTF_8));
                awaitMetric("httpfstream_appended_bytes_total", bytes + 1234 + 780);
                ws.sendClose(1000);
                assertThat(ws.read().opcode()).isEqualTo(RawWebSocket.CLOSE);
            }
            awaitMetric("httpfstream_appenders", 0);
            assertThat(Files.size(dir.resolve("root/ws.log"))).isEqualTo(780);
        }

        @Test
        void showFollowersByKindWhileTheyFollow() throws Exception {
            start();
            for (String kind : List.of("websocket", "follow", "long_poll", "sse")) {
                assertThat(metric("httpfstream_followers{kind=\"" + kind + "\"}")).as(kind).isEqualTo(0);
            }
            try (RawWebSocket appender = RawWebSocket.append(address, "/live.log")) {
                appender.send(RawWebSocket.TEXT, "hello".getBytes(UTF_8));
                double followed = metric("httpfstream_followed_bytes_total");

                RawWebSocket ws = RawWebSocket.follow(address, "/live.log");
                open.add(ws);
                assertThat(ws.status()).isEqualTo(101);
                assertThat(new String(ws.read().payload(), UTF_8)).isEqualTo("hello");
                awaitMetric("httpfstream_followers{kind=\"websocket\"}", 1);
                assertThat(metric("httpfstream_followed_bytes_total")).isEqualTo(followed + 5);

                Socket follow = send("GET /live.log?follow HTTP/1.1\r\nHost: x\r\n\r\n");
                RawHttp head = RawHttp.readHead(follow.getInputStream());
                assertThat(head.status).isEqualTo(200);
                assertThat(new String(RawHttp.readChunk(follow.getInputStream(), new HashMap<>()), UTF_8))
                        .isEqualTo("hello");
                awaitMetric("httpfstream_followers{kind=\"follow\"}", 1);
                awaitMetric("httpfstream_followed_bytes_total", followed + 10);

                ws.close();
                awaitMetric("httpfstream_followers{kind=\"websocket\"}", 0);
                follow.close();
                awaitMetric("httpfstream_followers{kind=\"follow\"}", 0);
            }

            assertThat(stream("PUT", "/ds.txt", "ab", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
            Socket sse = send("GET /ds.txt?offset=-1&live=sse HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(RawHttp.readHead(sse.getInputStream()).status).isEqualTo(200);
            awaitMetric("httpfstream_followers{kind=\"sse\"}", 1);
            Socket poll = send("GET /ds.txt?offset=now&live=long-poll HTTP/1.1\r\nHost: x\r\n\r\n");
            awaitMetric("httpfstream_followers{kind=\"long_poll\"}", 1);
            assertThat(stream("POST", "/ds.txt", "cd", "Content-Type", "text/plain").statusCode()).isEqualTo(204);
            assertThat(RawHttp.readHead(poll.getInputStream()).status).isEqualTo(200);
            awaitMetric("httpfstream_followers{kind=\"long_poll\"}", 0);
            sse.close();
            awaitMetric("httpfstream_followers{kind=\"sse\"}", 0);
        }

        @Test
        void showTheLagOfAFollowerThatDoesNotRead() throws Exception {
            start();
            try (RawWebSocket appender = RawWebSocket.append(address, "/big.bin")) {
                appender.send(RawWebSocket.BINARY, new byte[1]);
                RawWebSocket slow = RawWebSocket.connect(address, "/big.bin", 4096, "X-Frames: binary");
                open.add(slow);
                assertThat(slow.status()).isEqualTo(101);
                awaitMetric("httpfstream_followers{kind=\"websocket\"}", 1);
                byte[] chunk = new byte[1 << 20];
                for (int i = 0; i < 24; i++) { // far more than the socket buffers and the high-water mark
                    appender.send(RawWebSocket.BINARY, chunk);
                }
                long total = 1 + 24L * chunk.length;
                awaitMetric("httpfstream_appended_bytes_total", total);
                Map<String, Double> m = scrape(server);
                double lag = m.get("httpfstream_follower_lag_max_bytes");
                assertThat(lag).isGreaterThan(4 << 20).isLessThanOrEqualTo(total);
                assertThat(m.get("httpfstream_follower_lag_bytes_count") // samples above 1 MiB
                        - m.get("httpfstream_follower_lag_bytes_bucket{le=\"1048576.0\"}")).isGreaterThanOrEqualTo(1);
                assertThat(m.get("httpfstream_follower_lag_bytes_sum")).isGreaterThanOrEqualTo(lag);
                slow.close();
                awaitMetric("httpfstream_followers{kind=\"websocket\"}", 0);
                assertThat(metric("httpfstream_follower_lag_max_bytes")).isEqualTo(0);
            }
        }

        @Test
        void countRefusalsByReason() throws Exception {
            Path tokens = Files.writeString(dir.resolve("tokens"), "secret-token read /\n");
            server = start(HttpFStreamServer.builder().root(dir.resolve("root")).tokens(tokens));
            address = server.localAddress();
            Map<String, Double> before = scrape(server);
            for (Reason r : Reason.values()) { // every reason, as one label value of one counter
                assertThat(before).containsKey("httpfstream_refusals_total{reason=\"" + ServerMetrics.label(r) + "\"}");
            }
            assertThat(stream("GET", "/a", null).statusCode()).isEqualTo(401);
            assertThat(stream("PUT", "/a", null, "Authorization", "Bearer secret-token").statusCode()).isEqualTo(403);
            Map<String, Double> after = scrape(server);
            assertThat(after.get("httpfstream_refusals_total{reason=\"auth_missing\"}"))
                    .isEqualTo(before.get("httpfstream_refusals_total{reason=\"auth_missing\"}") + 1);
            assertThat(after.get("httpfstream_refusals_total{reason=\"auth_forbidden\"}"))
                    .isEqualTo(before.get("httpfstream_refusals_total{reason=\"auth_forbidden\"}") + 1);
            assertThat(after.get("httpfstream_refusals_total{reason=\"rate\"}")).isEqualTo(0);
        }

        @Test
        void countConnectionsAndBytesOnTheWire() throws Exception {
            start();
            double accepted = metric("httpfstream_connections_accepted_total");
            double sent = metric("httpfstream_sent_bytes_total");
            double received = metric("httpfstream_received_bytes_total");
            String request = "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n";
            Socket s = send(request);
            RawHttp r = RawHttp.readHead(s.getInputStream());
            assertThat(r.status).isEqualTo(404);
            awaitMetric("httpfstream_connections_open", 1);
            assertThat(metric("httpfstream_connections_accepted_total")).isEqualTo(accepted + 1);
            assertThat(metric("httpfstream_received_bytes_total")).isEqualTo(received + request.length());
            assertThat(metric("httpfstream_sent_bytes_total")).isGreaterThan(sent + r.body.length);
            s.close();
            awaitMetric("httpfstream_connections_open", 0);
        }

        @Test
        void timeSyncsAndGroupCommitsWithFsync() throws Exception {
            server = start(HttpFStreamServer.builder().root(dir.resolve("root")).fsync(true));
            address = server.localAddress();
            assertThat(metric("httpfstream_fsync_seconds_count")).isEqualTo(0);
            assertThat(stream("PUT", "/d.txt", null, "Content-Type", "text/plain").statusCode()).isEqualTo(201);
            assertThat(stream("POST", "/d.txt", "0123456789", "Content-Type", "text/plain").statusCode())
                    .isEqualTo(204);
            Map<String, Double> m = scrape(server);
            assertThat(m.get("httpfstream_fsync_seconds_count")).isGreaterThanOrEqualTo(1);
            assertThat(m.get("httpfstream_group_commit_seconds_count{kind=\"stream\"}")).isGreaterThanOrEqualTo(1);
            assertThat(m.get("httpfstream_group_commit_seconds_count{kind=\"metadata\"}")).isGreaterThanOrEqualTo(1);
            assertThat(m.get("httpfstream_group_commit_size_count{kind=\"metadata\"}")).isGreaterThanOrEqualTo(1);
            assertThat(m.get("httpfstream_group_commit_bytes_sum")).isGreaterThanOrEqualTo(10);
            assertThat(m.get("httpfstream_fsync_seconds_bucket{le=\"+Inf\"}"))
                    .isEqualTo(m.get("httpfstream_fsync_seconds_count"));
        }
    }
}
