package org.httpfstream.server.connection;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.httpfstream.tls.PemFiles;
import org.httpfstream.tls.TlsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's TLS context, made from a {@link TlsConfig}'s PEM files, and replaced by {@link #reload()}:
 * each new connection takes the context in force when it is accepted, so a reload changes the certificate
 * for new connections and leaves open ones as they are. ALPN offers {@code h2}, then {@code http/1.1}.
 * The engine is BoringSSL ({@code netty-tcnative-boringssl-static}) where its native library loads, else
 * the JDK's.
 *
 * <p>Thread safety: thread safe; the context is held in an {@link AtomicReference}, so {@link
 * #newHandler} (event loops) and {@link #reload()} (a signal thread) need no lock.
 */
public final class TlsContexts {
    private static final Logger LOG = LoggerFactory.getLogger(TlsContexts.class);

    private final TlsConfig config;
    private final SslProvider provider;
    private final AtomicReference<SslContext> current = new AtomicReference<>();

    private TlsContexts(TlsConfig config, SslProvider provider, SslContext first) {
        this.config = config;
        this.provider = provider;
        this.current.set(first);
    }

    /**
     * Reads the files of {@code config} and makes the first context.
     *
     * @throws IOException if a file is missing, unreadable or not a usable certificate chain and key
     */
    public static TlsContexts load(TlsConfig config) throws IOException {
        Objects.requireNonNull(config, "config");
        SslProvider provider = OpenSsl.isAvailable() && SslProvider.isAlpnSupported(SslProvider.OPENSSL)
                ? SslProvider.OPENSSL : SslProvider.JDK;
        return new TlsContexts(config, provider, build(config, provider));
    }

    private static SslContext build(TlsConfig config, SslProvider provider) throws IOException {
        PemFiles.Identity identity = PemFiles.read(config);
        X509Certificate leaf = identity.chain().get(0);
        if (!leaf.getPublicKey().getAlgorithm().equals(identity.key().getAlgorithm())) {
            throw new IOException("the key in " + config.keyFile() + " (" + identity.key().getAlgorithm()
                    + ") does not belong to the first certificate in " + config.certificateFile() + " ("
                    + leaf.getPublicKey().getAlgorithm() + ")");
        }
        try {
            return SslContextBuilder.forServer(identity.key(), identity.chainArray())
                    .sslProvider(provider)
                    .protocols("TLSv1.3", "TLSv1.2")
                    // HTTP/2 forbids the weaker TLS 1.2 suites (RFC 9113 appendix A)
                    .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(
                            ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1))
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot use the TLS certificate " + config.certificateFile() + " with key "
                    + config.keyFile() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads the files again and, if they make a context, puts it in force for new connections. A bad pair
     * is logged (one line) and the context in force stays.
     *
     * @return true if the new pair is in force
     */
    public boolean reload() {
        try {
            SslContext next = build(config, provider);
            current.set(next);
            LOG.info("TLS certificate {} and key {} loaded again; new connections use them",
                    config.certificateFile(), config.keyFile());
            return true;
        } catch (IOException e) {
            LOG.warn("TLS certificate not reloaded, the one in force stays: {}", e.getMessage());
            return false;
        }
    }

    /** A TLS handler for a new connection, with the context now in force. */
    public SslHandler newHandler(ByteBufAllocator alloc) {
        return current.get().newHandler(alloc);
    }

    /** {@code "OpenSSL"} (BoringSSL) or {@code "JDK"}: the engine in use. */
    public String engine() {
        return provider == SslProvider.OPENSSL ? "OpenSSL" : "JDK";
    }

    /** The files this context comes from. */
    public TlsConfig config() {
        return config;
    }
}
