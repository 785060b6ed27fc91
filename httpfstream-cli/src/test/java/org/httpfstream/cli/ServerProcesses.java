package org.httpfstream.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The harness of the tests that kill or stop the server process: {@code httpfstream server} run as separate
 * processes (each on the port it logs), the background loops ({@link Worker}s) that load it, and plain HTTP
 * to it. Registered with {@code @RegisterExtension}; after each test it tells every worker to stop and
 * closes every process.
 *
 * <p>Thread safety: {@link #start} and {@link #worker} are called by the test's thread; {@link #url},
 * {@link #send}, {@link #connect} and {@link #awaitServer} by any thread (the port is volatile).
 */
final class ServerProcesses implements AfterEachCallback {

    /** How long a process may take to start, and a worker or a request to get where it is expected. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** The request timeout: above the server's default long-poll timeout (30 s). */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

    /** Confined to the test's thread. */
    private final List<CliProcess> processes = new ArrayList<>();
    /** Confined to the test's thread. */
    private final List<Worker> workers = new ArrayList<>();
    /** The port of the server started last. */
    private volatile int port;

    /**
     * Starts {@code httpfstream server} with {@code args} and waits until it logs its address.
     *
     * @return the process, closed after the test
     */
    CliProcess start(String... args) {
        String[] command = new String[args.length + 1];
        command[0] = "server";
        System.arraycopy(args, 0, command, 1, args.length);
        CliProcess server = CliProcess.start(command);
        processes.add(server);
        port = server.awaitPort(TIMEOUT);
        return server;
    }

    /** Starts a worker, told to stop after the test. */
    Worker worker(String name, Worker.Body body) {
        Worker w = new Worker(name, body);
        workers.add(w);
        return w;
    }

    /** The port of the server started last. */
    int port() {
        return port;
    }

    URI url(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** An HTTP/1.1 client: one per thread that needs connections of its own. */
    static HttpClient httpClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** Sends {@code method path} with {@code body} (a string, or null for none) and header name/value pairs. */
    HttpResponse<byte[]> send(HttpClient http, String method, String path, String body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(url(path)).timeout(REQUEST_TIMEOUT)
                .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body, UTF_8));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), BodyHandlers.ofByteArray());
    }

    /**
     * GETs {@code target} (a path and query); when the request fails on the connection (the server is
     * restarting), waits until the server is back and sends it again.
     */
    <T> HttpResponse<T> getAcrossRestarts(HttpClient http, String target, BodyHandler<T> handler)
            throws InterruptedException {
        while (true) {
            try {
                return http.send(HttpRequest.newBuilder(url(target)).timeout(REQUEST_TIMEOUT).build(), handler);
            } catch (IOException e) {
                awaitServer();
            }
        }
    }

    /** Waits until the server accepts connections again (a restart), polling with a deadline. */
    void awaitServer() {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no server on port " + port + " within " + TIMEOUT, e);
                }
                LockSupport.parkNanos(Duration.ofMillis(50).toNanos()); // poll interval, not a wait for the event
            }
        }
    }

    /** A socket to the server (with the read timeout {@link #TIMEOUT}), waiting for a restart if need be. */
    Socket connect() throws IOException {
        while (true) {
            try {
                Socket s = new Socket("127.0.0.1", port);
                s.setSoTimeout((int) TIMEOUT.toMillis());
                return s;
            } catch (ConnectException e) {
                awaitServer();
            }
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        workers.forEach(Worker::stop);
        processes.forEach(CliProcess::close);
    }

    /** Bytes {@code from} to {@code from + n} of an endless text of numbered lines ("0000000\n0000001\n..."). */
    static byte[] numberedLines(long from, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            long p = from + i;
            int column = (int) (p % 8);
            long line = p / 8;
            b[i] = column == 7 ? (byte) '\n' : (byte) ('0' + (line / pow10(6 - column)) % 10);
        }
        return b;
    }

    private static long pow10(int e) {
        long r = 1;
        for (int i = 0; i < e; i++) {
            r *= 10;
        }
        return r;
    }
}
