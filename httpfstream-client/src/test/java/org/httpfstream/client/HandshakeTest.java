package org.httpfstream.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ProtocolException;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The HTTP side of both verbs: request headers, accept check, status codes, endpoints, timeouts. */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HandshakeTest {

    private final HttpFStreamClient client = HttpFStreamClient.builder().readTimeout(Duration.ofSeconds(10)).build();

    @Test
    void followSendsTheUpgradeRequest() throws Exception {
        BlockingQueue<ScriptedPeer.Request> requests = new ArrayBlockingQueue<>(1);
        BlockingQueue<ScriptedPeer.Frame> replies = new ArrayBlockingQueue<>(1);
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            requests.add(c.upgrade());
            c.sendClose(1000, "");
            replies.add(c.readFrame());
            c.expectEof();
        })) {
            try (InputStream in = client.follow(peer.uri("/dir/a%20file.txt?x=1&y=%2F"))) {
                assertThat(in.read()).isEqualTo(-1);
            }
            peer.awaitScripts();
            ScriptedPeer.Request request = requests.poll();
            assertThat(request.requestLine()).isEqualTo("GET /dir/a%20file.txt?x=1&y=%2F HTTP/1.1");
            assertThat(request.header("Host")).isEqualTo("127.0.0.1:" + peer.port());
            assertThat(request.header("Upgrade")).isEqualTo("websocket");
            assertThat(request.header("Connection")).isEqualTo("Upgrade");
            assertThat(Base64.getDecoder().decode(request.header("Sec-WebSocket-Key"))).hasSize(16);
            assertThat(request.header("Sec-WebSocket-Version")).isEqualTo("13");
            assertThat(request.header("X-Verb")).isEqualTo("FOLLOW");
            assertThat(request.header("X-Frames")).isEqualTo("binary");
            ScriptedPeer.Frame reply = replies.poll();
            assertThat(reply.closeCode()).isEqualTo(1000);
        }
    }

    @Test
    void appendSendsTheUpgradeRequest() throws Exception {
        BlockingQueue<ScriptedPeer.Request> requests = new ArrayBlockingQueue<>(1);
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            requests.add(c.upgradeAppend());
            assertThat(c.readFrame().closeCode()).isEqualTo(1000);
            c.sendClose(1000, "");
            c.expectEof();
        })) {
            client.openAppend(peer.uri("/x")).close();
            peer.awaitScripts();
            ScriptedPeer.Request request = requests.poll();
            assertThat(request.requestLine()).isEqualTo("GET /x HTTP/1.1");
            assertThat(request.header("X-Verb")).isEqualTo("APPEND");
            assertThat(request.header("Upgrade")).isEqualTo("websocket");
            assertThat(request.header("Sec-WebSocket-Version")).isEqualTo("13");
            assertThat(request.headers()).doesNotContainKey("X-Frames");
        }
    }

    @Test
    void emptyPathIsSentAsSlash() throws Exception {
        BlockingQueue<ScriptedPeer.Request> requests = new ArrayBlockingQueue<>(1);
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            requests.add(c.readRequest());
            c.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        })) {
            try (InputStream in = client.follow(URI.create("http://127.0.0.1:" + peer.port()))) {
                assertThat(in.readAllBytes()).isEmpty();
            }
            peer.awaitScripts();
            assertThat(requests.poll().requestLine()).isEqualTo("GET / HTTP/1.1");
        }
    }

    @Test
    void everyRequestHasANewKey() throws Exception {
        BlockingQueue<String> keys = new ArrayBlockingQueue<>(2);
        ScriptedPeer.Script script = c -> {
            keys.add(c.upgrade().header("Sec-WebSocket-Key"));
            c.sendClose(1000, "");
            c.expectEof();
        };
        try (ScriptedPeer peer = ScriptedPeer.start(script, script)) {
            for (int i = 0; i < 2; i++) {
                try (InputStream in = client.follow(peer.uri("/k"))) {
                    assertThat(in.read()).isEqualTo(-1);
                }
            }
            peer.awaitScripts();
            assertThat(keys.poll()).isNotEqualTo(keys.poll());
        }
    }

    @Test
    void acceptValueFollowsRfc6455() {
        // The example of RFC 6455 section 1.3.
        assertThat(Handshake.acceptFor("dGhlIHNhbXBsZSBub25jZQ==")).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    @Test
    void notFoundBecomesNoSuchFileException() throws Exception {
        ScriptedPeer.Script notFound = c -> c.answerThenEof(
                "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 19\r\n\r\n"
                    + "404 page not found\n");
        try (ScriptedPeer peer = ScriptedPeer.start(notFound, notFound)) {
            URI uri = peer.uri("/missing");
            assertThatThrownBy(() -> client.follow(uri))
                    .isInstanceOfSatisfying(NoSuchFileException.class,
                            e -> assertThat(e.getFile()).isEqualTo(uri.toString()))
                    .hasMessageContaining("HTTP 404 Not Found")
                    .hasMessageContaining("404 page not found");
            assertThatThrownBy(() -> client.openAppend(uri))
                    .isInstanceOfSatisfying(NoSuchFileException.class,
                            e -> assertThat(e.getFile()).isEqualTo(uri.toString()));
            peer.awaitScripts();
        }
    }

    @Test
    void forbiddenAppendBecomesWriterConflictException() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(c -> c.answerThenEof(
                "HTTP/1.1 403 Forbidden\r\nContent-Length: 44\r\n\r\n"
                    + "addWriter: path already has an active writer"))) {
            URI uri = peer.uri("/busy");
            assertThatThrownBy(() -> HttpFStream.openAppend(uri))
                    .isInstanceOfSatisfying(WriterConflictException.class, e -> assertThat(e.uri()).isEqualTo(uri))
                    .hasMessageContaining("path already has an active writer")
                    .hasMessageContaining(uri.toString());
            peer.awaitScripts();
        }
    }

    /** A refusal: the operation fails with an IOException of exactly this message (%s: the URI). */
    @ParameterizedTest(name = "{0}")
    @MethodSource
    void refusalsAreIoExceptionsWithTheStatus(String behaviour, String verb, String response, String message)
            throws Exception {
        answer(response, uri -> assertThatThrownBy(() -> open(verb, uri))
                .isExactlyInstanceOf(IOException.class)
                .hasMessage(message.formatted(uri)));
    }

    static Stream<Arguments> refusalsAreIoExceptionsWithTheStatus() {
        String body = "x".repeat(199) + "<-200 bytes" + "y".repeat(100);
        return Stream.of(
                Arguments.of("a forbidden FOLLOW is a plain IOException", "FOLLOW",
                        "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", "FOLLOW %s failed: HTTP 403 Forbidden"),
                Arguments.of("another status names the URI, the status and the start of the body", "APPEND",
                        "HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n"
                                + Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n",
                        "APPEND %s failed: HTTP 500 Internal Server Error: " + "x".repeat(199) + "<..."),
                Arguments.of("an APPEND answered with 200 is an error", "APPEND",
                        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", "APPEND %s failed: HTTP 200 OK: hello"));
    }

    /** Not the WebSocket upgrade asked for: a ProtocolException that names the operation and what was wrong. */
    @ParameterizedTest(name = "{0}")
    @MethodSource
    void brokenHandshakesAreProtocolErrors(String behaviour, String verb, String response, String what)
            throws Exception {
        answer(response, uri -> assertThatThrownBy(() -> open(verb, uri))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining(verb + " " + uri)
                .hasMessageContaining(what));
    }

    static Stream<Arguments> brokenHandshakesAreProtocolErrors() {
        String upgrade = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
        return Stream.of(
                Arguments.of("a wrong Sec-WebSocket-Accept is rejected", "FOLLOW",
                        upgrade + "Sec-WebSocket-Accept: " + Handshake.acceptFor("c29tZSBvdGhlciBrZXk=") + "\r\n\r\n",
                        "wrong Sec-WebSocket-Accept"),
                Arguments.of("a missing Sec-WebSocket-Accept is rejected", "APPEND", upgrade + "\r\n",
                        "without Sec-WebSocket-Accept"),
                Arguments.of("a garbage response is a protocol error", "FOLLOW", "SSH-2.0-OpenSSH_9.2\r\n",
                        "malformed HTTP status line"));
    }

    /** What a test checks against the peer's URI. */
    @FunctionalInterface
    private interface Check {
        void run(URI uri) throws Exception;
    }

    /**
     * Runs {@code check} against a peer that reads one request, answers it with {@code response} and expects
     * the client to close the connection; then waits for the peer's script.
     */
    private static void answer(String response, Check check) throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(c -> c.answerThenEof(response))) {
            check.run(peer.uri("/r"));
            peer.awaitScripts();
        }
    }

    /** Opens {@code uri} with the verb: a follow or an append. */
    private Object open(String verb, URI uri) throws IOException {
        return verb.equals("APPEND") ? client.openAppend(uri) : client.follow(uri);
    }

    @Test
    void silentServerTimesOut() throws Exception {
        HttpFStreamClient impatient = HttpFStreamClient.builder().readTimeout(Duration.ofMillis(300)).build();
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.readRequest();
            c.expectEof();
        })) {
            URI uri = peer.uri("/slow");
            assertThatThrownBy(() -> impatient.follow(uri))
                    .isInstanceOf(SocketTimeoutException.class)
                    .hasMessage("FOLLOW " + uri + ": no data from the server within 300 ms (read timeout)");
            peer.awaitScripts();
        }
    }

    @Test
    void refusedConnectionNamesTheUri() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        URI uri = URI.create("http://127.0.0.1:" + port + "/nobody");
        assertThatThrownBy(() -> client.follow(uri))
                .isInstanceOf(ConnectException.class)
                .hasMessageStartingWith("FOLLOW " + uri + ": could not connect to 127.0.0.1:" + port);
    }

    @Test
    void httpsSpeaksTlsWithServerNameIndication() throws Exception {
        BlockingQueue<byte[]> hello = new ArrayBlockingQueue<>(1);
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            hello.add(c.readSome(5));
            c.socket.close();
        })) {
            URI uri = URI.create("https://localhost:" + peer.port() + "/secure");
            assertThatThrownBy(() -> client.follow(uri))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("FOLLOW " + uri);
            peer.awaitScripts();
            byte[] record = hello.poll(10, TimeUnit.SECONDS);
            assertThat(record[0]).as("TLS handshake record").isEqualTo((byte) 0x16);
            assertThat(record[1]).as("TLS major version").isEqualTo((byte) 0x03);
        }
    }

    @Test
    void onlyHttpAndHttpsAreSupported() {
        assertThatThrownBy(() -> client.follow(URI.create("ftp://example.com/f")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"ftp\"");
        assertThatThrownBy(() -> client.openAppend(URI.create("ws://example.com/f")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"ws\"");
        assertThatThrownBy(() -> client.follow(URI.create("/relative")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no scheme");
        assertThatThrownBy(() -> client.follow(URI.create("http:opaque")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no host");
    }

    @Test
    void nullArgumentsAreNamed() {
        assertThatThrownBy(() -> HttpFStream.follow(null)).isInstanceOf(NullPointerException.class).hasMessage("uri");
        assertThatThrownBy(() -> HttpFStream.openAppend(null)).isInstanceOf(NullPointerException.class).hasMessage("uri");
        assertThatThrownBy(() -> HttpFStream.append(null, InputStream.nullInputStream()))
                .isInstanceOf(NullPointerException.class).hasMessage("uri");
        assertThatThrownBy(() -> HttpFStream.append(URI.create("http://h/"), null))
                .isInstanceOf(NullPointerException.class).hasMessage("in");
    }

    /** The original's TestHostPort: default ports per scheme, explicit ports kept. */
    @Test
    void hostAndPort() {
        assertThat(Endpoint.of(URI.create("http://example.com")))
                .isEqualTo(new Endpoint(false, "example.com", 80, "example.com", "/"));
        assertThat(Endpoint.of(URI.create("https://example.com")))
                .isEqualTo(new Endpoint(true, "example.com", 443, "example.com", "/"));
        assertThat(Endpoint.of(URI.create("http://example.com:1234")))
                .isEqualTo(new Endpoint(false, "example.com", 1234, "example.com:1234", "/"));
        assertThat(Endpoint.of(URI.create("https://example.com:1234/a/b?c=d#frag")))
                .isEqualTo(new Endpoint(true, "example.com", 1234, "example.com:1234", "/a/b?c=d"));
        assertThat(Endpoint.of(URI.create("HTTP://[::1]:8080/v6")))
                .isEqualTo(new Endpoint(false, "::1", 8080, "[::1]:8080", "/v6"));
        assertThat(Endpoint.of(URI.create("http://user:pw@example.com/p")))
                .isEqualTo(new Endpoint(false, "example.com", 80, "example.com", "/p"));
    }

    @Test
    void builderDefaultsAndValidation() {
        HttpFStreamClient defaults = HttpFStreamClient.defaultClient();
        assertThat(defaults).isSameAs(HttpFStreamClient.defaultClient());
        assertThat(defaults.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(defaults.readTimeout()).isEqualTo(Duration.ofSeconds(90));
        HttpFStreamClient none = HttpFStreamClient.builder().connectTimeout(Duration.ZERO).readTimeout(Duration.ZERO).build();
        assertThat(none.connectTimeout()).isZero();
        assertThat(none.readTimeout()).isZero();
        assertThatThrownBy(() -> HttpFStreamClient.builder().readTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HttpFStreamClient.builder().connectTimeout(null))
                .isInstanceOf(NullPointerException.class).hasMessage("timeout");
        assertThat(HttpFStreamClient.toMillis(Duration.ofNanos(1))).isEqualTo(1);
        assertThat(HttpFStreamClient.toMillis(Duration.ofDays(365 * 1000))).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void writerConflictExceptionMessage() {
        URI uri = URI.create("http://h/p");
        assertThat(new WriterConflictException(uri)).hasMessage("path already has an active writer: http://h/p");
        assertThat(new WriterConflictException(uri, "busy"))
                .hasMessage("path already has an active writer: http://h/p (server said: busy)");
        assertThat(new WriterConflictException(uri)).isInstanceOf(IOException.class);
    }
}
