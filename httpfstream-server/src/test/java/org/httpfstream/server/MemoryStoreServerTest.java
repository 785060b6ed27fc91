package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code storage("memory")} ({@code -store=memory}): Durable Streams streams live in memory, not under
 * the root, and are gone after a restart; any other store name is refused.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MemoryStoreServerTest {
    @TempDir Path root;
    HttpFStreamServer server;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    void start() throws IOException {
        server = HttpFStreamServer.builder().root(root).bind("127.0.0.1", 0)
                .storage(HttpFStreamServer.STORAGE_MEMORY).build().start();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
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

    @Test
    void streamsAreServedFromMemoryAndLeaveNoFileUnderTheRoot() throws Exception {
        start();
        assertThat(send("PUT", "/m/s.txt", "hello ", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        assertThat(send("POST", "/m/s.txt", "world", "Content-Type", "text/plain").statusCode()).isEqualTo(204);
        HttpResponse<String> read = send("GET", "/m/s.txt?offset=-1", null);
        assertThat(read.body()).isEqualTo("hello world");
        assertThat(read.headers().firstValue("Stream-Next-Offset")).contains("000000000000000b"); // 11, in hex
        assertThat(Files.exists(root.resolve("m/s.txt"))).isFalse();
        assertThat(Files.exists(root.resolve(".httpfstream/metadata/m.d/s.txt.meta"))).isFalse();

        server.close();
        start();
        assertThat(send("GET", "/m/s.txt?offset=-1", null).statusCode()).isEqualTo(404);
    }

    @Test
    void anotherStoreNameIsRefused() {
        assertThatThrownBy(() -> HttpFStreamServer.builder().storage("disk"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("disk");
    }
}
