package org.httpfstream.server.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.httpfstream.server.HttpFStreamServer;
import org.httpfstream.server.HttpFStreamServerBuilder;
import org.httpfstream.server.Limits;
import org.httpfstream.store.StreamStore;
import org.httpfstream.testing.StoredBytes;
import org.httpfstream.testing.TempFolders;
import org.httpfstream.testing.ThreadLeaks;
import org.httpfstream.testing.Tmpfs;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real {@link HttpFStreamServer} for one test: before each test it makes a temporary folder, starts a
 * server on {@code 127.0.0.1} port 0 with its root in that folder, and after the test (after the test's
 * own {@code @AfterEach} methods) it closes every server it started, checks that none of their threads
 * outlived them ({@link ThreadLeaks}) and deletes the folder. Register it on an instance field, so that
 * each test (and each test of a {@code @Nested} class) gets its own server; on a static field, one
 * server serves every test of the class (started before its {@code @BeforeAll} methods, stopped after
 * its {@code @AfterAll} ones), for a matrix of many quick cases that do not disturb each other:
 *
 * <pre>{@code
 * @RegisterExtension
 * final ServerExtension server = new ServerExtension().fsync(true);
 *
 * @Test
 * void appends() throws IOException {
 *     try (RawWebSocket ws = RawWebSocket.append(server.address(), "/a.log")) { ... }
 *     assertThat(server.root().resolve("a.log")).hasContent("...");
 * }
 * }</pre>
 *
 * <p>Configuration is the server's own {@link HttpFStreamServerBuilder}: the shorthands here cover
 * what many tests set, {@link #with} anything else. A test that must configure its server from its own
 * state (a grant file it writes first, a parameter) says {@link #startedByTest()} and calls {@link
 * #start(Consumer)}; one that restarts a server on the same root calls {@link #restart(Consumer)}; one
 * that needs a second server calls {@link #startAnother(Consumer)}.
 *
 * <p>The streams live where {@code -Dhttpfstream.test.store} says ({@code file}, the default, or {@code
 * memory}): the server tests of the original protocol run a second time with {@code memory} (the
 * surefire execution {@code memory-store}), leaving out those tagged {@link FilesOnDisk}. Tests that
 * should pass on both read and seed streams with {@link #content} and {@link #write}, not the root's
 * files; a test's own {@code storage(...)} wins over the property.
 *
 * <p>Written here rather than taken from a library: the server is ours, and what the extension does
 * (start, restart on one root, stop, check threads) is a few lines on its builder.
 *
 * <p>Thread safety: not thread safe; configured while the test class is built and used from the test's
 * thread. The server it hands out is itself thread safe.
 */
public final class ServerExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback {
    /** One client for every test: its threads are the JDK's, shared, and not the server's. */
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** The system property that chooses the store of every server ({@code file} or {@code memory}). */
    public static final String STORE_PROPERTY = "httpfstream.test.store";

    private final List<Consumer<HttpFStreamServerBuilder>> config = new ArrayList<>();
    private boolean startedByTest;
    private Class<?> perClass; // the test class, when registered on a static field: one server for the class
    private String tmpfsSize; // null: the root is a plain folder
    private String grants; // null: no grant file
    private boolean mounted; // a tmpfs is mounted on this test's root

    private Path folder; // this test's temporary folder; the root is its "root" child
    private HttpFStreamServer server; // the current server; null before start and after stop
    private final List<HttpFStreamServer> started = new ArrayList<>(); // every server of this test
    private ThreadLeaks threads;

    /** Adds {@code step} to how every server of this extension is built (after root and bind). */
    public ServerExtension with(Consumer<HttpFStreamServerBuilder> step) {
        config.add(step);
        return this;
    }

    /** Shorthand for {@code with(b -> b.fsync(fsync))}. */
    public ServerExtension fsync(boolean fsync) {
        return with(b -> b.fsync(fsync));
    }

    /** Shorthand for {@code with(b -> b.limits(limits))}. */
    public ServerExtension limits(Limits limits) {
        return with(b -> b.limits(limits));
    }

    /** Shorthand for {@code with(b -> b.longPollTimeout(timeout))}. */
    public ServerExtension longPollTimeout(Duration timeout) {
        return with(b -> b.longPollTimeout(timeout));
    }

    /**
     * A grant file holding {@code grants} (one {@code token permissions paths} line each, as {@code
     * -tokens} reads them), written beside the root before the server starts; see {@link #tokens()}.
     */
    public ServerExtension tokens(String grants) {
        this.grants = grants;
        return with(b -> b.tokens(tokens()));
    }

    /** Shorthand for an admin listener on {@code 127.0.0.1} port 0. */
    public ServerExtension admin() {
        return with(b -> b.admin("127.0.0.1", 0));
    }

    /**
     * The root is a tmpfs of {@code size} ({@code 1m}) mounted for each test and unmounted after its
     * servers are closed: a real disk that fills up or turns read-only. See {@link Tmpfs} for where this
     * cannot run.
     */
    public ServerExtension rootOnTmpfs(String size) {
        tmpfsSize = size;
        return this;
    }

    /** No server before the test: the test calls {@link #start()} or {@link #start(Consumer)} itself. */
    public ServerExtension startedByTest() {
        startedByTest = true;
        return this;
    }

    /** Called only for a static field: then one server serves every test of the class. */
    @Override
    public void beforeAll(ExtensionContext context) throws IOException, InterruptedException {
        if (perClass == null) { // not again for the @Nested classes, which inherit the extension
            perClass = context.getRequiredTestClass();
            setUp();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException, InterruptedException {
        if (context.getRequiredTestClass() == perClass) {
            tearDown();
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException, InterruptedException {
        if (perClass == null) {
            setUp();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException, InterruptedException {
        if (perClass == null) {
            tearDown();
        }
    }

    private void setUp() throws IOException, InterruptedException {
        threads = ThreadLeaks.snapshot();
        folder = TempFolders.create();
        Path root = Files.createDirectory(folder.resolve("root")); // there before the server, as a @TempDir is
        if (tmpfsSize != null) {
            Tmpfs.mountOrSkip(root, tmpfsSize);
            mounted = true;
        }
        if (grants != null) {
            Files.writeString(tokens(), grants);
        }
        if (!startedByTest) {
            start();
        }
    }

    private void tearDown() throws IOException, InterruptedException {
        try {
            for (HttpFStreamServer s : started) {
                s.close();
            }
            if (mounted) {
                mounted = false;
                Tmpfs.unmount(folder.resolve("root"));
            }
            threads.assertNoneLeftSince();
        } finally {
            server = null;
            started.clear();
            TempFolders.delete(folder);
        }
    }

    /** Starts the server as configured. */
    public HttpFStreamServer start() throws IOException {
        return start(b -> { });
    }

    /** Starts the server as configured, then changed by {@code more}; fails if one is running. */
    public HttpFStreamServer start(Consumer<HttpFStreamServerBuilder> more) throws IOException {
        if (server != null) {
            throw new IllegalStateException("a server is running: restart() it, or startAnother()");
        }
        server = build(root(), more);
        return server;
    }

    /** Closes the running server (if any) and starts a new one on the same root, configured as before. */
    public HttpFStreamServer restart() throws IOException {
        return restart(b -> { });
    }

    /** Closes the running server (if any) and starts a new one on the same root, changed by {@code more}. */
    public HttpFStreamServer restart(Consumer<HttpFStreamServerBuilder> more) throws IOException {
        stop();
        return start(more);
    }

    /** Closes the running server now (idempotent); {@link #get()} fails until it is started again. */
    public void stop() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    /**
     * Starts a second server, configured as this extension's and then by {@code more}, with a root of
     * its own in this test's folder (unless {@code more} sets one); it is closed after the test.
     */
    public HttpFStreamServer startAnother(Consumer<HttpFStreamServerBuilder> more) throws IOException {
        return build(folder.resolve("another-" + started.size()), more);
    }

    private HttpFStreamServer build(Path root, Consumer<HttpFStreamServerBuilder> more) throws IOException {
        HttpFStreamServerBuilder b = HttpFStreamServer.builder().root(root).bind("127.0.0.1", 0)
                .storage(storeKind());
        config.forEach(step -> step.accept(b));
        more.accept(b);
        HttpFStreamServer s = b.build();
        started.add(s); // closed after the test even if start() fails half way
        return s.start();
    }

    /** The running server. */
    public HttpFStreamServer get() {
        if (server == null) {
            throw new IllegalStateException("no server is running");
        }
        return server;
    }

    /** The storage root: the running server's, or before it starts the one it will be given by default. */
    public Path root() {
        return server != null ? server.root() : folder.resolve("root");
    }

    /** The grant file of {@link #tokens(String)}, beside the root; rewrite it to change the grants. */
    public Path tokens() {
        return folder.resolve("tokens");
    }

    /** This test's temporary folder, which holds the root: a place for files beside it (grants, certificates). */
    public Path folder() {
        return folder;
    }

    /** Where the running server listens. */
    public InetSocketAddress address() {
        return get().localAddress();
    }

    /** The running server's base URI, such as {@code http://127.0.0.1:41234/}. */
    public URI uri() {
        return get().uri();
    }

    /** The URI of {@code path}, which starts with '/' and may carry a query, taken as it is, on the running server. */
    public URI uri(String path) {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path does not start with '/': " + path);
        }
        String base = get().uri().toString();
        return URI.create(base.substring(0, base.length() - 1) + path);
    }

    /**
     * Sends {@code method path} to the running server with the JDK client over HTTP/1.1 and waits for
     * the answer, its body as a string; see {@link #request}.
     */
    public HttpResponse<String> send(String method, String path, String body, String... headers)
            throws IOException, InterruptedException {
        return HTTP.send(request(method, path, body, headers), BodyHandlers.ofString(UTF_8));
    }

    /** Like {@link #send} but returns at once; the answer completes the future. */
    public CompletableFuture<HttpResponse<String>> sendAsync(String method, String path, String body,
            String... headers) {
        return HTTP.sendAsync(request(method, path, body, headers), BodyHandlers.ofString(UTF_8));
    }

    /**
     * A request of {@code method path} to the running server, with {@code body} (null: none) in UTF-8,
     * {@code headers} as name, value pairs, and a timeout of 60 s.
     */
    public HttpRequest request(String method, String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body, UTF_8));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return b.build();
    }

    /** The store every server gets unless a test sets its own: {@value #STORE_PROPERTY}, default {@code file}. */
    public static String storeKind() {
        return System.getProperty(STORE_PROPERTY, HttpFStreamServer.STORAGE_FILE);
    }

    /** True if the servers keep their streams in memory ({@link #storeKind()}). */
    public static boolean inMemory() {
        return HttpFStreamServer.STORAGE_MEMORY.equals(storeKind());
    }

    /**
     * The committed bytes of the stream at {@code path} on the running server, in UTF-8, read through its
     * storage (whatever store it has).
     */
    public String content(String path) throws IOException {
        return new String(bytes(path), UTF_8);
    }

    /** The committed bytes of the stream at {@code path} on the running server (see {@link #content}). */
    public byte[] bytes(String path) throws IOException {
        return StoredBytes.of(get().storage(), path);
    }

    /** The committed length of the stream at {@code path} on the running server. */
    public long length(String path) throws IOException {
        return get().storage().stream(path).committedLength();
    }

    /** True if the stream at {@code path} exists on the running server. */
    public boolean exists(String path) throws IOException {
        return get().storage().stream(path).exists();
    }

    /** True while an append session holds the stream at {@code path} on the running server. */
    public boolean appending(String path) throws IOException {
        return get().storage().stream(path).sessionActive();
    }

    /** Appends {@code text} in UTF-8 to the stream at {@code path} on the running server, creating it. */
    public void write(String path, String text) throws IOException {
        write(path, text.getBytes(UTF_8));
    }

    /** Appends {@code bytes} to the stream at {@code path} on the running server, creating it. */
    public void write(String path, byte[] bytes) throws IOException {
        get().storage().stream(path).withLease(true, lease -> lease.append(ByteBuffer.wrap(bytes))).join();
    }

    /** The running server's stream store. */
    public StreamStore store() {
        return get().store();
    }
}
