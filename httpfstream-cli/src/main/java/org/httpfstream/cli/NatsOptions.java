package org.httpfstream.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.httpfstream.store.nats.NatsConnectionOptions;
import picocli.CommandLine.Option;

/**
 * The server flags of the NATS connection with {@code -store=nats}: authentication ({@code -nats-creds},
 * {@code -nats-user} with a password, or a token), TLS ({@code -nats-tls-ca}, {@code -nats-tls-cert},
 * {@code -nats-tls-key}), the connection's name and {@code -nats-allow-unsafe}. Secrets are read from a
 * file or the environment, never from the command line (which {@code ps} shows to every user), and never
 * shown in {@code --help} or the logs. A picocli mixin of {@link ServerCommand}. Not thread safe (filled
 * in by picocli).
 */
final class NatsOptions {
    /** The environment variable a password is read from when {@code -nats-password-file} is not given. */
    static final String PASSWORD_ENV = "HTTPFSTREAM_NATS_PASSWORD";
    /** The environment variable a token is read from when {@code -nats-token-file} is not given. */
    static final String TOKEN_ENV = "HTTPFSTREAM_NATS_TOKEN";

    @Option(
            names = {"-nats-creds", "--nats-creds"},
            paramLabel = "FILE",
            description = "with -store=nats: a NATS credentials file (user JWT and NKey seed) to authenticate with")
    Path creds;

    @Option(
            names = {"-nats-user", "--nats-user"},
            paramLabel = "NAME",
            description = "with -store=nats: the NATS user to authenticate as; the password is read from "
                    + "-nats-password-file or the environment variable " + PASSWORD_ENV)
    String user;

    @Option(
            names = {"-nats-password-file", "--nats-password-file"},
            paramLabel = "FILE",
            description = "file holding the password of -nats-user (its first line)")
    Path passwordFile;

    @Option(
            names = {"-nats-token-file", "--nats-token-file"},
            paramLabel = "FILE",
            description = "with -store=nats: file holding a NATS authentication token (its first line); without "
                    + "it, the environment variable " + TOKEN_ENV + " if set")
    Path tokenFile;

    @Option(
            names = {"-nats-tls-ca", "--nats-tls-ca"},
            paramLabel = "FILE",
            description = "with -store=nats: connect to NATS over TLS, trusting the PEM certificates of FILE "
                    + "(default: cleartext, or the JVM's trusted authorities for tls:// URLs)")
    Path tlsCa;

    @Option(
            names = {"-nats-tls-cert", "--nats-tls-cert"},
            paramLabel = "FILE",
            description = "PEM client certificate shown to NATS servers that verify clients; needs -nats-tls-key")
    Path tlsCert;

    @Option(
            names = {"-nats-tls-key", "--nats-tls-key"},
            paramLabel = "FILE",
            description = "PEM private key of -nats-tls-cert, unencrypted: PKCS#8, PKCS#1 RSA or SEC 1 EC")
    Path tlsKey;

    @Option(
            names = {"-nats-name", "--nats-name"},
            paramLabel = "NAME",
            defaultValue = "httpfstream",
            description = "the name the NATS servers show for this node's connection (default: ${DEFAULT-VALUE})")
    String name;

    @Option(
            names = {"-nats-allow-unsafe", "--nats-allow-unsafe"},
            description = "start even on NATS settings known to lose acknowledged appends (one server without a "
                    + "cluster, streams with fewer than 3 replicas or in memory, nats-server 2.10.20 to 2.10.22), "
                    + "with a warning; without it the server refuses to start, naming the setting")
    boolean allowUnsafe;

    /** True if any of these flags was given. */
    boolean any() {
        return creds != null || user != null || passwordFile != null || tokenFile != null || tlsCa != null
                || tlsCert != null || tlsKey != null || !"httpfstream".equals(name) || allowUnsafe;
    }

    /**
     * The connection options for {@code urls}.
     *
     * @param env the environment to read {@link #PASSWORD_ENV} and {@link #TOKEN_ENV} from
     * @throws CommandFailure for flags that do not go together, or a file that cannot be read
     */
    NatsConnectionOptions toOptions(List<String> urls, Map<String, String> env) {
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new CommandFailure("-nats-tls-cert and -nats-tls-key go together: give both or neither");
        }
        if (passwordFile != null && user == null) {
            throw new CommandFailure("-nats-password-file needs -nats-user");
        }
        if ((creds != null ? 1 : 0) + (user != null ? 1 : 0) + (tokenFile != null ? 1 : 0) > 1) {
            throw new CommandFailure("give one of -nats-creds, -nats-user or -nats-token-file");
        }
        for (Path p : new Path[] {creds, tlsCa, tlsCert, tlsKey}) {
            if (p != null) {
                readable(p);
            }
        }
        NatsConnectionOptions o = NatsConnectionOptions.of(urls).withName(name);
        if (creds != null) {
            o = o.withCredentials(creds);
        } else if (user != null) {
            String password = passwordFile != null ? firstLine(passwordFile) : env.get(PASSWORD_ENV);
            if (password == null || password.isEmpty()) {
                throw new CommandFailure("-nats-user needs a password: -nats-password-file=FILE or " + PASSWORD_ENV);
            }
            o = o.withUser(user, password);
        } else if (tokenFile != null) {
            o = o.withToken(firstLine(tokenFile));
        } else if (env.get(TOKEN_ENV) != null && !env.get(TOKEN_ENV).isEmpty()) {
            o = o.withToken(env.get(TOKEN_ENV));
        }
        if (tlsCa != null || tlsCert != null) {
            o = o.withTls(tlsCa, tlsCert, tlsKey);
        }
        return o;
    }

    private static void readable(Path p) {
        if (!Files.isReadable(p)) {
            throw new CommandFailure("failed to read " + p + ": " + (Files.exists(p) ? "permission denied" : "no such file"));
        }
    }

    /** The first line of a secret's file, without its line end; fails if there is none. */
    private static String firstLine(Path p) {
        readable(p);
        try {
            List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
            if (lines.isEmpty() || lines.get(0).isEmpty()) {
                throw new CommandFailure("failed to read " + p + ": it is empty");
            }
            return lines.get(0);
        } catch (IOException e) {
            throw new CommandFailure("failed to read " + p + ": " + Errors.describeFile(e, p));
        }
    }
}
