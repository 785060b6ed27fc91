package org.httpfstream.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.httpfstream.tls.PemFiles;
import org.httpfstream.tls.TlsConfig;
import picocli.CommandLine.Option;

/**
 * The server flags {@code -tls-cert} and {@code -tls-key}: HTTPS (and HTTP/2 by ALPN) on the {@code -http}
 * address. A picocli mixin of {@link ServerCommand}. Not thread safe (filled in by picocli).
 */
final class TlsOptions {
    @Option(
            names = {"-tls-cert", "--tls-cert"},
            paramLabel = "FILE",
            description = "PEM certificate, followed by its chain if any: serve HTTPS and WSS on the -http address, "
                    + "HTTP/1.1 and HTTP/2 chosen by ALPN; needs -tls-key; read again on SIGHUP, new connections "
                    + "get the new pair (default: none, cleartext HTTP/1.1 and HTTP/2 with prior knowledge)")
    Path cert;

    @Option(
            names = {"-tls-key", "--tls-key"},
            paramLabel = "FILE",
            description = "PEM private key of -tls-cert, unencrypted: PKCS#8, PKCS#1 RSA or SEC 1 EC")
    Path key;

    /**
     * The pair, or null for none.
     *
     * @throws CommandFailure if only one of the two is given, or a file cannot be read
     */
    TlsConfig toConfig() {
        if (cert == null && key == null) {
            return null;
        }
        if (cert == null || key == null) {
            throw new CommandFailure("-tls-cert and -tls-key go together: give both or neither");
        }
        for (Path p : new Path[] {cert, key}) {
            if (!Files.isReadable(p)) {
                throw new CommandFailure("failed to read TLS file " + p + ": "
                        + (Files.exists(p) ? "permission denied" : "no such file"));
            }
        }
        TlsConfig config = TlsConfig.of(cert, key);
        try {
            PemFiles.read(config); // the server reads them again; this gives the one-line reason first
        } catch (IOException e) {
            throw new CommandFailure("failed to load the TLS certificate: " + e.getMessage());
        }
        return config;
    }
}
