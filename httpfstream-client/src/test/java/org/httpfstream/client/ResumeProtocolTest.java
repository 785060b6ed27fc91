package org.httpfstream.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.httpfstream.client.FollowOffsetTest.offsetOf;
import static org.httpfstream.client.ScriptedPeer.text;

import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Offsets and automatic resume against a scripted peer: the exact requests the client sends, what it
 * resumes from and what it does not.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ResumeProtocolTest {

    private final HttpFStreamClient client = ScriptedPeer.resumingClient();

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }


    private static String offsetHeader(long position) {
        return "Stream-Offset: " + offsetOf(position) + "\r\n";
    }

    /** The first connection of a resume: upgraded at offset 0, it sends {@code text}, then ends without a Close. */
    private static ScriptedPeer.Script sendsThenDrops(String text) {
        return c -> {
            c.upgrade(offsetHeader(0));
            c.sendText(text);
        };
    }

    /** Answers the reconnect, which must ask for {@code path} at {@code position}, with an upgrade there. */
    private static void upgradeResumed(ScriptedPeer.Connection c, String path, long position) throws IOException {
        assertThat(c.upgrade(offsetHeader(position)).requestLine())
                .isEqualTo("GET " + path + "?offset=" + offsetOf(position) + " HTTP/1.1");
    }

    /** The reconnect, asking for {@code path} at {@code position}: upgraded, sends {@code rest}, then Close 1000. */
    private static ScriptedPeer.Script resumesWith(String path, long position, String rest) {
        return c -> {
            upgradeResumed(c, path, position);
            c.sendText(rest);
            c.closeThenEof(1000, "");
        };
    }

    /** The reconnect, asking for {@code path} at {@code position}: a plain 200 with the {@code rest} of the stream. */
    private static ScriptedPeer.Script answersWithTheRest(String path, long position, String rest) {
        return c -> {
            assertThat(c.readRequest().requestLine())
                    .isEqualTo("GET " + path + "?offset=" + offsetOf(position) + " HTTP/1.1");
            c.write(okHead(position, rest) + rest);
            c.expectEof();
        };
    }

    /** A 200 response head with a body of {@code body} from {@code start}, with the offset headers. */
    private static String okHead(long start, String body) {
        return "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n" + offsetHeader(start)
                + "Stream-Next-Offset: " + offsetOf(start + body.length()) + "\r\nStream-Writer-Active: false\r\n\r\n";
    }

    /** Sends the frame header and the first {@code sent} payload bytes of a BINARY message, then nothing. */
    private static void sendPartOfAMessage(ScriptedPeer.Connection c, String message, int sent) throws IOException {
        byte[] frame = ScriptedPeer.Connection.frame(true, 2, ascii(message), null);
        c.write(Arrays.copyOf(frame, 2 + sent));
    }

    /**
     * EOF in the middle of a frame, then Close 1001, resumed each time at the exact offset; the third
     * connection gets the rest of the finished stream as a 200 body.
     */
    @Test
    void resumesAtTheExactOffsetAfterEofMidFrameAndGoingAway() throws Exception {
        List<String> requestLines = new CopyOnWriteArrayList<>();
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            requestLines.add(c.upgrade(offsetHeader(0x10) + "Stream-Writer-Active: true\r\n").requestLine());
            sendPartOfAMessage(c, "abcdefgh", 5);
        }, c -> {
            requestLines.add(c.upgrade(offsetHeader(0x15)).requestLine());
            c.sendText("fgh");
            assertThat(c.closeThenEof(1001, "server shutting down").closeCode()).isEqualTo(1001);
        }, c -> {
            requestLines.add(c.readRequest().requestLine());
            c.write(okHead(0x18, "ijk") + "ijk");
            c.expectEof();
        })) {
            peer.follow(client, "/r", (uri, in) -> {
                assertThat(in.offset()).isEqualTo(offsetOf(0x10));
                assertThat(text(in.readNBytes(2))).isEqualTo("ab");
                assertThat(in.offset()).isEqualTo(offsetOf(0x12));
                assertThat(text(FollowTest.readAll(in, 2))).isEqualTo("cdefghijk");
                assertThat(in.offset()).isEqualTo(offsetOf(0x1b));
                assertThat(in.read()).isEqualTo(-1);
            });
        }
        assertThat(requestLines).containsExactly("GET /r HTTP/1.1", "GET /r?offset=0000000000000015 HTTP/1.1",
                "GET /r?offset=0000000000000018 HTTP/1.1");
    }

    @Test
    void readTimeoutIsResumed() throws Exception {
        HttpFStreamClient impatient = HttpFStreamClient.builder().readTimeout(Duration.ofMillis(300)).build();
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgrade(offsetHeader(0));
            c.sendText("abc");
            c.expectEof(); // the client gives up on this connection after its read timeout
        }, resumesWith("/t", 3, "def"))) {
            peer.assertFollows(impatient, "/t", 100, "abcdef");
        }
    }

    @Test
    void truncatedBodyIsResumed() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(c -> c.answer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n"
                + offsetHeader(0) + "Stream-Next-Offset: " + offsetOf(10) + "\r\n\r\nabcd"),
                answersWithTheRest("/b", 4, "efghij"))) {
            peer.follow(client, "/b", (uri, in) -> {
                assertThat(text(FollowTest.readAll(in, 3))).isEqualTo("abcdefghij");
                assertThat(in.offset()).isEqualTo(offsetOf(10));
            });
        }
    }

    /** A body delimited by the end of the connection that ends before its Stream-Next-Offset is cut short. */
    @Test
    void bodyEndingBeforeItsNextOffsetIsResumed() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(c -> c.answer("HTTP/1.0 200 OK\r\n" + offsetHeader(0)
                + "Stream-Next-Offset: " + offsetOf(6) + "\r\n\r\nabc"), answersWithTheRest("/e", 3, "def"))) {
            peer.assertFollows(client, "/e", 100, "abcdef");
        }
    }

    @Test
    void serverErrorWhileResumingIsRetried() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(sendsThenDrops("ab"),
                c -> c.answerThenEof("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 9\r\n\r\ntry later"),
                resumesWith("/s", 2, "cd"))) {
            peer.assertFollows(client, "/s", 100, "abcd");
        }
    }

    @Test
    void clientErrorWhileResumingFailsTheStream() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(sendsThenDrops("ab"),
                c -> c.answerThenEof("HTTP/1.1 400 Bad Request\r\nContent-Length: 15\r\n\r\nno such offset!"))) {
            peer.follow(client, "/c", (uri, in) -> {
                ScriptedPeer.assertReadsThenFails(in, "ab")
                        .isExactlyInstanceOf(IOException.class)
                        .hasMessage("FOLLOW " + uri + " at offset 0000000000000002 failed: HTTP 400 Bad Request: "
                                + "no such offset!");
                assertThat(in.offset()).isEqualTo(offsetOf(2));
            });
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Stream-Offset: 0000000000000000\r\n", "Stream-Offset: 2\r\n", ""})
    void resumedResponseStartingElsewhereIsAProtocolError(String header) throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(sendsThenDrops("ab"), c -> {
            c.upgrade(header);
            c.expectEof();
        })) {
            peer.follow(client, "/w", (uri, in) -> {
                ScriptedPeer.assertReadsThenFails(in, "ab")
                        .isInstanceOf(ProtocolException.class)
                        .hasMessageStartingWith("FOLLOW " + uri + ": resumed at offset 0000000000000002 but the server "
                                + "sent " + (header.isEmpty() ? "no Stream-Offset" : "Stream-Offset"));
            });
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1002, 1009, 1011, 1012})
    void closeWithAnErrorCodeIsNotResumed(int code) throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgrade(offsetHeader(0));
            c.sendText("ab");
            c.closeThenEof(code, "bad");
        })) {
            peer.follow(client, "/x", (uri, in) -> {
                ScriptedPeer.assertReadsThenFails(in, "ab")
                        .isInstanceOf(IOException.class)
                        .hasMessageStartingWith("FOLLOW " + uri + ": server closed the stream with code " + code);
            });
        }
    }

    /** The original Go server sends no offsets: a dropped connection is an error, as it always was. */
    @Test
    void withoutOffsetHeadersNothingIsResumed() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgrade();
            c.sendText("abc");
        })) {
            URI uri = peer.uri("/go");
            try (FollowInputStream in = client.follow(uri, "-1")) {
                assertThat(in.offset()).isNull();
                assertThat(text(in.readNBytes(3))).isEqualTo("abc");
                assertThat(in.offset()).isNull();
                assertThatThrownBy(in::read)
                        .isInstanceOf(EOFException.class)
                        .hasMessage("FOLLOW " + uri + ": connection closed before end of stream (no WebSocket Close frame)");
            }
            peer.awaitScripts();
        }
    }

    @Test
    void zeroResumeTimeoutDisablesResuming() throws Exception {
        HttpFStreamClient noResume = HttpFStreamClient.builder().resumeTimeout(Duration.ZERO).build();
        assertThat(noResume.resumeTimeout()).isZero();
        try (ScriptedPeer peer = ScriptedPeer.start(sendsThenDrops("abc"))) {
            peer.follow(noResume, "/z", (uri, in) -> {
                ScriptedPeer.assertReadsThenFails(in, "abc")
                        .isInstanceOf(EOFException.class)
                        .hasMessageStartingWith("FOLLOW " + uri);
                assertThat(in.offset()).isEqualTo(offsetOf(3));
            });
        }
    }

    /** close() from another thread aborts a reconnect whose request is waiting for its response. */
    @Test
    void closeAbortsAReconnectInProgress() throws Exception {
        CountDownLatch reconnecting = new CountDownLatch(1);
        try (ScriptedPeer peer = ScriptedPeer.start(sendsThenDrops("ab"), c -> {
            c.readRequest();
            reconnecting.countDown();
            c.expectEof(); // no answer: the client must give up on its own
        })) {
            FollowInputStream in = client.follow(peer.uri("/a"));
            assertThat(text(in.readNBytes(2))).isEqualTo("ab");
            CompletableFuture<Object> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    return in.read();
                } catch (IOException e) {
                    return e;
                }
            });
            assertThat(reconnecting.await(10, TimeUnit.SECONDS)).isTrue();
            in.close();
            // Well within the 10 s read timeout that would otherwise end the attempt.
            assertThat(reader.get(5, TimeUnit.SECONDS))
                    .isInstanceOfSatisfying(IOException.class, e -> assertThat(e).hasMessage("stream closed"));
            assertThatThrownBy(in::read).isInstanceOf(IOException.class).hasMessage("stream closed");
            peer.awaitScripts();
        }
    }

    @Test
    void offsetParameterReplacesAnyInTheUriAndIsPercentEncoded() throws Exception {
        List<String> requestLines = new CopyOnWriteArrayList<>();
        ScriptedPeer.Script answer = c -> {
            requestLines.add(c.readRequest().requestLine());
            c.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            c.expectEof();
        };
        try (ScriptedPeer peer = ScriptedPeer.start(answer, answer, answer, answer)) {
            client.follow(peer.uri("/p?a=1&offset=zz&b=2&offset"), offsetOf(5)).close();
            client.follow(peer.uri("/p?offset=zz")).close();
            client.follow(peer.uri("/p"), "a b&c/\u00e9").close();
            client.follow(peer.uri("/p?"), "now").close();
            peer.awaitScripts();
        }
        assertThat(requestLines).containsExactly(
                "GET /p?a=1&b=2&offset=0000000000000005 HTTP/1.1",
                "GET /p?offset=zz HTTP/1.1",
                "GET /p?offset=a%20b%26c%2F%C3%A9 HTTP/1.1",
                "GET /p?offset=now HTTP/1.1");
    }

    /** A server without offsets ignores the offset and sends the stream from its start; offset() says so. */
    @Test
    void serverWithoutOffsetsIgnoresTheOffset() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(c -> c.answerThenEof(
                "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabcdef"))) {
            try (FollowInputStream in = client.follow(peer.uri("/old"), offsetOf(3))) {
                assertThat(in.offset()).isNull();
                assertThat(text(in.readAllBytes())).isEqualTo("abcdef");
            }
            peer.awaitScripts();
        }
    }

    @Test
    void serverStartingElsewhereThanAskedIsAProtocolError() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(c -> c.answerThenEof(okHead(0, "abcdef") + "abcdef"))) {
            URI uri = peer.uri("/elsewhere");
            assertThatThrownBy(() -> client.follow(uri, offsetOf(3)))
                    .isInstanceOf(ProtocolException.class)
                    .hasMessage("FOLLOW " + uri + ": asked for offset 0000000000000003 but the server sent "
                            + "Stream-Offset 0000000000000000");
            peer.awaitScripts();
        }
    }
}
