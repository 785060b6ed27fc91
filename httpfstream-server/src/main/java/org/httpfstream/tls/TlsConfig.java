package org.httpfstream.tls;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the server's TLS identity is: a certificate file and its private key, both PEM. The certificate
 * file holds the server's certificate first and may go on with its chain (intermediates); the key is
 * PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1 RSA ({@code BEGIN RSA PRIVATE KEY}) or SEC 1 EC ({@code
 * BEGIN EC PRIVATE KEY}), not encrypted. The files are read when the server starts and again on every
 * reload ({@link PemFiles}).
 *
 * <p>Immutable.
 *
 * @param certificateFile the PEM certificate chain
 * @param keyFile the PEM private key of the chain's first certificate
 */
public record TlsConfig(Path certificateFile, Path keyFile) {
    public TlsConfig {
        Objects.requireNonNull(certificateFile, "certificateFile");
        Objects.requireNonNull(keyFile, "keyFile");
    }

    /** The pair read from these two files. */
    public static TlsConfig of(Path certificateFile, Path keyFile) {
        return new TlsConfig(certificateFile, keyFile);
    }
}
