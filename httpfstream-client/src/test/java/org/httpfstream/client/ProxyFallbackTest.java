package org.httpfstream.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.httpfstream.client.FollowOffsetTest.offsetOf;
import static org.httpfstream.client.ScriptedPeer.text;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A follower behind a proxy that drops the WebSocket upgrade, against a scripted peer that answers as
 * the server does through such a proxy: {@code 200} with the bytes so far and {@code
 * Stream-Writer-Active: true}. The client goes on with {@code ?follow} from its offset, and treats the
 * end of a live body that the proxy cut (cleanly, without the trailer) as a reason to reconnect, not as
 * the end of the stream.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ProxyFallbackTest {

    private final HttpFStreamClient client = ScriptedPeer.resumingClient();

    /** The server's answer to a FOLLOW that reached it without the upgrade, while the append goes on. */
    private static String snapshot(long start, String body) {
        return "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\nStream-Offset: " + offsetOf(start)
                + "\r\nStream-Next-Offset: " + offsetOf(start + body.length())
                + "\r\nStream-Writer-Active: true\r\n\r\n" + body;
    }

    /** A live {@code ?follow} body as nginx passes it on: chunked, and ended without the trailer. */
    private static String liveCutCleanly(long start, String body) {
        return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nStream-Offset: " + offsetOf(start)
                + "\r\nStream-Writer-Active: true\r\n\r\n"
                + Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n";
    }

    private static String finished(long start, String body) {
        return "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\nStream-Offset: " + offsetOf(start)
                + "\r\nStream-Next-Offset: " + offsetOf(start + body.length())
                + "\r\nStream-Writer-Active: false\r\n\r\n" + body;
    }

    /**
     * Reads "abc" from {@code in}, then asserts that the next read fails with an IOException whose message
     * starts with {@code "FOLLOW " + uri + ": " + start} and names the proxy with {@code proxy}; returns the
     * assertion for more checks.
     */
    private static AbstractThrowableAssert<?, ? extends Throwable> assertFailsNamingTheProxy(InputStream in, URI uri,
            String start, String proxy) throws IOException {
        return ScriptedPeer.assertReadsThenFails(in, "abc")
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("FOLLOW " + uri + ": " + start)
                .hasMessageContaining(proxy);
    }

    @Test
    void aDroppedUpgradeGoesOnWithFollowFromTheOffsetAndACutLiveBodyIsResumed() throws Exception {
        List<String> requestLines = new CopyOnWriteArrayList<>();
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            ScriptedPeer.Request r = c.readRequest();
            requestLines.add(r.requestLine());
            assertThat(r.header("Upgrade")).isEqualTo("websocket");
            c.write(snapshot(0, "abc"));
            c.expectEof();
        }, c -> {
            ScriptedPeer.Request r = c.readRequest();
            requestLines.add(r.requestLine());
            assertThat(r.header("Upgrade")).as("still asks for the upgrade").isEqualTo("websocket");
            c.write(liveCutCleanly(3, "def"));
            c.expectEof();
        }, c -> {
            requestLines.add(c.readRequest().requestLine());
            c.write(finished(6, "gh"));
            c.expectEof();
        })) {
            peer.follow(client, "/p", (uri, in) -> {
                assertThat(text(FollowTest.readAll(in, 100))).isEqualTo("abcdefgh");
                assertThat(in.offset()).isEqualTo(offsetOf(8));
                assertThat(in.read()).isEqualTo(-1);
            });
        }
        assertThat(requestLines).containsExactly("GET /p HTTP/1.1",
                "GET /p?offset=0000000000000003&follow HTTP/1.1",
                "GET /p?offset=0000000000000006&follow HTTP/1.1");
    }

    @Test
    void aProxyThatAnswersFollowWithTheBytesSoFarAgainFailsWithALineNamingTheProxy() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(c -> c.answerThenEof(snapshot(0, "abc")), c -> {
            assertThat(c.readRequest().requestLine()).isEqualTo("GET /q?offset=0000000000000003&follow HTTP/1.1");
            c.write(snapshot(3, ""));
            c.expectEof();
        })) {
            peer.follow(client, "/q", (uri, in) -> {
                assertFailsNamingTheProxy(in, uri, "the append goes on",
                        "a proxy in between drops the WebSocket upgrade")
                        .hasMessageNotContaining("\n");
                assertThatThrownBy(in::read).hasMessageContaining("proxy"); // stays failed
            });
        }
    }

    @Test
    void withoutOffsetsADroppedUpgradeFailsWithALineNamingTheProxyInsteadOfEndingEarly() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(c -> c.answerThenEof(
                "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nStream-Writer-Active: true\r\n\r\nabc"))) {
            peer.follow(client, "/n", (uri, in) -> {
                assertFailsNamingTheProxy(in, uri, "got the bytes so far over plain HTTP",
                        "a proxy in between probably dropped the upgrade")
                        .hasMessageEndingWith("the server reports no offsets to resume from");
            });
        }
    }

    @Test
    void withResumingOffADroppedUpgradeFailsWithALineNamingTheProxy() throws Exception {
        HttpFStreamClient noResume = HttpFStreamClient.builder().resumeTimeout(Duration.ZERO).build();
        try (ScriptedPeer peer = ScriptedPeer.start(c -> c.answerThenEof(snapshot(0, "abc")))) {
            peer.follow(noResume, "/z", (uri, in) -> {
                ScriptedPeer.assertReadsThenFails(in, "abc")
                        .hasMessageContaining("a proxy in between probably dropped the upgrade");
            });
        }
    }

    @Test
    void aStreamThatEndedIsNotFollowedFurther() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(c -> c.answerThenEof(finished(0, "abc")))) {
            peer.assertFollows(client, "/f", 100, "abc");
        }
    }
}
