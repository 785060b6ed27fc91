package org.httpfstream.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.regex.Pattern;
import org.httpfstream.testing.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code httpfstream server -tls-cert -tls-key}: HTTPS and h2, and SIGHUP loading a new certificate. */
class TlsServerTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir Path dir;

    static HttpResponse<String> get(int port, X509Certificate... trusted) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                .sslContext(TestCertificates.trusting(trusted)).connectTimeout(Duration.ofSeconds(10)).build();
        return client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/a.txt"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString(UTF_8));
    }

    @Test
    void servesHttpsAndSighupLoadsANewCertificateForNewConnections() throws Exception {
        TestCertificates.Pem first = TestCertificates.selfSigned(dir, "first");
        TestCertificates.Pem second = TestCertificates.selfSigned(dir, "second");
        Path root = Files.createDirectories(dir.resolve("root"));
        Files.writeString(root.resolve("a.txt"), "over TLS");
        try (CliProcess s = CliProcess.start("server", "-root=" + root, "-http=127.0.0.1:0",
                "-tls-cert=" + first.certificate(), "-tls-key=" + first.key())) {
            int port = s.awaitPort(TIMEOUT);
            HttpResponse<String> before = get(port, first.x509(), second.x509());
            assertThat(before.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(before.body()).isEqualTo("over TLS");
            assertThat(before.sslSession().orElseThrow().getPeerCertificates()[0]).isEqualTo(first.x509());

            Files.copy(second.certificate(), first.certificate(), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(second.key(), first.key(), StandardCopyOption.REPLACE_EXISTING);
            new ProcessBuilder("kill", "-HUP", Long.toString(s.pid())).start().waitFor();
            s.awaitStderrLine(Pattern.compile("TLS certificate .* loaded again"), TIMEOUT);
            HttpResponse<String> after = get(port, first.x509(), second.x509());
            assertThat(after.sslSession().orElseThrow().getPeerCertificates()[0]).isEqualTo(second.x509());
        }
    }

    @Test
    void aCertificateWithoutItsKeyOrWithABadKeyIsRefusedInOneLine() throws Exception {
        TestCertificates.Pem cert = TestCertificates.selfSigned(dir, "lonely");
        try (CliProcess s = CliProcess.start("server", "-root=" + dir.resolve("r"), "-http=127.0.0.1:0",
                "-tls-cert=" + cert.certificate())) {
            assertThat(s.awaitExit(TIMEOUT)).isNotZero();
            assertThat(s.stderrText()).contains("-tls-cert and -tls-key go together");
        }
        Files.writeString(dir.resolve("empty.key"), "");
        try (CliProcess s = CliProcess.start("server", "-root=" + dir.resolve("r"), "-http=127.0.0.1:0",
                "-tls-cert=" + cert.certificate(), "-tls-key=" + dir.resolve("empty.key"))) {
            assertThat(s.awaitExit(TIMEOUT)).isNotZero();
            assertThat(s.stderrText()).contains("failed to load the TLS certificate: no PEM private key");
        }
    }
}
