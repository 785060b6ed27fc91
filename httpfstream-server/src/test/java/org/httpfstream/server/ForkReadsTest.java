package org.httpfstream.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.httpfstream.server.testing.ServerExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A fork's first bytes are its source's, referred to, not copied into its own file (issue 13, fix b):
 * every read of the original protocol gets them too, not only the Durable Streams reads. Before this
 * test, a closed fork read with {@code ?follow} or followed over a WebSocket gave zero bytes where the
 * source's bytes belong (the hole at the start of the fork's file).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ForkReadsTest {
    @RegisterExtension
    final ServerExtension server = new ServerExtension();

    static final String SOURCE = "hello world";
    static final String EXPECTED = SOURCE + "!!";

    @BeforeEach
    void fork() throws Exception {
        assertThat(server.send("PUT", "/src.txt", SOURCE, "Content-Type", "text/plain").statusCode())
                .isEqualTo(201);
        assertThat(server.send("PUT", "/fork.txt", null, "Content-Type", "text/plain",
                "Stream-Forked-From", "/src.txt").statusCode()).isEqualTo(201);
        assertThat(server.send("POST", "/fork.txt", "!!", "Content-Type", "text/plain").statusCode())
                .isEqualTo(204);
    }

    /** The fork's bytes as every reader gets them, while it is open and once it is closed. */
    void assertEveryReadGetsTheSourcesBytes() throws Exception {
        assertThat(server.send("GET", "/fork.txt", null).body()).isEqualTo(EXPECTED);
        assertThat(server.send("GET", "/fork.txt?offset=-1", null).body()).isEqualTo(EXPECTED);
    }

    @Nested
    class OnceTheForkIsClosed {
        @BeforeEach
        void close() throws Exception {
            assertThat(server.send("POST", "/fork.txt", null, "Stream-Closed", "true").statusCode()).isEqualTo(204);
        }

        @Test
        void plainAndOffsetReadsGetTheSourcesBytes() throws Exception {
            assertEveryReadGetsTheSourcesBytes();
        }

        @Test
        void aFollowReadGetsTheSourcesBytes() throws Exception {
            assertThat(server.send("GET", "/fork.txt?follow", null).body()).isEqualTo(EXPECTED);
        }

        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"/fork.txt?frames=binary", "/fork.txt"})
        void aWebSocketFollowerGetsTheSourcesBytes(String target) throws IOException {
            try (RawWebSocket ws = RawWebSocket.follow(server.address(), target)) {
                if (ws.status() == 101) { // a BINARY follower: upgraded, the bytes, Close 1000
                    ByteArrayOutputStream data = new ByteArrayOutputStream();
                    assertThat(ws.readToClose(data).closeCode()).isEqualTo(1000);
                    assertThat(data.toString(StandardCharsets.UTF_8)).isEqualTo(EXPECTED);
                } else { // the original clients: a 200 with the bytes
                    assertThat(target).doesNotContain("binary");
                    assertThat(ws.response.status).isEqualTo(200);
                    assertThat(new String(ws.response.body, StandardCharsets.UTF_8)).isEqualTo(EXPECTED);
                }
            }
        }
    }

    @Test
    void whileTheForkIsOpenEveryReadGetsTheSourcesBytes() throws Exception {
        assertEveryReadGetsTheSourcesBytes();
    }

    @Test
    void afterTheSourceIsDeletedTheForkStillReadsItsBytes() throws Exception {
        assertThat(server.send("DELETE", "/src.txt", null).statusCode()).isEqualTo(204);
        assertThat(server.send("POST", "/fork.txt", null, "Stream-Closed", "true").statusCode()).isEqualTo(204);
        assertEveryReadGetsTheSourcesBytes();
        assertThat(server.send("GET", "/fork.txt?follow", null).body()).isEqualTo(EXPECTED);
    }
}
