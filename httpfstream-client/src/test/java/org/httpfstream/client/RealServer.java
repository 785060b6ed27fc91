package org.httpfstream.client;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;
import org.httpfstream.server.HttpFStreamServer;
import org.httpfstream.server.HttpFStreamServerBuilder;

/** The real httpfstream server on a free loopback port, for end-to-end tests. */
final class RealServer implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    final HttpFStreamServer server;
    final Path root;

    private RealServer(Path root, UnaryOperator<HttpFStreamServerBuilder> options) throws IOException {
        this.root = root;
        this.server = options.apply(HttpFStreamServer.builder().root(root).bind("127.0.0.1", 0)).build().start();
    }

    static RealServer start(Path root) throws IOException {
        return new RealServer(root, b -> b);
    }

    static RealServer start(Path root, UnaryOperator<HttpFStreamServerBuilder> options) throws IOException {
        return new RealServer(root, options);
    }

    /** The URI of {@code path} (which starts with "/") on this server. */
    URI uri(String path) {
        return server.uri().resolve(path);
    }

    /** A plain HTTP GET of {@code uri}, as a browser or curl would do it. */
    static HttpResponse<byte[]> get(URI uri) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    @Override
    public void close() {
        server.close();
    }
}
