package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.httpfstream.json.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Subscriptions are durable cursors: a restart keeps them, their acknowledged offsets and the key. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SubscriptionsRestartTest {
    @TempDir Path root;
    HttpFStreamServer server;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private void start() throws IOException {
        if (server != null) {
            server.close();
        }
        server = HttpFStreamServer.builder().root(root).bind("127.0.0.1", 0).build().start();
    }

    private HttpResponse<String> send(String method, String path, String body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + server.localAddress().getPort() + path)).timeout(Duration.ofSeconds(20))
                .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body, UTF_8));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), BodyHandlers.ofString(UTF_8));
    }

    private Map<?, ?> json(HttpResponse<String> r) {
        return (Map<?, ?>) Json.parse(r.body());
    }

    private Map<?, ?> claim() throws IOException, InterruptedException {
        HttpResponse<String> r = send("POST", "/__ds/subscriptions/builds/claim", "{\"worker\":\"w1\"}",
                "Content-Type", "application/json");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json(r);
    }

    private String kid() throws IOException, InterruptedException {
        Map<?, ?> jwks = json(send("GET", "/__ds/jwks.json", null));
        return (String) ((Map<?, ?>) ((List<?>) jwks.get("keys")).get(0)).get("kid");
    }

    @Test
    void aRestartKeepsTheSubscriptionItsAcknowledgedOffsetsAndTheSigningKey() throws Exception {
        start();
        assertThat(send("PUT", "/logs/a", "hello", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        assertThat(send("PUT", "/wake", null, "Content-Type", "application/json").statusCode()).isEqualTo(201);
        HttpResponse<String> created = send("PUT", "/__ds/subscriptions/builds",
                "{\"type\":\"pull-wake\",\"pattern\":\"logs/*\",\"wake_stream\":\"wake\",\"lease_ttl_ms\":60000}",
                "Content-Type", "application/json");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(send("POST", "/logs/a", " world", "Content-Type", "text/plain").statusCode()).isEqualTo(204);
        Map<?, ?> wake = claim();
        long generation = ((Number) wake.get("generation")).longValue();
        HttpResponse<String> acked = send("POST", "/__ds/subscriptions/builds/ack",
                "{\"wake_id\":\"" + wake.get("wake_id") + "\",\"generation\":" + generation
                        + ",\"acks\":[{\"stream\":\"logs/a\",\"offset\":\"0000000000000007\"}]}",
                "Content-Type", "application/json", "Authorization", "Bearer " + wake.get("token"));
        assertThat(acked.statusCode()).as(acked.body()).isEqualTo(200);
        String before = send("GET", "/__ds/subscriptions/builds", null).body();
        String kid = kid();

        start(); // a restart on the same root: the lease and token of the wake above are gone

        HttpResponse<String> after = send("GET", "/__ds/subscriptions/builds", null);
        assertThat(after.statusCode()).isEqualTo(200);
        assertThat(after.body()).isEqualTo(before); // configuration, links, acknowledged offsets, created_at
        assertThat(((Map<?, ?>) ((List<?>) json(after).get("streams")).get(0)).get("acked_offset"))
                .isEqualTo("0000000000000007");
        assertThat(kid()).isEqualTo(kid);
        // The wake from before the restart is fenced; a new one has a higher generation.
        HttpResponse<String> stale = send("POST", "/__ds/subscriptions/builds/ack",
                "{\"wake_id\":\"" + wake.get("wake_id") + "\",\"generation\":" + generation + ",\"done\":true}",
                "Content-Type", "application/json", "Authorization", "Bearer " + wake.get("token"));
        assertThat(stale.statusCode()).isEqualTo(409);
        assertThat(((Number) claim().get("generation")).longValue()).isGreaterThan(generation);

        assertThat(send("DELETE", "/__ds/subscriptions/builds", null).statusCode()).isEqualTo(204);
        start();
        assertThat(send("GET", "/__ds/subscriptions/builds", null).statusCode()).isEqualTo(404);
        assertThat(kid()).isEqualTo(kid);
        try (var files = Files.list(root.resolve(".httpfstream/subscriptions"))) {
            assertThat(files.filter(f -> f.toString().endsWith(".json"))).isEmpty();
        }
    }

    @Test
    void theSigningKeyIsReadableByItsOwnerOnly() throws Exception {
        start();
        kid();
        assertThat(Files.getPosixFilePermissions(root.resolve(".httpfstream/signing-key")))
                .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    }
}
