package org.httpfstream.store.nats;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.httpfstream.tls.PemFiles;

/**
 * How a front node connects to its NATS cluster: the servers, how it authenticates (a credentials file,
 * a user and password, or a token) and its TLS (a CA file to trust, a client certificate and key, or
 * {@code tls://} URLs with the JVM's trust store), and the name the servers show for the connection.
 *
 * <p>Secrets are never shown: {@link #toString()} and {@link #redact(String)} leave out passwords,
 * tokens and the user-info part of URLs, so these options may be logged.
 *
 * @param urls the cluster's servers ({@code nats://host:port} or {@code tls://host:port}); any of them,
 *     the client learns the others
 * @param credentials a NATS credentials file (a user JWT and its NKey seed), or null
 * @param user a user name, with {@code password}, or null
 * @param password the user's password, or null
 * @param token an authentication token, or null
 * @param tlsCa a PEM file of the certificates that sign the servers' certificates, or null: with it the
 *     connection uses TLS and trusts only these
 * @param tlsCertificate a PEM client certificate (chain) for servers that verify clients, with {@code
 *     tlsKey}, or null
 * @param tlsKey the PEM private key of {@code tlsCertificate}, or null
 * @param name the connection's name, as the servers' monitoring shows it
 *
 * <p>Immutable, so thread-safe.
 */
public record NatsConnectionOptions(List<String> urls, Path credentials, String user, String password,
        String token, Path tlsCa, Path tlsCertificate, Path tlsKey, String name) {

    public NatsConnectionOptions {
        urls = List.copyOf(urls);
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("nats needs at least one server URL");
        }
        if ((user == null) != (password == null)) {
            throw new IllegalArgumentException("a NATS user needs a password, and a password a user");
        }
        int ways = (credentials != null ? 1 : 0) + (user != null ? 1 : 0) + (token != null ? 1 : 0);
        if (ways > 1) {
            throw new IllegalArgumentException(
                    "NATS authentication takes one of a credentials file, a user and password, or a token");
        }
        if ((tlsCertificate == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("a NATS client certificate needs its key, and a key its certificate");
        }
        Objects.requireNonNull(name, "name");
    }

    /** Connects to {@code urls} without authentication or TLS of our own, named {@code httpfstream}. */
    public static NatsConnectionOptions of(List<String> urls) {
        return new NatsConnectionOptions(urls, null, null, null, null, null, null, null, "httpfstream");
    }

    /** These options authenticating with a NATS credentials file. */
    public NatsConnectionOptions withCredentials(Path file) {
        return new NatsConnectionOptions(urls, file, null, null, null, tlsCa, tlsCertificate, tlsKey, name);
    }

    /** These options authenticating as {@code user} with {@code password}. */
    public NatsConnectionOptions withUser(String user, String password) {
        return new NatsConnectionOptions(urls, null, user, password, null, tlsCa, tlsCertificate, tlsKey, name);
    }

    /** These options authenticating with {@code token}. */
    public NatsConnectionOptions withToken(String token) {
        return new NatsConnectionOptions(urls, null, null, null, token, tlsCa, tlsCertificate, tlsKey, name);
    }

    /**
     * These options over TLS: trusting the certificates of {@code ca} (null: the JVM's trust store), and
     * showing the client certificate {@code certificate} with {@code key} (both null: none).
     */
    public NatsConnectionOptions withTls(Path ca, Path certificate, Path key) {
        return new NatsConnectionOptions(urls, credentials, user, password, token, ca, certificate, key, name);
    }

    /** These options with another connection name. */
    public NatsConnectionOptions withName(String name) {
        return new NatsConnectionOptions(urls, credentials, user, password, token, tlsCa, tlsCertificate, tlsKey, name);
    }

    /** The servers, with any user info in them left out: safe to log. */
    public String serversForDisplay() {
        return String.join(",", urls.stream().map(NatsConnectionOptions::redact).toList());
    }

    /** {@code url} without its user-info part ({@code nats://user:secret@host} → {@code nats://host}). */
    static String redact(String url) {
        int at = url.lastIndexOf('@');
        if (at < 0) {
            return url;
        }
        int scheme = url.indexOf("://");
        return (scheme < 0 ? "" : url.substring(0, scheme + 3)) + url.substring(at + 1);
    }

    /** Shows the servers and which authentication and TLS are used, never a secret. */
    @Override
    public String toString() {
        return "NatsConnectionOptions[servers=" + serversForDisplay()
                + (credentials != null ? ", credentials=" + credentials : "")
                + (user != null ? ", user=" + user + ", password=(hidden)" : "")
                + (token != null ? ", token=(hidden)" : "")
                + (tlsCa != null ? ", tlsCa=" + tlsCa : "")
                + (tlsCertificate != null ? ", tlsCertificate=" + tlsCertificate : "")
                + ", name=" + name + "]";
    }

    /**
     * The jnats options of these settings: reconnecting for ever to any server, every 100 ms, JetStream
     * requests' default timeout left to the store.
     *
     * @throws IOException naming the file when a credentials, CA, certificate or key file cannot be read
     */
    io.nats.client.Options.Builder toBuilder() throws IOException {
        io.nats.client.Options.Builder b = new io.nats.client.Options.Builder()
                .servers(urls.toArray(String[]::new)).connectionName(name).maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(100)).connectionTimeout(Duration.ofSeconds(5));
        if (credentials != null) {
            if (!Files.isReadable(credentials)) {
                throw new IOException("cannot read the NATS credentials file " + credentials);
            }
            b.credentialPath(credentials.toString());
        }
        if (user != null) {
            b.userInfo(user.toCharArray(), password.toCharArray());
        }
        if (token != null) {
            b.token(token.toCharArray());
        }
        if (tlsCa != null || tlsCertificate != null) {
            b.sslContext(sslContext());
        }
        return b;
    }

    /** A TLS context trusting {@code tlsCa} (or the JVM's trust store) and showing the client certificate. */
    SSLContext sslContext() throws IOException {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (tlsCa == null) {
                tmf.init((KeyStore) null);
            } else {
                KeyStore trust = KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                int i = 0;
                for (X509Certificate c : readChain(tlsCa, "CA")) {
                    trust.setCertificateEntry("ca" + i++, c);
                }
                tmf.init(trust);
            }
            KeyManagerFactory kmf = null;
            if (tlsCertificate != null) {
                List<X509Certificate> chain = readChain(tlsCertificate, "client certificate");
                java.security.PrivateKey key;
                try {
                    key = PemFiles.readKey(tlsKey);
                } catch (IOException e) {
                    throw new IOException("cannot read the NATS client key " + tlsKey + ": " + e.getMessage(), e);
                }
                KeyStore identity = KeyStore.getInstance("PKCS12");
                identity.load(null, null);
                char[] none = new char[0];
                identity.setKeyEntry("client", key, none, chain.toArray(new X509Certificate[0]));
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(identity, none);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS for NATS: " + e.getMessage(), e);
        }
    }

    private static List<X509Certificate> readChain(Path file, String what) throws IOException {
        try {
            return PemFiles.readChain(file);
        } catch (IOException e) {
            throw new IOException("cannot read the NATS " + what + " file " + file + ": " + describe(e), e);
        }
    }

    private static String describe(IOException e) {
        return e instanceof java.nio.file.NoSuchFileException ? "no such file"
                : e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.getMessage();
    }
}
