package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.httpfstream.server.testing.ServerExtension;
import org.httpfstream.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The limits the store enforces ({@link Limits#maxStreamBytes()}, {@link
 * Limits#maxProducersPerStream()}): an append that would pass the stream size limit is refused whole
 * ({@code 413} with one line, WebSocket Close 1009) and counted; producer ids past the bound expire,
 * least recently used first.
 */
class StoreLimitsTest {
    @RegisterExtension
    final ServerExtension server = new ServerExtension().startedByTest();
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** Starts the server, or restarts it on the same root. */
    void start(Limits limits, boolean fsync) throws IOException {
        server.restart(b -> b.fsync(fsync).limits(limits));
    }

    long sizeRefusals() {
        return server.get().refusals().get(Refusals.Reason.STREAM_SIZE);
    }

    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(booleans = {false, true})
    void aPostPastTheStreamSizeLimitIsRefusedWhole(boolean fsync) throws Exception {
        start(Limits.defaults().withMaxStreamBytes(10), fsync);
        assertThat(server.send("PUT", "/s.txt", "12345", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        HttpResponse<String> refused = server.send("POST", "/s.txt", "678901", "Content-Type", "text/plain");
        assertThat(refused.statusCode()).isEqualTo(413);
        assertThat(refused.body()).isEqualTo("stream size limit: an append of 6 bytes to a stream of 5 bytes would"
                + " pass the limit of 10 bytes; nothing of it was stored\n");
        assertThat(sizeRefusals()).isEqualTo(1);
        assertThat(Files.readString(server.root().resolve("s.txt"))).isEqualTo("12345");
        assertThat(server.send("POST", "/s.txt", "67890", "Content-Type", "text/plain").statusCode())
                .as("up to the limit exactly").isEqualTo(204);
        assertThat(server.send("POST", "/s.txt", "x", "Content-Type", "text/plain").statusCode()).isEqualTo(413);
        assertThat(server.send("GET", "/s.txt?offset=-1", null).body()).isEqualTo("1234567890");
        HttpResponse<String> tooBig = server.send("PUT", "/new.txt", "12345678901", "Content-Type", "text/plain");
        assertThat(tooBig.statusCode()).as("a PUT whose first bytes pass it").isEqualTo(413);
        assertThat(server.send("HEAD", "/new.txt", null).statusCode()).isEqualTo(404);
        assertThat(sizeRefusals()).isEqualTo(3);
    }

    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(booleans = {false, true})
    void aWebSocketAppendPastTheStreamSizeLimitIsClosed1009(boolean fsync) throws Exception {
        start(Limits.defaults().withMaxStreamBytes(10), fsync);
        try (RawWebSocket ws = RawWebSocket.appendAccepted(server.address(), "/w.log")) {
            ws.send(RawWebSocket.TEXT, "123456".getBytes(UTF_8));
            Await.until("the first bytes are stored", () -> server.send("GET", "/w.log", null).body().equals("123456"));
            ws.send(RawWebSocket.TEXT, "78901".getBytes(UTF_8));
            RawWebSocket.Frame close = ws.readToClose(new ByteArrayOutputStream());
            assertThat(close.closeCode()).isEqualTo(1009);
            assertThat(close.closeReason()).isEqualTo("stream size limit of 10 bytes reached; append refused");
        }
        assertThat(sizeRefusals()).isEqualTo(1);
        assertThat(server.send("GET", "/w.log", null).body()).isEqualTo("123456");
        assertThat(Files.readString(server.root().resolve("w.log"))).isEqualTo("123456");
    }

    @Test
    void producerIdsPastTheBoundExpireLeastRecentlyUsedFirst() throws Exception {
        start(Limits.defaults().withMaxProducersPerStream(3), false);
        assertThat(server.send("PUT", "/p.txt", null, "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        for (String id : new String[] {"a", "b", "c"}) {
            assertThat(append(id, 0).statusCode()).isEqualTo(200);
        }
        assertThat(append("a", 1).statusCode()).as("a is used again: now b is the least recent").isEqualTo(200);
        assertThat(append("d", 0).statusCode()).as("a fourth producer: b expires").isEqualTo(200);
        assertThat(append("a", 1).statusCode()).as("a is remembered: its retry is a duplicate").isEqualTo(204);
        assertThat(append("c", 0).statusCode()).isEqualTo(204);
        assertThat(append("d", 0).statusCode()).isEqualTo(204);
        HttpResponse<String> b = append("b", 1);
        assertThat(b.statusCode()).as("b was forgotten: seq 1 is a gap for a new producer").isEqualTo(409);

        start(Limits.defaults().withMaxProducersPerStream(3), false); // the bound and the order persist
        assertThat(append("a", 1).statusCode()).isEqualTo(204);
        assertThat(append("e", 0).statusCode()).as("e pushes out c, the least recent").isEqualTo(200);
        assertThat(append("c", 0).statusCode()).as("c forgotten: its seq 0 is a fresh append").isEqualTo(200);
    }

    @Test
    void thousandsOfProducerIdsKeepTheMetadataBounded() throws Exception {
        start(Limits.defaults().withMaxProducersPerStream(100), false);
        assertThat(server.send("PUT", "/many.txt", null, "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        for (int i = 0; i < 2000; i++) {
            assertThat(append("/many.txt", "producer-" + i, 0).statusCode()).isEqualTo(200);
        }
        Path meta = server.root().resolve(".httpfstream/metadata/many.txt.meta");
        long producers;
        try (var lines = Files.lines(meta)) {
            producers = lines.filter(l -> l.startsWith("producer.")).count();
        }
        assertThat(producers).isEqualTo(100);
        assertThat(Files.size(meta)).isLessThan(100 * 64 + 1024);
    }

    HttpResponse<String> append(String id, long seq) throws IOException, InterruptedException {
        return append("/p.txt", id, seq);
    }

    HttpResponse<String> append(String path, String id, long seq) throws IOException, InterruptedException {
        return server.send("POST", path, id + seq + "\n", "Content-Type", "text/plain", "Producer-Id", id,
                "Producer-Epoch", "0", "Producer-Seq", Long.toString(seq));
    }
}
