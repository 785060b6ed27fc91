package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.httpfstream.json.Json;
import org.httpfstream.store.nats.NatsConfig;
import org.httpfstream.testing.Await;
import org.httpfstream.testing.NatsCluster;
import org.httpfstream.testing.TempFolders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Durable Streams protocol and the viewer through two front nodes ({@code -store=nats}) over one
 * real 3-node JetStream cluster, over real HTTP: a stream made on one node is the same stream, with the
 * same offsets, producers, {@code Stream-Seq}, closure, expiry, forks and content type, on the other;
 * live readers on one node see appends made on the other.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NatsDurableStreamsTest {
    @RegisterExtension
    static final NatsCluster nats = new NatsCluster();

    /** Four shards (the default's 16 take tens of seconds to make on a busy machine). */
    static final NatsConfig CONFIG = new NatsConfig("ds", 4, 3, Duration.ofSeconds(10), 256 * 1024);

    static HttpFStreamServer a;
    static HttpFStreamServer b;
    static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void startTwoFrontNodes() throws IOException {
        a = node(nats.url(0));
        b = node(nats.url(1));
    }

    private static HttpFStreamServer node(String url) throws IOException {
        Path root = TempFolders.create();
        return HttpFStreamServer.builder().root(root).bind("127.0.0.1", 0).nats(List.of(url), CONFIG)
                .longPollTimeout(Duration.ofSeconds(20)).build().start();
    }

    @AfterAll
    static void stop() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    static HttpResponse<String> send(HttpFStreamServer node, String method, String path, String body,
            String... headers) throws IOException, InterruptedException {
        return http.send(request(node, method, path, body, headers), BodyHandlers.ofString());
    }

    static HttpRequest request(HttpFStreamServer node, String method, String path, String body, String... headers) {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            r.header(headers[i], headers[i + 1]);
        }
        return r.build();
    }

    static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }

    @Test
    void aStreamMadeOnANodeIsAppendedOnTheOtherAndReadBackWithTheSameOffsets() throws Exception {
        HttpResponse<String> put = send(a, "PUT", "/ds/same.txt", "ab", "Content-Type", "text/plain; charset=utf-8");
        assertThat(put.statusCode()).isEqualTo(201);
        assertThat(header(put, "Stream-Next-Offset")).isEqualTo("0000000000000002");

        HttpResponse<String> post = send(b, "POST", "/ds/same.txt", "cde", "Content-Type", "text/plain; charset=utf-8");
        assertThat(post.statusCode()).isEqualTo(204);
        assertThat(header(post, "Stream-Next-Offset")).isEqualTo("0000000000000005");

        HttpResponse<String> all = send(a, "GET", "/ds/same.txt?offset=-1", null);
        assertThat(all.statusCode()).isEqualTo(200);
        assertThat(all.body()).isEqualTo("abcde");
        assertThat(header(all, "Stream-Next-Offset")).isEqualTo("0000000000000005");
        HttpResponse<String> rest = send(a, "GET", "/ds/same.txt?offset=0000000000000002", null);
        assertThat(rest.body()).isEqualTo("cde");

        for (HttpFStreamServer node : List.of(a, b)) { // metadata: the same on both
            HttpResponse<String> head = send(node, "HEAD", "/ds/same.txt", null);
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(header(head, "Content-Type")).isEqualTo("text/plain; charset=utf-8");
            assertThat(header(head, "Stream-Next-Offset")).isEqualTo("0000000000000005");
        }
        // The same create again on B finds the stream A made; another content type conflicts with it.
        assertThat(send(b, "PUT", "/ds/same.txt", null, "Content-Type", "text/plain; charset=utf-8").statusCode())
                .isEqualTo(200);
        assertThat(send(b, "PUT", "/ds/same.txt", null, "Content-Type", "application/json").statusCode())
                .isEqualTo(409);
        assertThat(send(b, "POST", "/ds/same.txt", "{}", "Content-Type", "application/json").statusCode())
                .isEqualTo(409);
    }

    @Test
    void aProducersRetrySentToTheOtherNodeIsAppliedOnce() throws Exception {
        assertThat(send(a, "PUT", "/ds/producer.txt", null, "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        String[] p0 = {"Content-Type", "text/plain", "Producer-Id", "p", "Producer-Epoch", "0", "Producer-Seq", "0"};
        HttpResponse<String> first = send(a, "POST", "/ds/producer.txt", "one;", p0);
        assertThat(first.statusCode()).isEqualTo(200);
        HttpResponse<String> retry = send(b, "POST", "/ds/producer.txt", "one;", p0);
        assertThat(retry.statusCode()).isEqualTo(204); // a duplicate: nothing written
        assertThat(header(retry, "Stream-Next-Offset")).isEqualTo("0000000000000004");

        HttpResponse<String> next = send(b, "POST", "/ds/producer.txt", "two;", "Content-Type", "text/plain",
                "Producer-Id", "p", "Producer-Epoch", "0", "Producer-Seq", "1");
        assertThat(next.statusCode()).isEqualTo(200);
        assertThat(header(next, "Producer-Seq")).isEqualTo("1");
        HttpResponse<String> gap = send(a, "POST", "/ds/producer.txt", "four;", "Content-Type", "text/plain",
                "Producer-Id", "p", "Producer-Epoch", "0", "Producer-Seq", "3");
        assertThat(gap.statusCode()).isEqualTo(409);
        HttpResponse<String> stale = send(a, "POST", "/ds/producer.txt", "old;", "Content-Type", "text/plain",
                "Producer-Id", "p", "Producer-Epoch", "0", "Producer-Seq", "1");
        assertThat(stale.statusCode()).isEqualTo(204); // B's seq 1, retried on A: a duplicate there too

        assertThat(send(a, "GET", "/ds/producer.txt?offset=-1", null).body()).isEqualTo("one;two;");
        assertThat(send(b, "GET", "/ds/producer.txt?offset=-1", null).body()).isEqualTo("one;two;");
    }

    @Test
    void streamSeqIsCheckedAgainstTheLastOneWhicheverNodeTookIt() throws Exception {
        assertThat(send(b, "PUT", "/ds/seq.txt", null, "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        assertThat(send(a, "POST", "/ds/seq.txt", "x", "Content-Type", "text/plain", "Stream-Seq", "a1")
                .statusCode()).isEqualTo(204);
        assertThat(send(b, "POST", "/ds/seq.txt", "y", "Content-Type", "text/plain", "Stream-Seq", "a1")
                .statusCode()).isEqualTo(409);
        assertThat(send(b, "POST", "/ds/seq.txt", "z", "Content-Type", "text/plain", "Stream-Seq", "a2")
                .statusCode()).isEqualTo(204);
        assertThat(send(a, "POST", "/ds/seq.txt", "w", "Content-Type", "text/plain", "Stream-Seq", "a2")
                .statusCode()).isEqualTo(409);
        assertThat(send(a, "GET", "/ds/seq.txt?offset=-1", null).body()).isEqualTo("xz");
    }

    @Test
    void aClosureOnOneNodeEndsTheLiveReadersOfTheOtherAndRefusesItsAppends() throws Exception {
        assertThat(send(a, "PUT", "/ds/closing.txt", "abc", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        CompletableFuture<HttpResponse<String>> poll = http.sendAsync(
                request(b, "GET", "/ds/closing.txt?offset=0000000000000003&live=long-poll", null), BodyHandlers.ofString());
        HttpResponse<InputStream> sse = http.send(request(b, "GET", "/ds/closing.txt?offset=-1&live=sse", null),
                BodyHandlers.ofInputStream());
        assertThat(sse.statusCode()).isEqualTo(200);
        try (BufferedReader events = new BufferedReader(new InputStreamReader(sse.body(), UTF_8))) {
            assertThat(DurableStreamsTest.readSseUntil(events, "data:abc")).contains("event: data");
            DurableStreamsTest.readSseUntil(events, "event: control");

            HttpResponse<String> close = send(a, "POST", "/ds/closing.txt", "d", "Content-Type", "text/plain",
                    "Stream-Closed", "true");
            assertThat(close.statusCode()).isEqualTo(204);

            HttpResponse<String> polled = poll.get(30, TimeUnit.SECONDS); // B's long-poll wakes with A's bytes
            assertThat(polled.statusCode()).isEqualTo(200);
            assertThat(polled.body()).isEqualTo("d");
            assertThat(header(polled, "Stream-Next-Offset")).isEqualTo("0000000000000004");
            // B's SSE reader gets the last bytes, then the closure, then the end of the response.
            String rest = DurableStreamsTest.readSseUntil(events, "data:d");
            assertThat(rest).contains("event: data");
            StringBuilder tail = new StringBuilder();
            for (String l = events.readLine(); l != null; l = events.readLine()) {
                tail.append(l).append('\n');
            }
            assertThat(tail.toString()).contains("\"streamClosed\":true");
        }
        HttpResponse<String> head = send(b, "HEAD", "/ds/closing.txt", null);
        assertThat(header(head, "Stream-Closed")).isEqualTo("true");
        HttpResponse<String> refused = send(b, "POST", "/ds/closing.txt", "e", "Content-Type", "text/plain");
        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(header(refused, "Stream-Closed")).isEqualTo("true");
        assertThat(send(b, "GET", "/ds/closing.txt?offset=-1", null).body()).isEqualTo("abcd");
    }

    @Test
    void aClosureWithoutBytesWakesALongPollOnTheOtherNode() throws Exception {
        assertThat(send(a, "PUT", "/ds/quiet.txt", "ab", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        CompletableFuture<HttpResponse<String>> poll = http.sendAsync(
                request(b, "GET", "/ds/quiet.txt?offset=0000000000000002&live=long-poll", null), BodyHandlers.ofString());
        Await.until("B's long-poll waits", () -> b.stats().followers(ServerStats.FollowerKind.LONG_POLL) == 1);
        assertThat(send(a, "POST", "/ds/quiet.txt", null, "Stream-Closed", "true").statusCode()).isEqualTo(204);
        HttpResponse<String> polled = poll.get(10, TimeUnit.SECONDS); // well before B's 20 s timeout
        assertThat(polled.statusCode()).isEqualTo(204);
        assertThat(header(polled, "Stream-Closed")).isEqualTo("true");
    }

    @Test
    void anAppendOnOneNodeWakesTheLiveReadersOfTheOther() throws Exception {
        assertThat(send(b, "PUT", "/ds/live.txt", null, "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        CompletableFuture<HttpResponse<String>> poll = http.sendAsync(
                request(b, "GET", "/ds/live.txt?offset=0000000000000000&live=long-poll", null), BodyHandlers.ofString());
        HttpResponse<InputStream> sse = http.send(request(b, "GET", "/ds/live.txt?offset=-1&live=sse", null),
                BodyHandlers.ofInputStream());
        try (BufferedReader events = new BufferedReader(new InputStreamReader(sse.body(), UTF_8))) {
            DurableStreamsTest.readSseUntil(events, "event: control");
            assertThat(send(a, "POST", "/ds/live.txt", "hello", "Content-Type", "text/plain").statusCode())
                    .isEqualTo(204);
            HttpResponse<String> polled = poll.get(30, TimeUnit.SECONDS);
            assertThat(polled.statusCode()).isEqualTo(200);
            assertThat(polled.body()).isEqualTo("hello");
            assertThat(header(polled, "Stream-Next-Offset")).isEqualTo("0000000000000005");
            assertThat(DurableStreamsTest.readSseUntil(events, "data:hello")).contains("event: data");
            DurableStreamsTest.readSseUntil(events, "event: control");
            assertThat(DurableStreamsTest.readSseUntil(events, "")).contains("\"streamNextOffset\":\"0000000000000005\"");
        }
    }

    @Test
    void aForkMadeOnOneNodeIsReadOnTheOther() throws Exception {
        assertThat(send(a, "PUT", "/ds/source.txt", "0123456789", "Content-Type", "text/plain").statusCode())
                .isEqualTo(201);
        HttpResponse<String> fork = send(b, "PUT", "/ds/fork.txt", "ab", "Stream-Forked-From", "/ds/source.txt",
                "Stream-Fork-Offset", "0000000000000004");
        assertThat(fork.statusCode()).isEqualTo(201);
        assertThat(header(fork, "Content-Type")).isEqualTo("text/plain");
        assertThat(send(a, "GET", "/ds/fork.txt?offset=-1", null).body()).isEqualTo("0123ab");
        assertThat(send(a, "POST", "/ds/fork.txt", "c", "Content-Type", "text/plain").statusCode()).isEqualTo(204);
        assertThat(send(b, "GET", "/ds/fork.txt?offset=-1", null).body()).isEqualTo("0123abc");
        assertThat(send(b, "GET", "/ds/source.txt?offset=-1", null).body()).isEqualTo("0123456789");
        // The source, deleted on B while the fork uses it, is gone on A; the fork still reads its bytes.
        assertThat(send(b, "DELETE", "/ds/source.txt", null).statusCode()).isEqualTo(204);
        assertThat(send(a, "HEAD", "/ds/source.txt", null).statusCode()).isEqualTo(410);
        assertThat(send(a, "GET", "/ds/fork.txt?offset=-1", null).body()).isEqualTo("0123abc");
    }

    @Test
    void expiryAndTtlAreTheSameOnBothNodes() throws Exception {
        String at = Instant.now().plusSeconds(2).toString();
        assertThat(send(a, "PUT", "/ds/expiring.txt", "x", "Content-Type", "text/plain", "Stream-Expires-At", at)
                .statusCode()).isEqualTo(201);
        assertThat(send(a, "PUT", "/ds/ttl.txt", "y", "Content-Type", "text/plain", "Stream-TTL", "3600")
                .statusCode()).isEqualTo(201);
        HttpResponse<String> head = send(b, "HEAD", "/ds/expiring.txt", null);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(header(head, "Stream-Expires-At")).isEqualTo(at);
        assertThat(header(send(b, "HEAD", "/ds/ttl.txt", null), "Stream-TTL")).isEqualTo("3600");
        // Past its time the stream is gone on B, which never touched it, and on A.
        Await.until("the stream expired on B", () -> send(b, "HEAD", "/ds/expiring.txt", null).statusCode() == 404);
        assertThat(send(a, "HEAD", "/ds/expiring.txt", null).statusCode()).isEqualTo(404);
        assertThat(send(a, "PUT", "/ds/expiring.txt", "new", "Content-Type", "text/plain").statusCode())
                .isEqualTo(201); // made again: a new stream, without the old bytes
        assertThat(send(b, "GET", "/ds/expiring.txt?offset=-1", null).body()).isEqualTo("new");
    }

    /**
     * A sliding TTL restarted by reads on A is not run out on B, which last looked before them; once
     * nobody reads it, it expires on B too.
     */
    @Test
    void readsOnOneNodeKeepASlidingTtlAliveOnTheOther() throws Exception {
        assertThat(send(a, "PUT", "/ds/sliding.txt", "s", "Content-Type", "text/plain", "Stream-TTL", "2")
                .statusCode()).isEqualTo(201);
        assertThat(send(b, "GET", "/ds/sliding.txt?offset=-1", null).body()).isEqualTo("s"); // B's window starts
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3500); // past B's own window
        while (System.nanoTime() < until) { // reads on A, back to back
            assertThat(send(a, "GET", "/ds/sliding.txt?offset=-1", null).statusCode()).isEqualTo(200);
        }
        HttpResponse<String> onB = send(b, "GET", "/ds/sliding.txt?offset=-1", null);
        assertThat(onB.statusCode()).isEqualTo(200);
        assertThat(onB.body()).isEqualTo("s");
        Await.until("unread, it expired on B", () -> send(b, "HEAD", "/ds/sliding.txt", null).statusCode() == 404);
        assertThat(send(a, "HEAD", "/ds/sliding.txt", null).statusCode()).isEqualTo(404);
    }

    @Test
    void theViewerOnOneNodeShowsAStreamWrittenOnTheOther() throws Exception {
        assertThat(send(a, "PUT", "/viewer/build.log", "one\ntwo\n", "Content-Type", "text/plain").statusCode())
                .isEqualTo(201);
        assertThat(send(a, "POST", "/viewer/build.log", "three\n", "Content-Type", "text/plain").statusCode())
                .isEqualTo(204);
        HttpResponse<String> lines = send(b, "GET", "/viewer/build.log?lines=2-", null);
        assertThat(lines.statusCode()).isEqualTo(200);
        assertThat(lines.body()).isEqualTo("two\nthree\n");
        HttpResponse<String> status = send(b, "GET", "/viewer/build.log?status", null);
        assertThat(status.statusCode()).isEqualTo(200);
        @SuppressWarnings("unchecked")
        Map<String, Object> s = (Map<String, Object>) Json.parse(status.body());
        assertThat(s).containsEntry("writer", "live");
        HttpResponse<String> list = send(b, "GET", "/viewer/?list", null);
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.body()).contains("\"build.log\"");
        HttpResponse<String> page = send(b, "GET", "/viewer/build.log?view", null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(header(page, "Content-Type")).startsWith("text/html");
    }
}
