package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.httpfstream.json.JsonMessages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * JSON bodies over HTTP: a Durable Streams JSON-mode stream stores the client's bytes compacted, one
 * message per line, and hostile bodies, there and on the subscriptions API, are answered 400 with one
 * line, leaving the stream as it was.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JsonBodiesTest {
    @TempDir Path root;
    HttpFStreamServer server;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        server = HttpFStreamServer.builder().root(root).bind("127.0.0.1", 0).build().start();
        assertThat(send("PUT", "/j.json", "[ {\"a\" : \"\\u00e9\\/\"} , 1.0E+2 ]".getBytes(UTF_8)).statusCode())
                .isEqualTo(201);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    HttpResponse<String> send(String method, String path, byte[] body) throws IOException, InterruptedException {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.localAddress().getPort() + path))
                .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
                .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofByteArray(body)).build();
        return http.send(r, BodyHandlers.ofString(UTF_8));
    }

    String stored() throws IOException {
        return Files.readString(root.resolve("j.json"), UTF_8);
    }

    @Test
    void theStreamHoldsTheClientsBytesCompactedOneMessageALine() throws Exception {
        assertThat(send("POST", "/j.json", "\"x y\"\n".getBytes(UTF_8)).statusCode()).isEqualTo(204);
        assertThat(send("POST", "/j.json", "[]".getBytes(UTF_8)).statusCode()).isEqualTo(400);
        assertThat(stored()).isEqualTo("{\"a\":\"\\u00e9\\/\"}\n1.0E+2\n\"x y\"\n");
        HttpResponse<String> read = send("GET", "/j.json?offset=-1", null);
        assertThat(read.body()).isEqualTo("[{\"a\":\"\\u00e9\\/\"},1.0E+2,\"x y\"]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"deep", "long number", "overlong UTF-8", "encoded surrogate", "truncated UTF-8", "BOM",
        "UTF-16", "trailing data", "control character"})
    void aHostileAppendIsAnswered400WithOneLineAndChangesNothing(String what) throws Exception {
        String before = stored();
        HttpResponse<String> r = send("POST", "/j.json", hostile(what));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(r.body().strip()).isNotEmpty().doesNotContain("\n");
        assertThat(stored()).isEqualTo(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {"deep", "long number", "trailing data", "control character"})
    void aHostileSubscriptionBodyIsAnswered400WithOneLine(String what) throws Exception {
        byte[] body = what.equals("deep") ? ("{\"type\":\"pull-wake\",\"x\":" + "[".repeat(65) + "]".repeat(65) + "}")
                .getBytes(UTF_8) : hostile(what);
        HttpResponse<String> r = send("PUT", "/__ds/subscriptions/s1", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(r.body()).contains("INVALID_REQUEST").contains("invalid JSON").doesNotContain("\\n");
    }

    static byte[] hostile(String what) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        switch (what) {
            case "deep" -> b.writeBytes(("[".repeat(JsonMessages.MAX_DEPTH + 1) + "]".repeat(JsonMessages.MAX_DEPTH + 1))
                    .getBytes(UTF_8));
            case "long number" -> b.writeBytes(("[1" + "0".repeat(5000) + "]").getBytes(UTF_8));
            case "overlong UTF-8" -> b.writeBytes(new byte[] {'"', (byte) 0xC0, (byte) 0xAF, '"'});
            case "encoded surrogate" -> b.writeBytes(new byte[] {'"', (byte) 0xED, (byte) 0xB0, (byte) 0x80, '"'});
            case "truncated UTF-8" -> b.writeBytes(new byte[] {'[', '"', (byte) 0xE2, (byte) 0x82, '"', ']'});
            case "BOM" -> b.writeBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '1'});
            case "UTF-16" -> b.writeBytes("{\"a\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_16LE));
            case "trailing data" -> b.writeBytes("{\"a\":1} {\"b\":2}".getBytes(UTF_8));
            case "control character" -> b.writeBytes("[\"a\tb\"]".getBytes(UTF_8));
            default -> throw new IllegalArgumentException(what);
        }
        return b.toByteArray();
    }
}
