package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.httpfstream.server.AuthHttp.bearer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.httpfstream.auth.AuthConfig;
import org.httpfstream.auth.Rate;
import org.httpfstream.auth.SignedLinks;
import org.httpfstream.auth.Tokens;
import org.httpfstream.server.testing.ServerExtension;
import org.httpfstream.testing.Await;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Authentication and authorisation beyond the matrix: paths, reloads, signed links, rates. */
class AuthTest {
    @RegisterExtension
    final ServerExtension server = new ServerExtension().startedByTest();
    Path tokens;

    /** Starts the server with a grant file holding {@code grants}; {@code config} null: no rate limit. */
    void start(String grants, AuthConfig config) throws IOException {
        tokens = server.folder().resolve("tokens");
        Files.writeString(tokens, grants);
        server.start(b -> b.auth(config == null ? AuthConfig.of(tokens) : config)
                .longPollTimeout(Duration.ofMillis(200)));
    }

    void start(String grants) throws IOException {
        start(grants, null);
    }

    /** One request on a fresh connection to the server; see {@link AuthHttp#send}. */
    RawHttp send(String method, String target, byte[] body, String... headers) throws IOException {
        return AuthHttp.send(server.address(), method, target, body, headers);
    }

    RawHttp put(String path, String body, String token) throws IOException {
        return send("PUT", path, body.getBytes(UTF_8), bearer(token), "Content-Type: text/plain");
    }

    RawHttp post(String path, String body, String token) throws IOException {
        return send("POST", path, body.getBytes(UTF_8), bearer(token), "Content-Type: text/plain");
    }

    RawHttp get(String target, String... headers) throws IOException {
        return send("GET", target, null, headers);
    }

    Path file(String path) {
        return server.root().resolve(path.substring(1));
    }

    @Nested
    class PathsAreMatchedAsTheStoreNamesThem {
        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"/secret", "//secret", "/public/../secret", "/public/%2e%2e/secret",
            "/public/%2E%2E/secret", "/public%2F..%2Fsecret", "/public/./../secret", "/PUBLIC/a", "/Public/a",
            "/public", "/publicity"})
        void noSpellingReachesPastAGrant(String target) throws IOException {
            start("admin-t admin /\nuser-t read,append /public/\n");
            assertThat(put("/secret", "top", "admin-t").status).isEqualTo(201);
            assertThat(get(target, bearer("user-t")).status).isEqualTo(403);
            assertThat(send("POST", target, "x".getBytes(UTF_8), bearer("user-t"),
                    "Content-Type: text/plain").status).isEqualTo(403);
            assertThat(Files.readString(file("/secret"))).isEqualTo("top");
        }

        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"/public/a", "//public//a", "/public/./a", "/public/a/", "/public%2Fa",
            "/public/b/../a"})
        void everySpellingOfAGrantedStreamIsTheSameStream(String target) throws IOException {
            start("user-t read,append /public/\n");
            assertThat(put("/public/a", "A", "user-t").status).isEqualTo(201);
            RawHttp r = get(target, bearer("user-t"));
            assertThat(r.status).isIn(200, 400); // 400: the store refuses a '..' segment itself
            if (r.status == 200) {
                assertThat(r.bodyText()).isEqualTo("A");
            }
        }
    }

    @Nested
    class Tokens_ {
        @Test
        void aHashedTokenIsTheTokenItself() throws IOException {
            String hex = HexFormat.of().formatHex(Tokens.sha256("s3cret"));
            start("sha256:" + hex + " read,append /\n");
            assertThat(put("/h", "x", "s3cret").status).isEqualTo(201);
            assertThat(get("/h", bearer("s3cret")).bodyText()).isEqualTo("x");
            assertThat(get("/h", bearer("sha256:" + hex)).status).isEqualTo(401);
        }

        @Test
        void aMissingTokenIs401AndAnUnknownOneToo() throws IOException {
            start("t read /\n");
            RawHttp none = get("/x");
            assertThat(none.status).isEqualTo(401);
            assertThat(none.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"httpfstream\"");
            assertThat(none.bodyText()).isEqualTo("not authorised: a token is needed (Authorization: Bearer TOKEN)\n");
            RawHttp unknown = get("/x", bearer("nope"));
            assertThat(unknown.status).isEqualTo(401);
            assertThat(unknown.header("WWW-Authenticate")).contains("error=\"invalid_token\"");
            assertThat(unknown.bodyText()).isEqualTo("not authorised: unknown token "
                    + Tokens.fingerprint("nope") + "\n");
            assertThat(server.get().refusals().get(Refusals.Reason.AUTH_MISSING)).isEqualTo(2);
        }

        @Test
        void aTokenInTheQueryIsNeverStoredNorEchoed() throws IOException {
            start("query-token-XYZ admin /\n");
            RawHttp r = send("PUT", "/q?token=query-token-XYZ", "x".getBytes(UTF_8),
                    "Content-Type: text/plain");
            assertThat(r.status).isEqualTo(201);
            assertThat(r.header("Location")).doesNotContain("query-token");
            try (Stream<Path> all = Files.walk(server.root())) {
                for (Path p : all.filter(Files::isRegularFile).toList()) {
                    assertThat(Files.readString(p, java.nio.charset.StandardCharsets.ISO_8859_1))
                            .as(p.toString()).doesNotContain("query-token-XYZ");
                }
            }
        }

        @Test
        void preflightAndThePublicKeySetNeedNoToken() throws IOException {
            start("t read /\n");
            // The server's own origin, so that only authentication could refuse it (other origins get the
            // origin policy's 403, BrowserOriginTest).
            assertThat(send("OPTIONS", "/x", null, "Origin: http://127.0.0.1:" + server.address().getPort(),
                    "Access-Control-Request-Method: POST").status).isNotIn(401, 403);
            assertThat(get("/__ds/jwks.json").status).isEqualTo(200);
        }

        @Test
        void aRefusedWebSocketAppendStoresNothingEvenWithFramesSentEarly() throws IOException {
            start("r read /\n");
            byte[] frame = {(byte) 0x82, (byte) 0x83, 0, 0, 0, 0, 'a', 'b', 'c'};
            try (RawWebSocket ws = RawWebSocket.appendEagerly(server.address(), "/early?token=r", frame)) {
                assertThat(ws.status()).isEqualTo(403);
            }
            assertThat(Files.exists(file("/early"))).isFalse();
            assertThat(server.get().refusals().get(Refusals.Reason.AUTH_FORBIDDEN)).isEqualTo(1);
        }
    }

    @Nested
    class Reloading {
        @Test
        void aChangedFileTakesEffectAndAnOpenFollowerStaysConnected() throws IOException {
            start("old admin /\nfollower read /\n");
            assertThat(put("/live", "one ", "old").status).isEqualTo(201);
            try (RawWebSocket follower = RawWebSocket.follow(server.address(), "/live?frames=binary",
                    bearer("follower"), "X-Verb: FOLLOW")) {
                assertThat(follower.status()).isEqualTo(101);
                assertThat(follower.readData(4)).isEqualTo("one ".getBytes(UTF_8));
                Files.writeString(tokens, "new admin /\n");
                Await.until("the new grants are in force", () -> statusOf("/live", "new") == 200);
                assertThat(get("/live", bearer("old")).status).isEqualTo(401);
                assertThat(post("/live", "two", "new").status).isEqualTo(204);
                assertThat(follower.readData(3)).isEqualTo("two".getBytes(UTF_8));
            }
        }

        @Test
        void aBadLineIsRefusedAndTheOldGrantsStay() throws IOException {
            start("keep read /\n", AuthConfig.of(server.folder().resolve("tokens")).withPollInterval(Duration.ZERO));
            Files.writeString(tokens, "fresh read /\nbroken reed /\n");
            assertThat(server.get().reloadTokens()).isFalse();
            assertThat(status(get("/x", bearer("keep")))).isEqualTo(404);
            assertThat(status(get("/x", bearer("fresh")))).isEqualTo(401);
            Files.writeString(tokens, "fresh read /\n");
            assertThat(server.get().reloadTokens()).isTrue();
            assertThat(status(get("/x", bearer("fresh")))).isEqualTo(404);
            assertThat(status(get("/x", bearer("keep")))).isEqualTo(401);
        }

        @Test
        void aBadFileAtStartStopsTheServerFromStarting() throws IOException {
            Path t = Files.writeString(server.folder().resolve("bad"), "# fine\nt read,write /\n");
            IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                    () -> server.startAnother(b -> b.tokens(t)));
            assertThat(e.getMessage()).isEqualTo(t + " line 2: unknown permission \"write\" "
                    + "(expected read, append, delete or admin)");
        }
    }

    int status(RawHttp r) {
        return r.status;
    }

    int statusOf(String target, String token) {
        try {
            return get(target, bearer(token)).status;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Nested
    class SignedLinks_ {
        String sign(String scope, String ttl, String token) throws IOException {
            RawHttp r = send("POST", "/__ds/sign?path=" + scope + "&ttl=" + ttl, new byte[0], bearer(token));
            assertThat(r.status).as(r.bodyText()).isEqualTo(200);
            return r.bodyText().strip();
        }

        @Test
        void aLinkReadsItsStreamOverEveryReadPath() throws IOException {
            start("adm admin /\n");
            assertThat(put("/logs/build", "log", "adm").status).isEqualTo(201);
            String q = sign("/logs/build", "1h", "adm");
            assertThat(get("/logs/build?" + q).bodyText()).isEqualTo("log");
            assertThat(get("/logs/build?offset=-1&" + q).bodyText()).isEqualTo("log");
            assertThat(get("/logs/build?follow&" + q).status).isEqualTo(200);
            assertThat(get("/logs/build?offset=-1&live=sse&" + q).status).isEqualTo(200);
            assertThat(get("/logs/build?offset=now&live=long-poll&" + q).status).isEqualTo(204);
            assertThat(send("HEAD", "/logs/build?" + q, null).status).isEqualTo(200);
            try (RawWebSocket ws = RawWebSocket.follow(server.address(), "/logs/build?frames=binary&" + q,
                    "X-Verb: FOLLOW")) {
                assertThat(ws.status()).isEqualTo(101);
                assertThat(ws.readData(3)).isEqualTo("log".getBytes(UTF_8));
            }
        }

        @Test
        void aLinkGrantsReadOnlyAndOnlyOnItsScope() throws IOException {
            start("adm admin /\n");
            put("/logs/a", "A", "adm");
            put("/logs/b", "B", "adm");
            put("/other", "O", "adm");
            String q = sign("/logs/", "1h", "adm");
            assertThat(get("/logs/a?" + q).bodyText()).isEqualTo("A");
            assertThat(get("/logs/b?" + q).bodyText()).isEqualTo("B");
            RawHttp other = get("/other?" + q);
            assertThat(other.status).isEqualTo(403);
            assertThat(other.bodyText()).isEqualTo("not authorised: signed link is for /logs/, not /other\n");
            RawHttp write = send("POST", "/logs/a?" + q, "x".getBytes(UTF_8), "Content-Type: text/plain");
            assertThat(write.status).isEqualTo(403);
            assertThat(write.bodyText()).isEqualTo("not authorised: a signed link grants read only, not append\n");
            assertThat(Files.readString(file("/logs/a"))).isEqualTo("A");
            try (RawWebSocket ws = RawWebSocket.connect(server.address(), "/logs/a?" + q, 0, "X-Verb: APPEND")) {
                assertThat(ws.status()).isEqualTo(403);
            }
        }

        @Test
        void anAlteredLinkIsRefused() throws IOException {
            start("adm admin /\n");
            put("/logs/a", "A", "adm");
            put("/secret", "S", "adm");
            String q = sign("/logs/a", "1h", "adm");
            String otherScope = q.replace("link-scope=%2Flogs%2Fa", "link-scope=%2F");
            String later = q.replaceFirst("link-expires=(\\d+)", "link-expires=9$1");
            for (String altered : new String[] {otherScope, later}) {
                RawHttp r = get("/secret?" + altered);
                assertThat(r.status).isEqualTo(403);
                assertThat(r.bodyText()).isEqualTo("not authorised: signed link signature does not match\n");
            }
            assertThat(server.get().refusals().get(Refusals.Reason.SIGNED_LINK)).isEqualTo(2);
        }

        @Test
        void anExpiredLinkIsRefusedSayingWhen() throws IOException {
            start("adm admin /\n");
            put("/logs/a", "A", "adm");
            Clock past = Clock.offset(Clock.systemUTC(), Duration.ofDays(-2));
            String q = SignedLinks.load(server.root().resolve(".httpfstream/link.key"), past)
                    .sign("/logs/a", Duration.ofHours(1));
            String expires = java.time.Instant.ofEpochSecond(Long.parseLong(
                    q.substring("link-expires=".length(), q.indexOf('&')))).toString();
            RawHttp r = get("/logs/a?" + q);
            assertThat(r.status).isEqualTo(403);
            assertThat(r.bodyText()).isEqualTo("not authorised: signed link expired at " + expires + "\n");
        }

        @Test
        void onlyAnAdminOfTheScopeSigns() throws IOException {
            start("adm admin /logs/\nreader read /\n");
            assertThat(send("POST", "/__ds/sign?path=/logs/a&ttl=1h", new byte[0], bearer("reader")).status)
                    .isEqualTo(403);
            assertThat(send("POST", "/__ds/sign?path=/other&ttl=1h", new byte[0], bearer("adm")).status)
                    .isEqualTo(403);
            assertThat(send("POST", "/__ds/sign?path=/logs/a&ttl=1h", new byte[0]).status).isEqualTo(401);
            assertThat(send("POST", "/__ds/sign?path=/logs/a&ttl=soon", new byte[0], bearer("adm")).status)
                    .isEqualTo(400);
            assertThat(sign("/logs/a", "1h", "adm")).startsWith("link-expires=");
        }

        @Test
        void theKeyIsKeptUnderTheMetadataFolderForTheOwnerOnly() throws IOException {
            start("adm admin /\n");
            Path key = server.root().resolve(".httpfstream/link.key");
            assertThat(Files.size(key)).isEqualTo(32);
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
                    .isEqualTo("rw-------");
        }
    }

    @Nested
    class Rates {
        @Test
        void aTokenPastItsRequestRateGets429WithRetryAfter() throws IOException {
            start("t read,append /\n", AuthConfig.of(server.folder().resolve("tokens")).withRate(new Rate(2, 0)));
            assertThat(get("/x", bearer("t")).status).isEqualTo(404);
            assertThat(get("/x", bearer("t")).status).isEqualTo(404);
            RawHttp r = get("/x", bearer("t"));
            assertThat(r.status).isEqualTo(429);
            assertThat(r.header("Retry-After")).isEqualTo("1");
            assertThat(r.bodyText()).isEqualTo("too many requests: token " + Tokens.fingerprint("t")
                    + " is past its 2 requests per second\n");
            assertThat(server.get().refusals().get(Refusals.Reason.RATE)).isEqualTo(1);
        }

        @Test
        void aTokenPastItsByteRateGets429AndNothingOfTheAppendIsStored() throws IOException {
            start("t read,append / bytes=10\nfree read,append /\n");
            assertThat(put("/b", "0123456789", "t").status).isEqualTo(201);
            RawHttp r = post("/b", "abc", "t");
            assertThat(r.status).isEqualTo(429);
            assertThat(Integer.parseInt(r.header("Retry-After"))).isBetween(1, 2);
            assertThat(Files.readString(file("/b"))).isEqualTo("0123456789");
            assertThat(post("/b", "abc", "free").status).isEqualTo(204); // other tokens are not held back
        }

        @Test
        void aWebSocketAppenderPastItsByteRateIsSlowedDownAndLosesNothing() throws IOException {
            start("t read,append / bytes=2000\n");
            byte[] data = new byte[6000];
            java.util.Arrays.fill(data, (byte) 'w');
            long started = System.nanoTime();
            try (RawWebSocket ws = RawWebSocket.connect(server.address(), "/ws?token=t", 0, "X-Verb: APPEND")) {
                assertThat(ws.status()).isEqualTo(101);
                for (int i = 0; i < 6; i++) {
                    ws.send(RawWebSocket.BINARY, java.util.Arrays.copyOfRange(data, i * 1000, i * 1000 + 1000));
                }
                ws.sendClose(1000);
                RawWebSocket.Frame close = ws.readToClose(new ByteArrayOutputStream());
                assertThat(close.closeCode()).isEqualTo(1000);
            }
            assertThat(Files.readAllBytes(file("/ws"))).isEqualTo(data);
            // 2000 at once, then 4000 more at 2000 a second
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThan(Duration.ofMillis(1500));
        }
    }

    @Nested
    class WithoutAGrantFile {
        @Test
        void everythingIsOpenAndATokenInTheQueryIsStillStripped() throws IOException {
            server.start();
            RawHttp r = send("PUT", "/open?token=abc", "x".getBytes(UTF_8), "Content-Type: text/plain");
            assertThat(r.status).isEqualTo(201);
            assertThat(r.header("Location")).endsWith("/open");
            assertThat(get("/open").bodyText()).isEqualTo("x");
            assertThat(send("POST", "/__ds/sign?path=/open", new byte[0]).status).isEqualTo(404);
        }
    }

    static String readAll(InputStream in) throws IOException {
        return new String(in.readAllBytes(), UTF_8);
    }
}
