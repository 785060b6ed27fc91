package org.httpfstream.server;

import java.nio.file.Path;

/**
 * A server for {@link AccessLogTest}, run in a JVM of its own so that its access log can be sent to a
 * file of its own at INFO (slf4j-simple reads its configuration once per JVM). Arguments: the root and
 * the grant file, then optionally a PEM certificate and key to serve TLS with. Prints {@code PORT n} once serving, and stops when its standard input ends.
 */
public final class AccessLogServerMain {
    private AccessLogServerMain() {}

    public static void main(String[] args) throws Exception {
        HttpFStreamServerBuilder builder = HttpFStreamServer.builder().root(Path.of(args[0])).tokens(Path.of(args[1]))
                .bind("127.0.0.1", 0);
        if (args.length >= 4) {
            builder.tls(org.httpfstream.tls.TlsConfig.of(Path.of(args[2]), Path.of(args[3])));
        }
        try (HttpFStreamServer server = builder.build().start()) {
            System.out.println("PORT " + server.port());
            System.out.flush();
            System.in.transferTo(java.io.OutputStream.nullOutputStream());
        }
    }
}
