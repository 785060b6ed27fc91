package org.httpfstream.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The real server as a JUnit 5 extension ({@code @RegisterExtension}): started on a free loopback port with
 * a fresh temporary root before each test, closed after it and its root deleted. For the end-to-end tests
 * that need no server options; a test that needs some starts its own {@link RealServer}.
 *
 * <p>Thread safety: started and stopped by JUnit on the test's thread; the accessors may be called from
 * any thread of the test while it runs.
 */
final class ServerPerTest implements BeforeEachCallback, AfterEachCallback {
    private volatile RealServer server;
    /** True once the test stopped the server itself. */
    private volatile boolean stopped;

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        server = RealServer.start(Files.createTempDirectory("httpfstream-client-test-"));
        stopped = false;
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        stop();
        try (Stream<Path> walk = Files.walk(server.root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    /** Stops the server now, dropping every connection, as a shutdown does; idempotent. */
    void stop() {
        if (!stopped) {
            stopped = true;
            server.close();
        }
    }

    /** The URI of {@code path} (which starts with "/") on the server. */
    URI uri(String path) {
        return server.uri(path);
    }

    /** The server's storage root. */
    Path root() {
        return server.root;
    }

    /** The committed bytes of the stream at {@code path} (see {@link RealServer#bytes}). */
    byte[] bytes(String path) throws IOException {
        return server.bytes(path);
    }

    /** {@link #bytes} in UTF-8. */
    String text(String path) throws IOException {
        return server.text(path);
    }

    /** The port the server listens on. */
    int port() {
        return server.server.port();
    }
}
