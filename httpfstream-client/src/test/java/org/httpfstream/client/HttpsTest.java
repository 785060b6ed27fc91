package org.httpfstream.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import javax.net.ssl.SSLHandshakeException;
import org.httpfstream.testing.TestCertificates;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The client against the real server over TLS: appends and follows over {@code wss}, reads over {@code https}. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HttpsTest {
    @TempDir Path dir;
    TestCertificates.Pem cert;
    RealServer server;
    HttpFStreamClient client;

    @BeforeEach
    void start() throws IOException {
        cert = TestCertificates.selfSigned(dir, "server");
        server = RealServer.start(Files.createDirectories(dir.resolve("root")), b -> b.tls(cert.config()));
        client = HttpFStreamClient.builder().sslContext(TestCertificates.trusting(cert.x509()))
                .readTimeout(Duration.ofSeconds(20)).build();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void appendsAndFollowsLiveOverWss() throws Exception {
        assertThat(server.uri("/live.bin").getScheme()).isEqualTo("https");
        try (OutputStream append = client.openAppend(server.uri("/live.bin"));
             FollowInputStream follow = waitForFollow(append)) {
            assertThat(follow.readNBytes(6)).isEqualTo("hello ".getBytes(UTF_8));
            append.write("world".getBytes(UTF_8));
            append.close(); // the end of the append ends the follow
            assertThat(follow.readAllBytes()).isEqualTo("world".getBytes(UTF_8));
            assertThat(follow.offset()).isEqualTo("000000000000000b");
        }
        assertThat(Files.readString(server.root.resolve("live.bin"))).isEqualTo("hello world");
    }

    private FollowInputStream waitForFollow(OutputStream append) throws IOException {
        append.write("hello ".getBytes(UTF_8));
        return client.follow(server.uri("/live.bin"));
    }

    @Test
    void followsAFinishedStreamOverHttps() throws Exception {
        byte[] content = new byte[2 * 1024 * 1024 + 3];
        new Random(7).nextBytes(content);
        Files.write(server.root.resolve("done.bin"), content);
        try (InputStream in = client.follow(server.uri("/done.bin"))) {
            assertThat(in.readAllBytes()).isEqualTo(content);
        }
        assertThat(client.append(server.uri("/copy.bin"), new java.io.ByteArrayInputStream(content)))
                .isEqualTo(content.length);
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        try (InputStream in = client.follow(server.uri("/copy.bin"))) {
            in.transferTo(copy);
        }
        assertThat(copy.toByteArray()).isEqualTo(content);
    }

    @Test
    void aCertificateForAnotherHostIsRefusedEvenIfTrusted() throws Exception {
        TestCertificates.Pem other = TestCertificates.selfSigned(dir, "other", "RSA", "dns:elsewhere.example");
        server.close();
        server = RealServer.start(dir.resolve("root"), b -> b.tls(other.config()));
        HttpFStreamClient trusting = HttpFStreamClient.builder().sslContext(TestCertificates.trusting(other.x509()))
                .resumeTimeout(Duration.ZERO).build();
        assertThatThrownBy(() -> trusting.follow(server.uri("/x")))
                .isInstanceOf(IOException.class).hasRootCauseInstanceOf(java.security.cert.CertificateException.class);
    }

    @Test
    void theDefaultTrustRefusesASelfSignedCertificate() {
        HttpFStreamClient plain = HttpFStreamClient.builder().resumeTimeout(Duration.ZERO).build();
        assertThatThrownBy(() -> plain.follow(server.uri("/x"))).isInstanceOf(IOException.class)
                .satisfies(e -> assertThat(causes(e)).anyMatch(c -> c instanceof SSLHandshakeException));
    }

    private static java.util.List<Throwable> causes(Throwable t) {
        java.util.List<Throwable> all = new java.util.ArrayList<>();
        for (Throwable c = t; c != null && !all.contains(c); c = c.getCause()) {
            all.add(c);
        }
        return all;
    }
}
