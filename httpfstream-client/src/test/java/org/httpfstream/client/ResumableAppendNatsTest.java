package org.httpfstream.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.httpfstream.server.HttpFStreamServer;
import org.httpfstream.server.RawWebSocket;
import org.httpfstream.testing.Await;
import org.httpfstream.testing.NatsCluster;
import org.httpfstream.testing.StoredBytes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A resumable append through two front nodes over one real 3-node JetStream cluster: the first node is
 * stopped mid-append and the appender goes on through the second, which then holds exactly the bytes
 * written, each once. The committed offsets it resumes from are JetStream's acknowledgements.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ResumableAppendNatsTest {
    @RegisterExtension
    static final NatsCluster nats = new NatsCluster();

    @TempDir Path rootA;
    @TempDir Path rootB;
    HttpFStreamServer a;
    HttpFStreamServer b;

    @BeforeEach
    void startTwoFrontNodes() throws Exception {
        a = HttpFStreamServer.builder().root(rootA).bind("127.0.0.1", 0).nats(List.of(nats.url(0)))
                .drainTimeout(Duration.ofMillis(100)).build().start();
        b = HttpFStreamServer.builder().root(rootB).bind("127.0.0.1", 0).nats(List.of(nats.url(1)))
                .drainTimeout(Duration.ofMillis(100)).build().start();
    }

    @AfterEach
    void stop() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    @Test
    void compareAndAppendChecksTheClusterLengthOnEitherNode() throws Exception {
        URI onA = a.uri().resolve("/nats/cas.txt");
        HttpFStream.append(onA, new java.io.ByteArrayInputStream("hello".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        java.net.InetSocketAddress nodeB = new java.net.InetSocketAddress("127.0.0.1", b.localAddress().getPort());
        try (RawWebSocket refused = RawWebSocket.connect(nodeB, "/nats/cas.txt", 0, "X-Verb: APPEND",
                "Stream-Expected-Offset: " + org.httpfstream.store.Offsets.format(3))) {
            assertThat(refused.status()).isEqualTo(409);
            assertThat(refused.response.header("Stream-Next-Offset")).isEqualTo(org.httpfstream.store.Offsets.format(5));
        }
        try (RawWebSocket accepted = RawWebSocket.connect(nodeB, "/nats/cas.txt", 0, "X-Verb: APPEND",
                "Stream-Expected-Offset: " + org.httpfstream.store.Offsets.format(5))) {
            assertThat(accepted.status()).isEqualTo(101);
            accepted.send(RawWebSocket.BINARY, " world".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            accepted.sendClose(1000);
            assertThat(accepted.readToClose(new java.io.ByteArrayOutputStream()).closeCode()).isEqualTo(1000);
        }
        try (FollowInputStream in = HttpFStream.follow(onA)) {
            assertThat(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("hello world");
        }
    }

    @Test
    void aDurableStreamsPostWithAnExpectedOffsetIsCheckedAgainstTheClusterLength() throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.util.function.BiFunction<HttpFStreamServer, String[], java.net.http.HttpRequest.Builder> req = (node, h) ->
                java.net.http.HttpRequest.newBuilder(node.uri().resolve("/nats/ds.txt")).timeout(Duration.ofSeconds(30))
                        .headers(h);
        var put = http.send(req.apply(a, new String[] {"Content-Type", "text/plain"})
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("abc")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).isEqualTo(201);
        var stale = http.send(req.apply(b, new String[] {"Content-Type", "text/plain", "Stream-Expected-Offset",
                org.httpfstream.store.Offsets.format(0)}).POST(java.net.http.HttpRequest.BodyPublishers.ofString("X"))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(stale.statusCode()).isEqualTo(409);
        assertThat(stale.headers().firstValue("Stream-Next-Offset")).contains(org.httpfstream.store.Offsets.format(3));
        var next = http.send(req.apply(b, new String[] {"Content-Type", "text/plain", "Stream-Expected-Offset",
                org.httpfstream.store.Offsets.format(3)}).POST(java.net.http.HttpRequest.BodyPublishers.ofString("de"))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(next.statusCode()).isEqualTo(204);
        assertThat(next.headers().firstValue("Stream-Next-Offset")).contains(org.httpfstream.store.Offsets.format(5));
        var read = http.send(java.net.http.HttpRequest.newBuilder(a.uri().resolve("/nats/ds.txt?offset=-1")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(read.body()).isEqualTo("abcde");
    }

    @Test
    void theFirstNodeStoppedMidAppendTheAppenderGoesOnThroughTheSecond() throws Exception {
        byte[] data = ResumableAppendTest.sequence(17, 1_500_000);
        URI onA = a.uri().resolve("/nats/out.bin");
        URI onB = b.uri().resolve("/nats/out.bin");
        HttpFStreamClient client = HttpFStreamClient.builder().appendBufferSize(256 * 1024)
                .resumeTimeout(Duration.ofSeconds(40)).readTimeout(Duration.ofSeconds(15)).build();
        try (OutputStream out = client.openResumableAppend(List.of(onA, onB))) {
            ResumableAppendTest.writeRange(out, data, 0, 600_000); // at least 344 KB reported committed
            a.close(); // Close 1001 to the appender; its bytes in flight are in doubt
            a = null;
            ResumableAppendTest.writeRange(out, data, 600_000, data.length);
        }
        Await.until("node B sees every byte", () -> StoredBytes.of(b.storage(), "/nats/out.bin").length >= data.length,
                Duration.ofSeconds(20));
        assertThat(Arrays.equals(StoredBytes.of(b.storage(), "/nats/out.bin"), data)).as("exactly the sequence").isTrue();
    }
}
