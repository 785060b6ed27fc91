package org.httpfstream.server.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.httpfstream.server.RawHttp;
import org.httpfstream.server.RawWebSocket;
import org.httpfstream.server.testing.ServerExtension;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Live responses of unknown length as proxies need them: HTTP/1.0 requests (nginx's default towards
 * its upstream) get {@code ?follow} and SSE delimited by the end of the connection, and a quiet SSE
 * response gets keep-alive comments and ends cleanly at its maximum age.
 */
class LiveResponsesTest {
    /** Keep-alives every 300 ms, SSE responses end after 1.5 s: fast versions of 15 s and 50 s. */
    static final Duration PING = Duration.ofMillis(300);
    static final Duration SSE_MAX_AGE = Duration.ofMillis(1500);

    @RegisterExtension
    final ServerExtension server = new ServerExtension().with(b -> b.pingInterval(PING)
            .sse(new SseSettings(SSE_MAX_AGE)));

    /** A socket with {@code request} (complete, with its empty line) sent. */
    Socket send(String request) throws IOException {
        Socket socket = RawHttp.connect(server.address());
        RawHttp.write(socket, request);
        return socket;
    }

    /** A GET sent on its own connection and the head of its answer read; the body is left in {@code in}. */
    record Answer(Socket socket, InputStream in, RawHttp head) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** Sends {@code GET target} as {@code version} ({@code HTTP/1.0} or {@code HTTP/1.1}), reads the head. */
    Answer get(String target, String version) throws IOException {
        Socket socket = send("GET " + target + " " + version + "\r\nHost: 127.0.0.1\r\n\r\n");
        InputStream in = socket.getInputStream();
        return new Answer(socket, in, RawHttp.readHeadOnly(in));
    }

    /** A WebSocket appender on {@code path}, accepted, that has sent {@code text} as one binary message. */
    RawWebSocket appenderThatSent(String path, String text) throws IOException {
        RawWebSocket appender = RawWebSocket.appendAccepted(server.address(), path);
        appender.send(RawWebSocket.BINARY, text.getBytes(UTF_8));
        return appender;
    }

    void createTextStream(String path, String first) throws IOException {
        assertThat(RawHttp.request(server.address(), "PUT", path, "Content-Type: text/plain",
                "Content-Length: 0").status)
                .isEqualTo(201);
        RawHttp posted = postText(path, first);
        assertThat(posted.status).isBetween(200, 204);
    }

    RawHttp postText(String path, String text) throws IOException {
        try (Socket s = send("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                + "Content-Type: text/plain\r\nContent-Length: " + text.length() + "\r\n\r\n" + text)) {
            return RawHttp.read(s.getInputStream(), false);
        }
    }

    @Nested
    class AnHttp10Request {
        @Test
        void toFollowGetsTheRawBytesUntilTheConnectionClosesWithoutChunksOrKeepAlives() throws Exception {
            try (RawWebSocket appender = appenderThatSent("/h10.log", "abc")) {
                try (Answer follow = get("/h10.log?follow", "HTTP/1.0")) {
                    InputStream in = follow.in();
                    assertThat(follow.head().status).isEqualTo(200);
                    assertThat(follow.head().headers).doesNotContainKeys("transfer-encoding", "content-length",
                            "trailer");
                    assertThat(follow.head().header("stream-offset")).isEqualTo("0000000000000000");
                    assertThat(new String(in.readNBytes(3), UTF_8)).isEqualTo("abc");
                    // Silent for two keep-alive intervals: a chunked response would get a '0' meanwhile.
                    follow.socket().setSoTimeout((int) (4 * PING.toMillis()));
                    assertThatThrownBy(in::read).as("bytes during the silence").isInstanceOf(SocketTimeoutException.class);
                    follow.socket().setSoTimeout(10_000);
                    appender.send(RawWebSocket.BINARY, "def".getBytes(UTF_8));
                    appender.sendClose(1000);
                    assertThat(appender.readToClose(new ByteArrayOutputStream()).closeCode()).isEqualTo(1000);
                    assertThat(new String(in.readAllBytes(), UTF_8)).as("the rest, then the end").isEqualTo("def");
                }
            }
        }

        @Test
        void forSseGetsTheEventsUntilTheConnectionClosesWithoutChunks() throws Exception {
            createTextStream("/h10.txt", "hello");
            long sent = System.nanoTime();
            try (Answer sse = get("/h10.txt?offset=-1&live=sse", "HTTP/1.0")) {
                assertThat(sse.head().status).isEqualTo(200);
                assertThat(sse.head().header("content-type")).isEqualTo("text/event-stream");
                assertThat(sse.head().headers).doesNotContainKeys("transfer-encoding", "content-length");
                String body = new String(sse.in().readAllBytes(), UTF_8); // until the maximum age closes it
                assertThat(System.nanoTime() - sent).isGreaterThanOrEqualTo(SSE_MAX_AGE.toNanos());
                assertThat(body).startsWith("event: data\ndata:hello\n\nevent: control\ndata:{\"streamNextOffset\":"
                        + "\"0000000000000005\"");
                assertThat(body).endsWith("\n\n").doesNotContain("\r\n");
            }
        }
    }

    @Nested
    class AQuietSseResponse {
        @Test
        void getsAKeepAliveCommentAfterEachPingInterval() throws Exception {
            createTextStream("/quiet.txt", "x");
            try (Answer sse = get("/quiet.txt?offset=-1&live=sse", "HTTP/1.1")) {
                InputStream in = sse.in();
                assertThat(sse.head().header("transfer-encoding")).isEqualTo("chunked");
                StringBuilder events = new StringBuilder();
                Map<String, String> trailers = new TreeMap<>();
                for (byte[] chunk = RawHttp.readChunk(in, trailers); chunk != null;
                        chunk = RawHttp.readChunk(in, trailers)) {
                    events.append(new String(chunk, UTF_8));
                }
                // Ended cleanly by the maximum age (the last chunk came), after keep-alives in the silence.
                String text = events.toString();
                assertThat(text).startsWith("event: data\ndata:x\n\nevent: control\n");
                int afterControl = text.indexOf("}\n\n") + 3;
                assertThat(text.substring(afterControl)).startsWith(SseHandler.KEEP_ALIVE);
                int comments = text.split(": keep-alive\n\n", -1).length - 1;
                assertThat(comments).as("keep-alives in %s of silence at one per %s", SSE_MAX_AGE, PING)
                        .isBetween(2, 10);
                assertThat(in.read()).as("the connection closes after the last chunk").isEqualTo(-1);
            }
        }

        @Test
        void endsCleanlyAtItsMaximumAgeAndTheClientGoesOnFromItsLastOffset() throws Exception {
            createTextStream("/aged.txt", "one");
            long started = System.nanoTime();
            try (Answer sse = get("/aged.txt?offset=-1&live=sse", "HTTP/1.1")) {
                InputStream in = sse.in();
                Map<String, String> trailers = new TreeMap<>();
                while (RawHttp.readChunk(in, trailers) != null) {
                    // events and keep-alives until the last chunk
                }
                long age = System.nanoTime() - started;
                assertThat(age).isGreaterThanOrEqualTo(SSE_MAX_AGE.toNanos())
                        .isLessThan(SSE_MAX_AGE.toNanos() + Duration.ofSeconds(5).toNanos());
                assertThat(in.read()).isEqualTo(-1);
            }
            postText("/aged.txt", "two");
            try (Answer again = get("/aged.txt?offset=0000000000000003&live=sse", "HTTP/1.1")) {
                assertThat(new String(RawHttp.readChunk(again.in(), new TreeMap<>()), UTF_8))
                        .startsWith("event: data\ndata:two\n");
            }
        }
    }

    @Test
    void anHttp11FollowStaysChunkedWithItsTrailer() throws Exception {
        try (RawWebSocket appender = appenderThatSent("/h11.log", "abc")) {
            try (Answer follow = get("/h11.log?follow", "HTTP/1.1")) {
                InputStream in = follow.in();
                assertThat(follow.head().header("transfer-encoding")).isEqualTo("chunked");
                Map<String, String> trailers = new TreeMap<>();
                assertThat(new String(RawHttp.readChunk(in, trailers), UTF_8)).isEqualTo("abc");
                appender.sendClose(1000);
                assertThat(appender.readToClose(new ByteArrayOutputStream()).closeCode()).isEqualTo(1000);
                assertThat(RawHttp.readChunk(in, trailers)).isNull();
                assertThat(trailers.get("stream-next-offset")).isEqualTo("0000000000000003");
            }
        }
        assertThat(server.content("/h11.log")).isEqualTo("abc");
    }
}
