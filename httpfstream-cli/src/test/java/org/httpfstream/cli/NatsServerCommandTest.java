package org.httpfstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.httpfstream.testing.NatsCluster;
import org.httpfstream.testing.TempFolders;
import org.httpfstream.testing.TestCertificates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code httpfstream server -store=nats} with the NATS connection's flags, as a process, against a real
 * single-node JetStream server that asks for TLS with a client certificate and a user and password: the
 * right flags start a front node that serves appends and reads (with {@code -nats-allow-unsafe}, since
 * one server is refused otherwise); wrong credentials, and the one server without the flag, end the
 * process at once with one line on stderr and a non-zero exit.
 */
class NatsServerCommandTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    static final Path CERTS = folder();
    static final TestCertificates.Pem SERVER = pem("server");
    static final TestCertificates.Pem CLIENT = pem("client");
    static final String PASSWORD = "pw-" + Long.toHexString(System.nanoTime());

    @RegisterExtension
    static final NatsCluster nats = NatsCluster.single(
            "tls { cert_file: \"" + SERVER.certificate() + "\", key_file: \"" + SERVER.key() + "\", ca_file: \""
                    + CLIENT.certificate() + "\", verify: true, timeout: 5 }\n"
                    + "authorization { user: hfs, password: \"" + PASSWORD + "\" }",
            b -> {
                try {
                    return b.sslContext(clientContext()).userInfo("hfs", PASSWORD);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });

    @TempDir Path dir;

    private static Path folder() {
        try {
            return TempFolders.create();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static TestCertificates.Pem pem(String name) {
        try {
            return TestCertificates.selfSigned(CERTS, name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Trusts SERVER and shows CLIENT, as the flags below make the server do. */
    private static javax.net.ssl.SSLContext clientContext() throws Exception {
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("c", org.httpfstream.tls.PemFiles.readKey(CLIENT.key()), new char[0],
                new java.security.cert.Certificate[] {CLIENT.x509()});
        javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(
                javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("s", SERVER.x509());
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    @AfterAll
    static void deleteCertificates() throws IOException {
        TempFolders.delete(CERTS);
    }

    private String[] server(String... extra) {
        String[] base = {"server", "-root=" + dir.resolve("root"), "-http=127.0.0.1:0", "-store=nats",
            "-nats=" + nats.url(0), "-nats-tls-ca=" + SERVER.certificate(), "-nats-tls-cert=" + CLIENT.certificate(),
            "-nats-tls-key=" + CLIENT.key(), "-nats-user=hfs"};
        String[] all = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @Test
    void theRightFlagsMakeAFrontNodeThatServesAppendsAndReads() throws Exception {
        try (CliProcess s = CliProcess.start(Map.of(NatsOptions.PASSWORD_ENV, PASSWORD),
                server("-nats-allow-unsafe", "-nats-name=front-1"))) {
            int port = s.awaitPort(TIMEOUT);
            assertThat(s.stderrText()).contains("UNSAFE (-nats-allow-unsafe)").doesNotContain(PASSWORD);
            String url = "http://127.0.0.1:" + port + "/nats/1.log";
            try (CliProcess append = CliProcess.start("append", url)) {
                append.write("through NATS\n");
                append.closeStdin();
                assertThat(append.awaitExit(TIMEOUT)).as(append.stderrText()).isZero();
            }
            try (CliProcess follow = CliProcess.start("follow", url)) {
                assertThat(follow.awaitExit(TIMEOUT)).as(follow.stderrText()).isZero();
                assertThat(follow.stdoutText()).isEqualTo("through NATS\n");
            }
        }
    }

    @Test
    void aWrongPasswordEndsTheServerWithOneLineAndANonZeroExit() throws Exception {
        Path wrong = Files.writeString(dir.resolve("password"), "not-" + PASSWORD + "\n");
        try (CliProcess s = CliProcess.start(server("-nats-password-file=" + wrong, "-nats-allow-unsafe"))) {
            assertThat(s.awaitExit(TIMEOUT)).isNotZero();
            assertThat(s.stderrText()).isEqualTo(
                    "failed to connect to NATS at " + nats.url(0) + ": Authorization Violation\n");
        }
    }

    @Test
    void oneServerWithoutAClusterIsRefusedWithoutTheFlagInOneLine() {
        try (CliProcess s = CliProcess.start(Map.of(NatsOptions.PASSWORD_ENV, PASSWORD), server())) {
            assertThat(s.awaitExit(TIMEOUT)).isNotZero();
            assertThat(s.stderrText()).matches(Pattern.compile("refusing to start on NATS at " + Pattern.quote(nats.url(0))
                    + ": the server \\S+ is not part of a cluster, so streams have 1 replica[^\n]*; pass "
                    + "-nats-allow-unsafe to start anyway\n"));
        }
    }
}
