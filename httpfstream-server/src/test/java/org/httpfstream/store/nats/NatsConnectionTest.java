package org.httpfstream.store.nats;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.httpfstream.testing.StoredBytes.read;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.httpfstream.store.StoreLimits;
import org.httpfstream.store.StoredStream;
import org.httpfstream.testing.NatsCluster;
import org.httpfstream.testing.TempFolders;
import org.httpfstream.testing.TestCertificates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A front node's connection to NATS, on real single-node JetStream servers: one that asks for TLS with
 * a client certificate (a throwaway CA and certificates made by keytool) and a user and password, one
 * that asks for a token. The right settings connect (and the store works on R1 streams, started with
 * {@code allowUnsafe}); wrong ones fail with one line that names the servers and never shows a secret;
 * and a server without a cluster is refused unless allowed.
 */
class NatsConnectionTest {
    static final Path CERTS = folder();
    static final TestCertificates.Pem SERVER = pem("server");
    static final TestCertificates.Pem CLIENT = pem("client");
    static final TestCertificates.Pem STRANGER = pem("stranger");
    static final String PASSWORD = "pw-" + Long.toHexString(System.nanoTime());
    static final String TOKEN = "tok-" + Long.toHexString(System.nanoTime());
    static final NatsConfig CONFIG = new NatsConfig("conn", 2, 3, Duration.ofSeconds(10), 256 * 1024);

    /** TLS, client certificates verified against CLIENT's, and a user with a password. */
    @RegisterExtension
    static final NatsCluster secured = NatsCluster.single(
            "tls { cert_file: \"" + SERVER.certificate() + "\", key_file: \"" + SERVER.key() + "\", ca_file: \""
                    + CLIENT.certificate() + "\", verify: true, timeout: 5 }\n"
                    + "authorization { user: hfs, password: \"" + PASSWORD + "\" }",
            b -> b.sslContext(clientContext()).userInfo("hfs", PASSWORD));

    @RegisterExtension
    static final NatsCluster tokened = NatsCluster.single("authorization { token: \"" + TOKEN + "\" }",
            b -> b.token(TOKEN.toCharArray()));

    private static Path folder() {
        try {
            return TempFolders.create();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The TLS context of {@link #tlsOptions}: trusts SERVER, shows CLIENT. */
    private static javax.net.ssl.SSLContext clientContext() {
        try {
            return tlsOptions(List.of("nats://127.0.0.1:1")).sslContext();
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

    private static NatsConnectionOptions tlsOptions(List<String> urls) {
        return NatsConnectionOptions.of(urls).withTls(SERVER.certificate(), CLIENT.certificate(), CLIENT.key());
    }

    @AfterAll
    static void deleteCertificates() throws IOException {
        TempFolders.delete(CERTS);
    }

    /** Appends {@code text} under a one-operation lease and reads the stream back. */
    static String appendAndRead(NatsStorage store, String path, String text) throws Exception {
        StoredStream s = store.stream(path);
        s.withLease(true, lease -> lease.append(ByteBuffer.wrap(text.getBytes(UTF_8)))).join();
        return read(store.stream(path), 0, s.committedLength());
    }

    @Test
    void theRightUserPasswordAndClientCertificateConnectOverTlsAndTheStoreWorksOnOneReplica() throws Exception {
        NatsConnectionOptions o = tlsOptions(secured.urls()).withUser("hfs", PASSWORD).withName("front-a");
        try (NatsStorage store = NatsStorage.connect(o, CONFIG, true, StoreLimits.NONE)) {
            assertThat(store.connection.getServerInfo().isTLSRequired()).isTrue();
            assertThat(store.config.replicas()).isEqualTo(1);
            assertThat(store.jsm.getStreamInfo(NatsNames.streamName(0)).getConfiguration().getReplicas()).isEqualTo(1);
            assertThat(appendAndRead(store, "/tls/a.log", "over TLS")).isEqualTo("over TLS");
        }
    }

    @Test
    void aWrongPasswordFailsInOneLineThatNeverShowsAPassword() {
        NatsConnectionOptions o = tlsOptions(secured.urls()).withUser("hfs", "not-" + PASSWORD);
        assertThatThrownBy(() -> NatsStorage.connect(o, CONFIG, true, StoreLimits.NONE))
                .isInstanceOf(NatsStartException.class)
                .hasMessageStartingWith("failed to connect to NATS at " + secured.url(0) + ": ")
                .hasMessageContaining("Authorization Violation")
                .hasMessageNotContaining(PASSWORD)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void withoutAClientCertificateTheServerRefusesTheConnection() {
        NatsConnectionOptions o = NatsConnectionOptions.of(secured.urls()).withTls(SERVER.certificate(), null, null)
                .withUser("hfs", PASSWORD);
        assertThatThrownBy(() -> NatsStorage.connect(o, CONFIG, true, StoreLimits.NONE))
                .isInstanceOf(NatsStartException.class)
                .hasMessageStartingWith("failed to connect to NATS at " + secured.url(0) + ": ")
                .hasMessageContaining("client certificate")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void aCaThatDidNotSignTheServersCertificateFailsTheConnection() {
        NatsConnectionOptions o = NatsConnectionOptions.of(secured.urls())
                .withTls(STRANGER.certificate(), CLIENT.certificate(), CLIENT.key()).withUser("hfs", PASSWORD);
        assertThatThrownBy(() -> NatsStorage.connect(o, CONFIG, true, StoreLimits.NONE))
                .isInstanceOf(NatsStartException.class)
                .hasMessageStartingWith("failed to connect to NATS at " + secured.url(0) + ": ")
                .hasMessageContaining("certification path")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void aMissingCaFileIsNamed() {
        NatsConnectionOptions o = NatsConnectionOptions.of(secured.urls()).withTls(CERTS.resolve("none.crt"), null, null);
        assertThatThrownBy(() -> NatsStorage.connect(o, CONFIG, true, StoreLimits.NONE))
                .isInstanceOf(IOException.class)
                .hasMessage("cannot read the NATS CA file " + CERTS.resolve("none.crt") + ": no such file");
    }

    @Test
    void theRightTokenConnectsAndAWrongOneFails() throws Exception {
        try (NatsStorage store = NatsStorage.connect(NatsConnectionOptions.of(tokened.urls()).withToken(TOKEN), CONFIG,
                true, StoreLimits.NONE)) {
            assertThat(appendAndRead(store, "/token/a.log", "with a token")).isEqualTo("with a token");
        }
        assertThatThrownBy(() -> NatsStorage.connect(NatsConnectionOptions.of(tokened.urls()).withToken("x" + TOKEN),
                CONFIG, true, StoreLimits.NONE))
                .isInstanceOf(NatsStartException.class)
                .hasMessage("failed to connect to NATS at " + tokened.url(0) + ": Authorization Violation");
    }

    @Test
    void aServerWithoutAClusterIsRefusedWithoutTheFlagInOneLineNamingTheSettingAndTheFlag() {
        assertThatThrownBy(() -> NatsStorage.connect(NatsConnectionOptions.of(tokened.urls()).withToken(TOKEN), CONFIG,
                false, StoreLimits.NONE))
                .isInstanceOf(NatsStartException.class)
                .hasMessageStartingWith("refusing to start on NATS at " + tokened.url(0) + ": the server ")
                .hasMessageContaining("is not part of a cluster, so streams have 1 replica")
                .hasMessageEndingWith("; pass -nats-allow-unsafe to start anyway")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void optionsShownInLogsHideEverySecret() {
        NatsConnectionOptions o = NatsConnectionOptions.of(List.of("nats://me:hunter2@127.0.0.1:4222"))
                .withUser("hfs", PASSWORD);
        assertThat(o.toString()).doesNotContain(PASSWORD).doesNotContain("hunter2").contains("nats://127.0.0.1:4222");
        assertThat(NatsConnectionOptions.of(List.of("nats://x")).withToken(TOKEN).toString()).doesNotContain(TOKEN);
    }
}
