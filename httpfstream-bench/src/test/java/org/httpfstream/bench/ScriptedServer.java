package org.httpfstream.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The harness of the load generator's wire tests: a listening socket on the loopback address, which a test's
 * script (a thread of the test's own) accepts on and answers byte by byte, and a {@link LoadClient} aimed at
 * it. Registered with {@code @RegisterExtension}: opened before each test, both closed after it.
 *
 * <p>Thread safety: {@link #accept()} may be called from the script's thread, the rest from the test's.
 */
final class ScriptedServer implements BeforeEachCallback, AfterEachCallback {
    private volatile ServerSocket listener;
    private volatile LoadClient client;

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        client = new LoadClient(URI.create("http://127.0.0.1:" + listener.getLocalPort() + "/"), 1, 1, 4);
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        client.close();
        listener.close();
    }

    /** The next connection of the client, for the script. */
    Socket accept() throws IOException {
        return listener.accept();
    }

    /** A client with one event loop and one source address, aimed at the scripted server. */
    LoadClient client() {
        return client;
    }

    /** A deadline 20 s from now, as {@link System#nanoTime()}. */
    static long deadline() {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    }
}
