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

/**
 * The real httpfstream server on a free loopback port, for end-to-end tests. Its streams live where
 * {@code -Dhttpfstream.test.store} says ({@code file}, the default, or {@code memory}: the client pom's
 * profile {@code memory-store} runs the tests that read streams through {@link #bytes} a second time with
 * it); a test's own {@code storage(...)} option wins.
 */
final class RealServer implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    final HttpFStreamServer server;
    final Path root;

    private RealServer(Path root, UnaryOperator<HttpFStreamServerBuilder> options) throws IOException {
        this.root = root;
        this.server = options.apply(HttpFStreamServer.builder().root(root).bind("127.0.0.1", 0)
                .storage(System.getProperty("httpfstream.test.store", HttpFStreamServer.STORAGE_FILE))).build().start();
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

    /** The committed bytes of the stream at {@code path}, read through the server's storage (any store). */
    byte[] bytes(String path) throws IOException {
        return org.httpfstream.testing.StoredBytes.of(server.storage(), path);
    }

    /** {@link #bytes} in UTF-8. */
    String text(String path) throws IOException {
        return new String(bytes(path), java.nio.charset.StandardCharsets.UTF_8);
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
