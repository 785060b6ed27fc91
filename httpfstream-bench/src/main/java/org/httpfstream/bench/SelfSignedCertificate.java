package org.httpfstream.bench;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The certificate of the server the benchmark starts with {@code --tls}: a self-signed RSA 2048 key pair
 * for {@code localhost} and {@code 127.0.0.1}, made by the JDK's {@code keytool} (Netty's own
 * self-signed certificate needs BouncyCastle or JDK-internal classes that Java 17 does not open) and
 * written as PEM, the form the server's {@code -tls-cert} and {@code -tls-key} take.
 *
 * <p>Thread safety: stateless.
 */
final class SelfSignedCertificate {
    private SelfSignedCertificate() {}

    /** The PEM files: the certificate and its PKCS#8 key. */
    record Pem(Path certificate, Path key) {}

    /** Makes a key pair and certificate in {@code dir} ({@code bench.crt}, {@code bench.key}). */
    static Pem generate(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path store = dir.resolve("bench.p12");
        Files.deleteIfExists(store);
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "server", "-keyalg", "RSA", "-keysize", "2048", "-validity", "7",
                "-dname", "CN=httpfstream-bench", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", "bench-only",
                "-keypass", "bench-only");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (InputStream out = p.getInputStream()) {
            String text = new String(out.readAllBytes(), US_ASCII);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("keytool failed: " + text.strip());
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while keytool ran", e);
        }
        try (InputStream in = Files.newInputStream(store)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, "bench-only".toCharArray());
            PrivateKey key = (PrivateKey) ks.getKey("server", "bench-only".toCharArray());
            X509Certificate cert = (X509Certificate) ks.getCertificate("server");
            Path certFile = dir.resolve("bench.crt");
            Path keyFile = dir.resolve("bench.key");
            Files.writeString(certFile, pem("CERTIFICATE", cert.getEncoded()), US_ASCII);
            Files.writeString(keyFile, pem("PRIVATE KEY", key.getEncoded()), US_ASCII);
            return new Pem(certFile, keyFile);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the key store keytool made: " + e, e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
