package org.httpfstream.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PEM keys in the three forms openssl writes, read to the same key as their PKCS#8 form; a chain of
 * certificates in file order; and one-line refusals. The keys are made by {@code openssl}, as an operator
 * makes them.
 */
class PemFilesTest {
    @TempDir Path dir;

    Path openssl(String out, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(command + ": " + text).isZero();
        return dir.resolve(out);
    }

    @Test
    void aPkcs1RsaKeyIsTheKeyOfItsPkcs8Form() throws Exception {
        Path pkcs1 = openssl("rsa1.pem", "genrsa", "-traditional", "-out", "rsa1.pem", "2048");
        assertThat(Files.readString(pkcs1)).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        Path pkcs8 = openssl("rsa8.pem", "pkcs8", "-topk8", "-nocrypt", "-in", "rsa1.pem", "-out", "rsa8.pem");
        PrivateKey a = PemFiles.readKey(pkcs1);
        PrivateKey b = PemFiles.readKey(pkcs8);
        assertThat(a).isInstanceOf(RSAPrivateCrtKey.class);
        assertThat(a.getEncoded()).isEqualTo(b.getEncoded());
    }

    @Test
    void aSec1EcKeyAfterItsParametersIsTheKeyOfItsPkcs8Form() throws Exception {
        Path sec1 = openssl("ec.pem", "ecparam", "-name", "prime256v1", "-genkey", "-out", "ec.pem");
        assertThat(Files.readString(sec1)).contains("-----BEGIN EC PARAMETERS-----", "-----BEGIN EC PRIVATE KEY-----");
        Path pkcs8 = openssl("ec8.pem", "pkcs8", "-topk8", "-nocrypt", "-in", "ec.pem", "-out", "ec8.pem");
        ECPrivateKey a = (ECPrivateKey) PemFiles.readKey(sec1);
        ECPrivateKey b = (ECPrivateKey) PemFiles.readKey(pkcs8);
        assertThat(a.getS()).isEqualTo(b.getS());
        assertThat(a.getParams().getCurve()).isEqualTo(b.getParams().getCurve());
    }

    @Test
    void aChainIsReadInFileOrder() throws Exception {
        openssl("ca.key", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ca.key");
        openssl("ca.crt", "req", "-x509", "-key", "ca.key", "-subj", "/CN=Test CA", "-days", "2", "-out", "ca.crt");
        openssl("leaf.key", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "leaf.key");
        openssl("leaf.csr", "req", "-new", "-key", "leaf.key", "-subj", "/CN=localhost", "-out", "leaf.csr");
        openssl("leaf.crt", "x509", "-req", "-in", "leaf.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-out", "leaf.crt");
        Files.writeString(dir.resolve("chain.crt"), Files.readString(dir.resolve("leaf.crt"))
                + Files.readString(dir.resolve("ca.crt")));
        PemFiles.Identity id = PemFiles.read(TlsConfig.of(dir.resolve("chain.crt"), dir.resolve("leaf.key")));
        assertThat(id.chain()).hasSize(2);
        assertThat(id.chain().get(0).getSubjectX500Principal().getName()).isEqualTo("CN=localhost");
        assertThat(id.chain().get(1).getSubjectX500Principal().getName()).isEqualTo("CN=Test CA");
        assertThat(id.key().getAlgorithm()).isEqualTo("EC");
    }

    @Test
    void anEncryptedKeyIsRefusedWithWhatToDo() throws Exception {
        openssl("rsa8.pem", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                "-aes256", "-pass", "pass:secret", "-out", "rsa8.pem");
        assertThatThrownBy(() -> PemFiles.readKey(dir.resolve("rsa8.pem"))).isInstanceOf(IOException.class)
                .hasMessage("the private key in " + dir.resolve("rsa8.pem")
                        + " is encrypted; give it unencrypted (openssl pkcs8 -nocrypt)");
    }

    @Test
    void aFileWithoutCertificateSaysSo() throws IOException {
        Path empty = Files.writeString(dir.resolve("empty.crt"), "nothing here\n");
        assertThatThrownBy(() -> PemFiles.readChain(empty)).isInstanceOf(IOException.class)
                .hasMessage("no PEM certificate (BEGIN CERTIFICATE) in " + empty);
    }
}
