package org.httpfstream.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import org.httpfstream.server.HttpFStreamServer;
import org.httpfstream.server.HttpFStreamServerBuilder;
import org.httpfstream.tls.TlsConfig;

/**
 * Runs our server for the benchmark in its own process: {@code ServerMain -root=DIR
 * -http=HOST:PORT [-fsync] [-tls-cert=PEM -tls-key=PEM] [-nats=URL,...]} (with both, HTTPS with h2 and http/1.1 by ALPN).
 * Prints one line {@code LISTENING <base-uri> <pid>} once it serves, then serves
 * until its standard input ends (the benchmark closes it) or it gets SIGTERM.
 *
 * <p>Thread safety: a program entry point; not for use as a library.
 */
public final class ServerMain {
    private ServerMain() {}

    public static void main(String[] args) throws IOException {
        Path root = Path.of("/tmp/httpfstream-bench");
        String host = "127.0.0.1";
        int port = 0;
        boolean fsync = false;
        Path cert = null;
        Path key = null;
        List<String> nats = List.of();
        for (String a : args) {
            String arg = a.startsWith("--") ? a.substring(1) : a;
            if (arg.startsWith("-root=")) {
                root = Path.of(arg.substring(6));
            } else if (arg.startsWith("-tls-cert=")) {
                cert = Path.of(arg.substring("-tls-cert=".length()));
            } else if (arg.startsWith("-tls-key=")) {
                key = Path.of(arg.substring("-tls-key=".length()));
            } else if (arg.startsWith("-nats=")) {
                nats = List.of(arg.substring("-nats=".length()).split(","));
            } else if (arg.equals("-fsync")) {
                fsync = true;
            } else if (arg.startsWith("-http=")) {
                String hp = arg.substring(6);
                int colon = hp.lastIndexOf(':');
                if (colon < 0) {
                    throw new IllegalArgumentException("-http is not [host]:port: " + hp);
                }
                host = hp.substring(0, colon);
                port = Integer.parseInt(hp.substring(colon + 1));
            } else {
                throw new IllegalArgumentException("unknown argument: " + a);
            }
        }
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("-tls-cert and -tls-key go together");
        }
        HttpFStreamServerBuilder builder = HttpFStreamServer.builder().root(root).fsync(fsync).bind(host, port);
        if (!nats.isEmpty()) {
            builder.nats(nats); // a front node on the JetStream store, as -store=nats -nats=URL,...
        }
        if (cert != null) {
            builder.tls(TlsConfig.of(cert, key));
        }
        HttpFStreamServer server = builder.build().start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "server-shutdown"));
        System.out.println("LISTENING " + server.uri() + " " + ProcessHandle.current().pid());
        System.out.flush();
        InputStream in = System.in;
        byte[] buf = new byte[256];
        while (in.read(buf) >= 0) {
            // Serve until the benchmark closes our standard input.
        }
        server.close();
        System.exit(0);
    }
}
