package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.httpfstream.server.RawWebSocket.Frame;
import org.httpfstream.server.testing.ServerExtension;
import org.httpfstream.testing.Await;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Defect "browser WebSocket to a finished stream fails": a follower that asks for BINARY messages (as
 * browsers and our clients do) gets an upgrade to a finished stream too, the bytes, then Close 1000;
 * the original clients, which do not ask for BINARY, keep their {@code 200} with the file.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FinishedStreamWebSocketTest {
    @RegisterExtension
    final ServerExtension server = new ServerExtension();
    /** More than one BINARY message (64 KiB each), and every byte value. */
    final byte[] content = new byte[200_000];

    @BeforeEach
    void write() throws IOException {
        new Random(11).nextBytes(content);
        for (int i = 0; i < 256; i++) {
            content[i] = (byte) i;
        }
        server.write("/done.bin", content);
    }

    /** The bytes a follower gets up to the Close, whose code must be 1000, and the end after it. */
    byte[] followToClose(RawWebSocket ws) throws IOException {
        assertThat(ws.status()).isEqualTo(101);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        Frame close = ws.readToClose(data);
        assertThat(close.closeCode()).isEqualTo(1000);
        assertThat(ws.closedByServer()).isTrue(); // nothing after the Close, then the end
        return data.toByteArray();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"query", "header"})
    void aBinaryFollowerIsUpgradedGetsEveryByteThenClose1000(String how) throws IOException {
        try (RawWebSocket ws = how.equals("query")
                ? RawWebSocket.follow(server.address(), "/done.bin?frames=binary")
                : RawWebSocket.follow(server.address(), "/done.bin", "X-Frames: binary")) {
            assertThat(ws.response.header("Stream-Writer-Active")).isEqualTo("false");
            assertThat(ws.response.header("Stream-Offset")).isEqualTo("0000000000000000");
            assertThat(followToClose(ws)).isEqualTo(content);
        }
    }

    @Test
    void everyMessageIsBinaryAndAtMost64KiB() throws IOException {
        try (RawWebSocket ws = RawWebSocket.follow(server.address(), "/done.bin?frames=binary")) {
            assertThat(ws.status()).isEqualTo(101);
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            for (Frame f = ws.read(); f.opcode() != RawWebSocket.CLOSE; f = ws.read()) {
                assertThat(f.opcode()).isEqualTo(RawWebSocket.BINARY);
                assertThat(f.fin()).isTrue();
                assertThat(f.payload().length).isBetween(1, 64 * 1024);
                data.write(f.payload(), 0, f.payload().length);
            }
            assertThat(data.toByteArray()).isEqualTo(content);
        }
    }

    @Test
    void aBinaryFollowerCanStartAtAnOffset() throws IOException {
        try (RawWebSocket ws = RawWebSocket.follow(server.address(),
                "/done.bin?frames=binary&offset=00000000000186a0")) {
            assertThat(ws.response.header("Stream-Offset")).isEqualTo("00000000000186a0");
            assertThat(followToClose(ws)).isEqualTo(Arrays.copyOfRange(content, 100_000, content.length));
        }
    }

    @Test
    void anEmptyFinishedStreamIsJustClose1000() throws IOException {
        server.write("/empty.bin", new byte[0]);
        try (RawWebSocket ws = RawWebSocket.follow(server.address(), "/empty.bin?frames=binary")) {
            assertThat(followToClose(ws)).isEmpty();
        }
    }

    @Test
    void aStreamThatDoesNotExistIs404BeforeAnyUpgrade() throws IOException {
        try (RawWebSocket ws = RawWebSocket.follow(server.address(), "/missing.bin?frames=binary")) {
            assertThat(ws.status()).isEqualTo(404);
            assertThat(ws.response.bodyText()).isEqualTo("no such stream: /missing.bin\n");
        }
    }

    @Test
    void theOriginalClientsWithoutBinaryKeepTheir200WithTheFile() throws IOException {
        try (RawWebSocket ws = RawWebSocket.follow(server.address(), "/done.bin", "X-Verb: FOLLOW")) {
            assertThat(ws.status()).isEqualTo(200);
            assertThat(ws.response.body).isEqualTo(content);
        }
    }

    @Test
    void anEndedAppendSessionIsFinishedToo() throws IOException {
        try (RawWebSocket appender = RawWebSocket.append(server.address(), "/ended.log")) {
            appender.send(RawWebSocket.TEXT, "all of it".getBytes(UTF_8));
            appender.sendClose(1000);
            assertThat(appender.readToClose(new ByteArrayOutputStream()).closeCode()).isEqualTo(1000);
        }
        Await.until("the session has ended", () -> !server.appending("/ended.log"));
        try (RawWebSocket ws = RawWebSocket.follow(server.address(), "/ended.log?frames=binary")) {
            assertThat(new String(followToClose(ws), UTF_8)).isEqualTo("all of it");
        }
    }

    @Test
    void aClosedDurableStreamIsFinishedToo() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        int status = http.send(HttpRequest.newBuilder(server.uri("/closed"))
                .PUT(BodyPublishers.ofString("the end", UTF_8))
                .header("Content-Type", "text/plain").header("Stream-Closed", "true").build(),
                BodyHandlers.discarding()).statusCode();
        assertThat(status).isEqualTo(201);
        try (RawWebSocket ws = RawWebSocket.follow(server.address(), "/closed?frames=binary")) {
            assertThat(new String(followToClose(ws), UTF_8)).isEqualTo("the end");
        }
    }
}
