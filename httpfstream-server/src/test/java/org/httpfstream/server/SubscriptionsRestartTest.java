package org.httpfstream.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.httpfstream.json.Json;
import org.httpfstream.server.testing.ServerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Subscriptions are durable cursors: a restart keeps them, their acknowledged offsets and the key. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SubscriptionsRestartTest {
    @RegisterExtension
    final ServerExtension server = new ServerExtension().startedByTest();
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private Map<?, ?> json(HttpResponse<String> r) {
        return (Map<?, ?>) Json.parse(r.body());
    }

    private Map<?, ?> claim() throws IOException, InterruptedException {
        HttpResponse<String> r = server.send("POST", "/__ds/subscriptions/builds/claim", "{\"worker\":\"w1\"}",
                "Content-Type", "application/json");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json(r);
    }

    private String kid() throws IOException, InterruptedException {
        Map<?, ?> jwks = json(server.send("GET", "/__ds/jwks.json", null));
        return (String) ((Map<?, ?>) ((List<?>) jwks.get("keys")).get(0)).get("kid");
    }

    @Test
    void aRestartKeepsTheSubscriptionItsAcknowledgedOffsetsAndTheSigningKey() throws Exception {
        server.restart();
        assertThat(server.send("PUT", "/logs/a", "hello", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        assertThat(server.send("PUT", "/wake", null, "Content-Type", "application/json").statusCode()).isEqualTo(201);
        HttpResponse<String> created = server.send("PUT", "/__ds/subscriptions/builds",
                "{\"type\":\"pull-wake\",\"pattern\":\"logs/*\",\"wake_stream\":\"wake\",\"lease_ttl_ms\":60000}",
                "Content-Type", "application/json");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(server.send("POST", "/logs/a", " world", "Content-Type", "text/plain").statusCode()).isEqualTo(204);
        Map<?, ?> wake = claim();
        long generation = ((Number) wake.get("generation")).longValue();
        HttpResponse<String> acked = server.send("POST", "/__ds/subscriptions/builds/ack",
                "{\"wake_id\":\"" + wake.get("wake_id") + "\",\"generation\":" + generation
                        + ",\"acks\":[{\"stream\":\"logs/a\",\"offset\":\"0000000000000007\"}]}",
                "Content-Type", "application/json", "Authorization", "Bearer " + wake.get("token"));
        assertThat(acked.statusCode()).as(acked.body()).isEqualTo(200);
        String before = server.send("GET", "/__ds/subscriptions/builds", null).body();
        String kid = kid();

        server.restart(); // a restart on the same root: the lease and token of the wake above are gone

        HttpResponse<String> after = server.send("GET", "/__ds/subscriptions/builds", null);
        assertThat(after.statusCode()).isEqualTo(200);
        assertThat(after.body()).isEqualTo(before); // configuration, links, acknowledged offsets, created_at
        assertThat(((Map<?, ?>) ((List<?>) json(after).get("streams")).get(0)).get("acked_offset"))
                .isEqualTo("0000000000000007");
        assertThat(kid()).isEqualTo(kid);
        // The wake from before the restart is fenced; a new one has a higher generation.
        HttpResponse<String> stale = server.send("POST", "/__ds/subscriptions/builds/ack",
                "{\"wake_id\":\"" + wake.get("wake_id") + "\",\"generation\":" + generation + ",\"done\":true}",
                "Content-Type", "application/json", "Authorization", "Bearer " + wake.get("token"));
        assertThat(stale.statusCode()).isEqualTo(409);
        assertThat(((Number) claim().get("generation")).longValue()).isGreaterThan(generation);

        assertThat(server.send("DELETE", "/__ds/subscriptions/builds", null).statusCode()).isEqualTo(204);
        server.restart();
        assertThat(server.send("GET", "/__ds/subscriptions/builds", null).statusCode()).isEqualTo(404);
        assertThat(kid()).isEqualTo(kid);
        try (var files = Files.list(server.root().resolve(".httpfstream/subscriptions"))) {
            assertThat(files.filter(f -> f.toString().endsWith(".json"))).isEmpty();
        }
    }

    @Test
    void theSigningKeyIsReadableByItsOwnerOnly() throws Exception {
        server.restart();
        kid();
        assertThat(Files.getPosixFilePermissions(server.root().resolve(".httpfstream/signing-key")))
                .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    }
}
