package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import org.httpfstream.browser.OriginPolicy;
import org.httpfstream.server.guard.BrowserOriginHandler;
import org.httpfstream.server.testing.ServerExtension;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Browser-safe writes over real sockets: a writing request or APPEND upgrade that carries an {@code
 * Origin} the server does not allow is refused with 403 before anything is stored, reads stay open to
 * every origin, and CORS answers grant writes only to allowed origins. (The same seen from a real
 * browser: {@link BrowserAttackTest}.)
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BrowserOriginTest {
    static final String EVIL = "http://evil.example:4444";

    @RegisterExtension
    final ServerExtension server = new ServerExtension().startedByTest();

    void start(OriginPolicy policy) throws IOException {
        server.start(b -> b.allowOrigins(policy));
    }

    String self() {
        return "http://127.0.0.1:" + server.address().getPort();
    }

    /** A Durable Streams text stream at {@code path} holding {@code "ok"}, made without an Origin. */
    void stream(String path) throws Exception {
        assertThat(server.send("PUT", path, null, "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        assertThat(server.send("POST", path, "ok", "Content-Type", "text/plain").statusCode()).isIn(200, 204);
    }

    long refused() {
        return server.get().refusals().get(Refusals.Reason.ORIGIN);
    }

    @Nested
    class ByDefaultOnlyTheServersOwnOriginWrites {
        @Test
        void aPostFromAnotherOriginIsRefusedWithOneLineAndStoresNothing() throws Exception {
            start(OriginPolicy.sameOriginOnly());
            stream("/s");
            HttpResponse<String> r = server.send("POST", "/s", "evil", "Content-Type", "text/plain", "Origin", EVIL);
            assertThat(r.statusCode()).isEqualTo(403);
            assertThat(r.body()).isEqualTo("origin " + EVIL + " may not write here (allowed: the server's own "
                    + "origin; see -allow-origin)\n");
            assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
            assertThat(Files.readString(server.root().resolve("s"))).isEqualTo("ok");
            assertThat(refused()).isEqualTo(1);
        }

        @Test
        void putDeleteAndSubscriptionChangesFromAnotherOriginAreRefused() throws Exception {
            start(OriginPolicy.sameOriginOnly());
            stream("/s");
            assertThat(server.send("PUT", "/t", null, "Origin", EVIL).statusCode()).isEqualTo(403);
            assertThat(server.send("DELETE", "/s", null, "Origin", EVIL).statusCode()).isEqualTo(403);
            assertThat(server.send("PUT", "/__ds/subscriptions/x", "{\"type\":\"pull-wake\",\"pattern\":\"*\","
                    + "\"wake_stream\":\"w\"}", "Content-Type", "application/json", "Origin", EVIL).statusCode())
                    .isEqualTo(403);
            assertThat(server.root().resolve("t")).doesNotExist();
            assertThat(Files.readString(server.root().resolve("s"))).isEqualTo("ok");
            assertThat(server.send("GET", "/__ds/subscriptions/x", null).statusCode()).isEqualTo(404);
            assertThat(refused()).isEqualTo(3);
        }

        @Test
        void aWebSocketAppendFromAnotherOriginIsRefusedBeforeTheUpgrade() throws Exception {
            start(OriginPolicy.sameOriginOnly());
            try (RawWebSocket ws = RawWebSocket.connect(server.address(), "/w?verb=APPEND", 0, "Origin: " + EVIL)) {
                assertThat(ws.status()).isEqualTo(403);
                assertThat(ws.closedByServer()).isTrue();
            }
            try (RawWebSocket ws = RawWebSocket.connect(server.address(), "/w", 0, "X-Verb: append", "Origin: null")) {
                assertThat(ws.status()).isEqualTo(403);
            }
            assertThat(server.root().resolve("w")).doesNotExist();
            assertThat(refused()).isEqualTo(2);
        }

        @Test
        void theServersOwnOriginAppendsOverHttpAndWebSocket() throws Exception {
            start(OriginPolicy.sameOriginOnly());
            stream("/s");
            HttpResponse<String> r = server.send("POST", "/s", "+same", "Content-Type", "text/plain", "Origin", self());
            assertThat(r.statusCode()).isIn(200, 204);
            assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).contains(self());
            assertThat(r.headers().allValues("Vary")).contains("Origin");
            try (RawWebSocket ws = RawWebSocket.connect(server.address(), "/w?verb=APPEND", 0, "Origin: " + self())) {
                assertThat(ws.status()).isEqualTo(101);
                ws.send(RawWebSocket.TEXT, "ws".getBytes(UTF_8));
                ws.sendClose(1000);
                assertThat(ws.readToClose(new java.io.ByteArrayOutputStream()).opcode()).isEqualTo(RawWebSocket.CLOSE);
            }
            assertThat(Files.readString(server.root().resolve("s"))).isEqualTo("ok+same");
            assertThat(Files.readString(server.root().resolve("w"))).isEqualTo("ws");
            assertThat(refused()).isZero();
        }

        @Test
        void requestsWithoutOriginAreNotAffected() throws Exception {
            start(OriginPolicy.sameOriginOnly());
            stream("/s");
            assertThat(server.send("DELETE", "/s", null).statusCode()).isEqualTo(204);
            assertThat(refused()).isZero();
        }

        @Test
        void anyOriginReadsAndFollowsAndReadAnswersStayPublic() throws Exception {
            start(OriginPolicy.sameOriginOnly());
            stream("/s");
            HttpResponse<String> r = server.send("GET", "/s", null, "Origin", EVIL);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("ok");
            assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).contains("*");
            assertThat(r.headers().allValues("Vary")).doesNotContain("Origin");
            try (RawWebSocket ws = RawWebSocket.connect(server.address(), "/s", 0, "Origin: " + EVIL)) {
                assertThat(ws.status()).isEqualTo(101);
                assertThat(new String(ws.readData(2), UTF_8)).isEqualTo("ok");
            }
            assertThat(refused()).isZero();
        }
    }

    @Nested
    class Preflights {
        @Test
        void aReadPreflightFromAnyOriginIsGrantedWithTheHeadersClientsSend() throws Exception {
            start(OriginPolicy.sameOriginOnly());
            HttpResponse<String> r = server.send("OPTIONS", "/s", null, "Origin", EVIL,
                    "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "if-none-match",
                    "Access-Control-Request-Private-Network", "true");
            assertThat(r.statusCode()).isEqualTo(204);
            assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).contains("*");
            assertThat(r.headers().firstValue("Access-Control-Allow-Methods")).contains("GET, HEAD, OPTIONS");
            assertThat(r.headers().firstValue("Access-Control-Allow-Headers").orElseThrow())
                    .contains("If-None-Match", "Authorization", "Producer-Epoch", "Stream-Seq", "X-Verb");
            assertThat(r.headers().allValues("Vary")).contains("Origin");
            assertThat(r.headers().firstValue("Access-Control-Allow-Private-Network")).contains("true");
            assertThat(refused()).isZero();
        }

        @Test
        void aWritePreflightFromAnotherOriginIsRefused() throws Exception {
            start(OriginPolicy.sameOriginOnly());
            HttpResponse<String> r = server.send("OPTIONS", "/__ds/subscriptions/x", null, "Origin", EVIL,
                    "Access-Control-Request-Method", "PUT");
            assertThat(r.statusCode()).isEqualTo(403);
            assertThat(r.body()).isEqualTo("origin " + EVIL + " may not PUT here (see -allow-origin)\n");
            assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
            assertThat(r.headers().firstValue("Access-Control-Allow-Methods")).isEmpty();
            assertThat(refused()).isEqualTo(1);
        }

        @Test
        void aWritePreflightFromAnAllowedOriginIsGrantedToThatOrigin() throws Exception {
            start(OriginPolicy.parse("https://app.example"));
            HttpResponse<String> r = server.send("OPTIONS", "/s", null, "Origin", "https://app.example",
                    "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type");
            assertThat(r.statusCode()).isEqualTo(204);
            assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).contains("https://app.example");
            assertThat(r.headers().firstValue("Access-Control-Allow-Methods")).contains(BrowserOriginHandler.ALL_METHODS);
            assertThat(r.headers().allValues("Vary")).contains("Origin");
        }
    }

    @Nested
    class AllowOrigin {
        @Test
        void listedOriginsWriteComparedByNormalisedSchemeHostAndPort() throws Exception {
            start(OriginPolicy.parse("http://App.Example:8080/, https://other.example"));
            stream("/s");
            assertThat(server.send("POST", "/s", "1", "Content-Type", "text/plain", "Origin", "http://app.example:8080")
                    .statusCode()).isIn(200, 204);
            assertThat(server.send("POST", "/s", "2", "Content-Type", "text/plain", "Origin",
                    "https://other.example:443")
                    .statusCode()).isIn(200, 204);
            assertThat(server.send("POST", "/s", "x", "Content-Type", "text/plain", "Origin", "http://app.example")
                    .statusCode()).isEqualTo(403);
            assertThat(server.send("POST", "/s", "x", "Content-Type", "text/plain", "Origin",
                    "https://app.example:8080")
                    .statusCode()).isEqualTo(403);
            assertThat(server.send("POST", "/s", "3", "Content-Type", "text/plain", "Origin", self()).statusCode())
                    .isIn(200, 204); // the server's own origin stays allowed
            assertThat(Files.readString(server.root().resolve("s"))).isEqualTo("ok123");
            assertThat(refused()).isEqualTo(2);
        }

        @Test
        void aStarAllowsEveryOriginEvenNull() throws Exception {
            start(OriginPolicy.parse("*"));
            stream("/s");
            assertThat(server.send("POST", "/s", "1", "Content-Type", "text/plain", "Origin", "null").statusCode())
                    .isIn(200, 204);
            try (RawWebSocket ws = RawWebSocket.connect(server.address(), "/w?verb=APPEND", 0, "Origin: " + EVIL)) {
                assertThat(ws.status()).isEqualTo(101);
            }
            assertThat(refused()).isZero();
        }
    }
}
