package org.httpfstream.testing;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.httpfstream.tls.TlsConfig;

/**
 * Self-signed certificates for the TLS tests, made by the JDK's {@code keytool} in a temporary folder and
 * written as PEM: the certificate, and the key as PKCS#8. The one copy for every module: the server module's
 * test-jar carries it to the client's and the command line's tests.
 *
 * <p>Thread safety: stateless; each call writes its own files (give each a distinct {@code name}).
 */
public final class TestCertificates {
    private TestCertificates() {}

    /** A certificate and key in PEM files, and the certificate itself. */
    public record Pem(Path certificate, Path key, X509Certificate x509) {
        public TlsConfig config() {
            return TlsConfig.of(certificate, key);
        }
    }

    /** A self-signed RSA certificate for {@code localhost} and {@code 127.0.0.1}, named {@code name}. */
    public static Pem selfSigned(Path dir, String name) throws IOException {
        return selfSigned(dir, name, "RSA", "dns:localhost,ip:127.0.0.1");
    }

    /**
     * A self-signed certificate.
     *
     * @param algorithm RSA or EC
     * @param san the subject alternative names as keytool takes them, e.g. {@code dns:localhost,ip:127.0.0.1}
     */
    public static Pem selfSigned(Path dir, String name, String algorithm, String san) throws IOException {
        Path store = dir.resolve(name + ".p12");
        Files.deleteIfExists(store);
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "server", "-keyalg", algorithm, "-validity", "2",
                "-dname", "CN=" + name, "-ext", "SAN=" + san,
                "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", "secret", "-keypass", "secret"));
        command.addAll(algorithm.equals("EC") ? List.of("-groupname", "secp256r1") : List.of("-keysize", "2048"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (InputStream out = p.getInputStream()) {
            String text = new String(out.readAllBytes(), US_ASCII);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("keytool failed: " + text);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        try (InputStream in = Files.newInputStream(store)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, "secret".toCharArray());
            PrivateKey key = (PrivateKey) ks.getKey("server", "secret".toCharArray());
            X509Certificate cert = (X509Certificate) ks.getCertificate("server");
            Path certFile = dir.resolve(name + ".crt");
            Path keyFile = dir.resolve(name + ".key");
            Files.writeString(certFile, pem("CERTIFICATE", cert.getEncoded()));
            Files.writeString(keyFile, pem("PRIVATE KEY", key.getEncoded()));
            return new Pem(certFile, keyFile, cert);
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** A client TLS context that trusts exactly these certificates. */
    public static SSLContext trusting(Certificate... certificates) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            for (int i = 0; i < certificates.length; i++) {
                trust.setCertificateEntry("c" + i, certificates[i]);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (java.security.GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
