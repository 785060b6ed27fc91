package org.httpfstream.server;

import org.httpfstream.testing.TestCertificates;
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
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.httpfstream.auth.Tokens;
import org.httpfstream.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The access log of HTTP/2 requests, from a server in a JVM of its own ({@link AccessLogServerMain}) whose
 * logger writes to a file: over TLS with h2 chosen by ALPN (the JDK's HttpClient) and over cleartext h2c
 * with prior knowledge (curl), a PUT (of a closed stream), a catch-up GET and a {@code ?follow} of it (which ends at once) each get
 * one line with their status, the body bytes both ways, the token's fingerprint, the connection's client
 * address and {@code proto=h2}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Http2AccessLogTest {
    static final String TOKEN = "h2-s3cret-token";

    @TempDir Path dir;
    AccessLogServer server;
    int port;
    TestCertificates.Pem cert;

    void start(boolean tls) throws Exception {
        cert = tls ? TestCertificates.selfSigned(dir, "h2log") : null;
        server = AccessLogServer.start(dir, TOKEN, cert);
        port = server.port;
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    /** The one line with every one of {@code parts}, once there is one. */
    String awaitLine(String... parts) throws IOException {
        Await.until("an access-log line with " + String.join(", ", parts), () -> !server.lines(parts).isEmpty());
        List<String> found = server.lines(parts);
        assertThat(found).as("lines with " + Arrays.toString(parts)).hasSize(1);
        return found.get(0);
    }

    void assertLines(String prefix) throws IOException {
        String fingerprint = " principal=token:" + Tokens.fingerprint(TOKEN) + " ";
        String put = awaitLine("method=PUT path=" + prefix + " ");
        assertThat(put).contains(fingerprint).contains(" status=201 in=5 ")
                .containsPattern(" client=127\\.0\\.0\\.1:\\d+ ").contains(" kind=http end=complete proto=h2");
        String get = awaitLine("method=GET path=" + prefix + "?offset=-1 ");
        assertThat(get).contains(fingerprint).contains(" status=200 in=0 out=5 ")
                .contains(" kind=http end=complete proto=h2");
        String follow = awaitLine("method=GET path=" + prefix + "?follow ");
        assertThat(follow).contains(fingerprint).contains(" status=200 in=0 out=5 ")
                .contains(" kind=http end=complete proto=h2");
        String refused = awaitLine("path=" + prefix + "?offset=0 ");
        assertThat(refused).contains(" principal=anonymous ").contains(" status=401 ").contains(" proto=h2");
        assertThat(Files.readString(server.log)).doesNotContain(TOKEN);
    }

    @Test
    void eachH2RequestOverTlsGetsOneLine() throws Exception {
        start(true);
        HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                .sslContext(TestCertificates.trusting(cert.x509())).connectTimeout(Duration.ofSeconds(5)).build();
        URI base = URI.create("https://127.0.0.1:" + port + "/");
        HttpResponse<String> put = h2.send(HttpRequest.newBuilder(base.resolve("t.txt"))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "text/plain")
                .header("Stream-Closed", "true") // so that ?follow ends
                .PUT(BodyPublishers.ofString("hello", UTF_8)).build(), BodyHandlers.ofString());
        assertThat(put.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(put.statusCode()).isEqualTo(201);
        for (String query : List.of("?offset=-1", "?follow")) {
            HttpResponse<String> get = h2.send(HttpRequest.newBuilder(base.resolve("t.txt" + query))
                    .header("Authorization", "Bearer " + TOKEN).build(), BodyHandlers.ofString());
            assertThat(get.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(get.statusCode()).isEqualTo(200);
            assertThat(get.body()).isEqualTo("hello");
        }
        assertThat(h2.send(HttpRequest.newBuilder(base.resolve("t.txt?offset=0")).build(), BodyHandlers.ofString())
                .statusCode()).isEqualTo(401);
        assertLines("/t.txt");
    }

    @Test
    void eachH2cRequestWithPriorKnowledgeGetsOneLine() throws Exception {
        start(false);
        String base = "http://127.0.0.1:" + port + "/";
        String auth = "Authorization: Bearer " + TOKEN;
        assertThat(TlsAndHttp2Test.curl("-sS", "--http2-prior-knowledge", "-X", "PUT", "-H", auth, "-H",
                "Content-Type: text/plain", "-H", "Stream-Closed: true", "--data-binary", "hello", "-o", "/dev/null", "-w",
                "%{http_version} %{http_code}", base + "c.txt")).isEqualTo("2 201");
        assertThat(TlsAndHttp2Test.curl("-sS", "--http2-prior-knowledge", "-H", auth, base + "c.txt?offset=-1"))
                .isEqualTo("hello");
        assertThat(TlsAndHttp2Test.curl("-sS", "--http2-prior-knowledge", "-H", auth, base + "c.txt?follow"))
                .isEqualTo("hello");
        assertThat(TlsAndHttp2Test.curl("-sS", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code}",
                base + "c.txt?offset=0")).isEqualTo("401");
        assertLines("/c.txt");
    }
}
