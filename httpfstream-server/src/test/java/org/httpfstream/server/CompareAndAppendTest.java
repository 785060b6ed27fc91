package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.httpfstream.store.Offsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Compare-and-append on both protocols, on the file and the memory store: a Durable Streams {@code POST}
 * with {@code Stream-Expected-Offset} is made only at that length, else refused with 409 and the length in
 * {@code Stream-Next-Offset}; a WebSocket {@code APPEND} with the header is refused before the upgrade in
 * the same way; and an appender that sends {@code Stream-Append-Acks: true} is told the committed lengths,
 * one that does not is told nothing.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CompareAndAppendTest {
    @TempDir Path root;
    HttpFStreamServer server;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    void start(String storage) throws IOException {
        server = HttpFStreamServer.builder().root(root).bind("127.0.0.1", 0).storage(storage).build().start();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", server.localAddress().getPort());
    }

    HttpResponse<String> send(String method, String path, String body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.localAddress().getPort() + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body, UTF_8));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), BodyHandlers.ofString(UTF_8));
    }

    String read(String path) throws IOException, InterruptedException {
        return send("GET", path + "?offset=-1", null).body();
    }

    @ParameterizedTest
    @ValueSource(strings = {HttpFStreamServer.STORAGE_FILE, HttpFStreamServer.STORAGE_MEMORY})
    void aDurableStreamsPostIsMadeOnlyAtTheExpectedOffset(String storage) throws Exception {
        start(storage);
        assertThat(send("PUT", "/c/s.txt", null, "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        HttpResponse<String> first = send("POST", "/c/s.txt", "abc", "Content-Type", "text/plain",
                "Stream-Expected-Offset", "-1");
        assertThat(first.statusCode()).isEqualTo(204);
        assertThat(first.headers().firstValue("Stream-Next-Offset")).contains(Offsets.format(3));

        HttpResponse<String> stale = send("POST", "/c/s.txt", "XYZ", "Content-Type", "text/plain",
                "Stream-Expected-Offset", Offsets.format(0));
        assertThat(stale.statusCode()).isEqualTo(409);
        assertThat(stale.headers().firstValue("Stream-Next-Offset")).contains(Offsets.format(3));
        assertThat(stale.body()).isEqualTo("Stream-Expected-Offset 0000000000000000 is not the stream's length "
                + "(0000000000000003)\n");
        HttpResponse<String> ahead = send("POST", "/c/s.txt", "XYZ", "Content-Type", "text/plain",
                "Stream-Expected-Offset", Offsets.format(4));
        assertThat(ahead.statusCode()).isEqualTo(409);
        assertThat(ahead.headers().firstValue("Stream-Next-Offset")).contains(Offsets.format(3));

        HttpResponse<String> next = send("POST", "/c/s.txt", "de", "Content-Type", "text/plain",
                "Stream-Expected-Offset", Offsets.format(3));
        assertThat(next.statusCode()).isEqualTo(204);
        assertThat(next.headers().firstValue("Stream-Next-Offset")).contains(Offsets.format(5));
        assertThat(send("POST", "/c/s.txt", "f", "Content-Type", "text/plain").statusCode())
                .as("without the header nothing changes").isEqualTo(204);
        assertThat(read("/c/s.txt")).isEqualTo("abcdef");

        HttpResponse<String> malformed = send("POST", "/c/s.txt", "g", "Content-Type", "text/plain",
                "Stream-Expected-Offset", "three");
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(send("POST", "/c/s.txt", "g", "Content-Type", "text/plain", "Stream-Expected-Offset", "now")
                .statusCode()).isEqualTo(400);
        assertThat(read("/c/s.txt")).isEqualTo("abcdef");
    }

    @ParameterizedTest
    @ValueSource(strings = {HttpFStreamServer.STORAGE_FILE, HttpFStreamServer.STORAGE_MEMORY})
    void aWebSocketAppenderWithAnExpectedOffsetIsRefusedBeforeTheUpgradeUnlessTheLengthIsExactlyThat(String storage)
            throws Exception {
        start(storage);
        try (RawWebSocket ws = RawWebSocket.appendAccepted(address(), "/w/log.txt")) {
            ws.send(RawWebSocket.BINARY, "hello".getBytes(UTF_8));
            ws.sendClose(1000);
            assertThat(ws.readToClose(new ByteArrayOutputStream()).closeCode()).isEqualTo(1000);
        }
        for (String wrong : List.of("-1", Offsets.format(4), Offsets.format(6))) {
            try (RawWebSocket refused = append("/w/log.txt", "Stream-Expected-Offset: " + wrong)) {
                assertThat(refused.status()).as(wrong).isEqualTo(409);
                assertThat(refused.response.header("Stream-Next-Offset")).isEqualTo(Offsets.format(5));
                assertThat(refused.response.bodyText()).startsWith("Stream-Expected-Offset ")
                        .endsWith("is not the stream's length (0000000000000005)\n");
                assertThat(refused.response.header("Upgrade")).isNull();
            }
        }
        try (RawWebSocket ws = append("/w/log.txt",
                "Stream-Expected-Offset: " + Offsets.format(5))) {
            assertThat(ws.status()).isEqualTo(101);
            assertThat(ws.response.header("Stream-Next-Offset")).as("only sent to an appender that asks for acks")
                    .isNull();
            ws.send(RawWebSocket.BINARY, " world".getBytes(UTF_8));
            ws.sendClose(1000);
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            assertThat(ws.readToClose(data).closeCode()).isEqualTo(1000);
            assertThat(data.size()).as("an appender that did not ask is sent no message").isZero();
        }
        try (RawWebSocket refused = append("/w/log.txt", "Stream-Expected-Offset: x")) {
            assertThat(refused.status()).isEqualTo(400);
        }
        assertThat(read("/w/log.txt")).isEqualTo("hello world");
    }

    @ParameterizedTest
    @ValueSource(strings = {HttpFStreamServer.STORAGE_FILE, HttpFStreamServer.STORAGE_MEMORY})
    void anAppenderThatAsksIsToldTheStartAndEveryCommittedLength(String storage) throws Exception {
        start(storage);
        try (RawWebSocket ws = RawWebSocket.appendAccepted(address(), "/a/log.txt")) {
            ws.send(RawWebSocket.BINARY, "0123".getBytes(UTF_8));
            ws.sendClose(1000);
            ws.readToClose(new ByteArrayOutputStream());
        }
        try (RawWebSocket ws = append("/a/log.txt", "Stream-Append-Acks: true")) {
            assertThat(ws.status()).isEqualTo(101);
            assertThat(ws.response.header("Stream-Next-Offset")).isEqualTo(Offsets.format(4));
            List<String> acks = new ArrayList<>();
            acks.add(nextText(ws)); // the length at the start
            assertThat(acks.get(0)).isEqualTo(Offsets.format(4));
            ws.send(RawWebSocket.BINARY, "45".getBytes(UTF_8));
            assertThat(nextText(ws)).isEqualTo(Offsets.format(6));
            ws.send(RawWebSocket.BINARY, "6789".getBytes(UTF_8));
            assertThat(nextText(ws)).isEqualTo(Offsets.format(10));
            ws.sendClose(1000);
            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            assertThat(ws.readToClose(rest).closeCode()).isEqualTo(1000);
        }
        assertThat(read("/a/log.txt")).isEqualTo("0123456789");
    }

    /** An APPEND request with one more header. */
    RawWebSocket append(String path, String header) throws IOException {
        return RawWebSocket.connect(address(), path, 0, "X-Verb: APPEND", header);
    }

    /** The next TEXT message, answering pings on the way. */
    private static String nextText(RawWebSocket ws) throws IOException {
        for (;;) {
            RawWebSocket.Frame f = ws.read();
            if (f.opcode() == RawWebSocket.PING) {
                ws.send(RawWebSocket.PONG, f.payload());
            } else if (f.opcode() == RawWebSocket.TEXT) {
                return new String(f.payload(), UTF_8);
            } else if (f.opcode() == RawWebSocket.CLOSE) {
                throw new AssertionError("closed with " + f.closeCode() + " before a TEXT message");
            }
        }
    }
}
