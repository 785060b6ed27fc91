package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.httpfstream.auth.Tokens;
import org.httpfstream.testing.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The access log of a real server with a grant file, in a JVM of its own ({@link AccessLogServerMain})
 * whose logger {@code httpfstream.access} writes at INFO to a file: one line per request and per
 * WebSocket session, with the client, the token's fingerprint (never the token, nor the token and
 * signed-link parameters of the query), the status, the bytes and the duration.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AccessLogTest {
    static final String TOKEN = "s3cret-token-4711";

    AccessLogServer server;
    InetSocketAddress address;

    @BeforeAll
    void startServer(@TempDir Path dir) throws Exception {
        server = AccessLogServer.start(dir, TOKEN, null);
        address = new InetSocketAddress("127.0.0.1", server.port);
    }

    @AfterAll
    void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    String awaitLine(String... parts) {
        Await.until("an access-log line with " + String.join(", ", parts), () -> server.lines(parts).size() == 1);
        try {
            return server.lines(parts).get(0);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void logsAnAppendWithTheTokensFingerprintAndNeverTheToken() throws Exception {
        RawHttp put = AuthHttp.send(address, "PUT", "/a.txt?token=" + TOKEN, "hello".getBytes(UTF_8),
                "Content-Type: text/plain");
        assertThat(put.status).isEqualTo(201);
        String line = awaitLine("method=PUT path=/a.txt ");
        assertThat(line).contains(" principal=token:" + Tokens.fingerprint(TOKEN) + " ")
                .contains(" status=201 in=5 ").contains(" kind=http end=complete")
                .containsPattern(" client=127\\.0\\.0\\.1:\\d+ ").containsPattern(" out=[1-9]\\d* ms=\\d+ ");

        RawHttp get = AuthHttp.send(address, "GET", "/a.txt?offset=-1", null, AuthHttp.bearer(TOKEN));
        assertThat(get.status).isEqualTo(200);
        String read = awaitLine("method=GET path=/a.txt?offset=-1 ");
        assertThat(read).contains(" status=200 in=0 ").contains("principal=token:" + Tokens.fingerprint(TOKEN));
        long out = Long.parseLong(read.replaceAll(".* out=(\\d+) .*", "$1"));
        assertThat(out).isGreaterThan(get.body.length); // the head and the 5 bytes
        assertThat(get.bodyText()).isEqualTo("hello");

        assertThat(Files.readString(server.log)).doesNotContain(TOKEN);
    }

    @Test
    void logsARefusalAndDropsSignedLinkParameters() throws Exception {
        RawHttp refused = AuthHttp.send(address, "GET", "/b.txt?offset=0&link-expires=1&link-sig=abcdef", null);
        assertThat(refused.status).isEqualTo(403);
        String line = awaitLine("path=/b.txt?offset=0 ");
        assertThat(line).contains(" status=403 ").contains(" principal=link:").doesNotContain("abcdef")
                .doesNotContain("link-expires");

        RawHttp anonymous = AuthHttp.send(address, "GET", "/c.txt", null);
        assertThat(anonymous.status).isEqualTo(401);
        assertThat(awaitLine("path=/c.txt ")).contains(" principal=anonymous ").contains(" status=401 ");
    }

    @Test
    void logsOneLineForARequestThatWasToldToContinue() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(address, 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("PUT /cont.txt HTTP/1.1\r\nHost: x\r\n" + AuthHttp.bearer(TOKEN)
                    + "\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nExpect: 100-continue\r\n"
                    + "Connection: close\r\n\r\n").getBytes(UTF_8));
            StringBuilder interim = new StringBuilder();
            while (!interim.toString().endsWith("\r\n\r\n")) {
                interim.append((char) s.getInputStream().read());
            }
            assertThat(interim.toString()).startsWith("HTTP/1.1 100 Continue\r\n");
            s.getOutputStream().write("abc".getBytes(UTF_8));
            assertThat(RawHttp.readHead(s.getInputStream()).status).isEqualTo(201);
        }
        assertThat(awaitLine("path=/cont.txt ")).contains(" status=201 in=3 ");
    }

    @Test
    void logsAWebSocketSessionWhenItEnds() throws Exception {
        try (RawWebSocket ws = RawWebSocket.connect(address, "/ws.log?token=" + TOKEN, 0, "X-Verb: APPEND")) {
            assertThat(ws.status()).isEqualTo(101);
            ws.send(RawWebSocket.BINARY, new byte[100]);
            assertThat(server.lines("path=/ws.log ")).isEmpty(); // not before the session ends
            ws.sendClose(1000);
            assertThat(ws.read().opcode()).isEqualTo(RawWebSocket.CLOSE);
        }
        String line = awaitLine("path=/ws.log ");
        assertThat(line).contains(" method=GET ").contains(" status=101 ").contains(" kind=websocket end=complete")
                .contains("principal=token:" + Tokens.fingerprint(TOKEN));
        long in = Long.parseLong(line.replaceAll(".* in=(\\d+) .*", "$1"));
        assertThat(in).isGreaterThanOrEqualTo(100 + 6 + 8); // a data frame and a Close frame, with their heads
        assertThat(Files.readString(server.log)).doesNotContain(TOKEN);
    }

    @Test
    void logsAFollowCutByItsClientAsAborted() throws Exception {
        try (RawWebSocket appender = RawWebSocket.connect(address, "/live.log", 0, "X-Verb: APPEND",
                AuthHttp.bearer(TOKEN))) {
            assertThat(appender.status()).isEqualTo(101);
            appender.send(RawWebSocket.TEXT, "abc".getBytes(UTF_8));
            try (Socket follow = new Socket()) {
                follow.connect(address, 5000);
                follow.setSoTimeout(10_000);
                follow.getOutputStream().write(("GET /live.log?follow HTTP/1.1\r\nHost: x\r\n"
                        + AuthHttp.bearer(TOKEN) + "\r\n\r\n").getBytes(UTF_8));
                assertThat(RawHttp.readHead(follow.getInputStream()).status).isEqualTo(200);
                assertThat(new String(RawHttp.readChunk(follow.getInputStream(), new java.util.HashMap<>()), UTF_8))
                        .isEqualTo("abc");
                assertThat(server.lines("path=/live.log?follow ")).isEmpty(); // still following
            }
            String line = awaitLine("path=/live.log?follow ");
            assertThat(line).contains(" status=200 ").contains(" kind=http end=aborted");
            appender.sendClose(1000);
        }
    }
}
