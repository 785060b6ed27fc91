package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.httpfstream.server.RawWebSocket.Frame;
import org.httpfstream.server.testing.ServerExtension;
import org.httpfstream.server.ws.CloseCodes;
import org.httpfstream.testing.Await;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The protocol edges issue 11 lists under "Also": close codes RFC 6455 does not allow get Close 1002
 * from every WebSocket peer's point of view; a producer number past its limit is told the limit; a
 * declared body past the limit is refused with {@code 413} and the connection closed, not read.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProtocolEdgesTest {
    @RegisterExtension
    final ServerExtension server = new ServerExtension();

    /** Codes a peer must not send: below 1000, 1004-1006, 1015, unassigned 1016-2999, 5000 and up. */
    @Nested
    class CloseCodes {
        @ParameterizedTest(name = "close code {0}")
        @ValueSource(ints = {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 5001, 65535})
        void anInvalidCodeFromAnAppenderIsAnswered1002AndTheDataIsKept(int code) throws IOException {
            try (RawWebSocket appender = RawWebSocket.appendAccepted(server.address(), "/a.log")) {
                appender.send(RawWebSocket.BINARY, "kept".getBytes(UTF_8));
                appender.sendClose(code);
                Frame close = appender.readToClose(new ByteArrayOutputStream());
                assertThat(close.closeCode()).isEqualTo(1002);
                assertThat(close.closeReason()).isEqualTo("invalid close status code: " + code);
                assertThat(appender.closedByServer()).isTrue();
            }
            Await.until("the session has ended", () -> !server.appending("/a.log"));
            assertThat(server.content("/a.log")).isEqualTo("kept");
        }

        @ParameterizedTest(name = "close code {0}")
        @ValueSource(ints = {1000, 1001, 1002, 1003, 1007, 1011, 1012, 1014, 3000, 4000, 4999})
        void aValidCodeFromAnAppenderIsAnswered1000(int code) throws IOException {
            try (RawWebSocket appender = RawWebSocket.append(server.address(), "/a.log")) {
                appender.sendClose(code);
                assertThat(appender.readToClose(new ByteArrayOutputStream()).closeCode()).isEqualTo(1000);
            }
        }

        @ParameterizedTest(name = "close code {0}")
        @ValueSource(ints = {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 5001, 65535})
        void anInvalidCodeFromAFollowerIsAnswered1002(int code) throws IOException {
            try (RawWebSocket appender = RawWebSocket.append(server.address(), "/f.log");
                    RawWebSocket follower = RawWebSocket.follow(server.address(), "/f.log?frames=binary")) {
                assertThat(follower.status()).isEqualTo(101);
                appender.send(RawWebSocket.BINARY, "x".getBytes(UTF_8));
                assertThat(follower.readData(1)).isEqualTo("x".getBytes(UTF_8));
                follower.sendClose(code);
                assertThat(follower.readToClose(new ByteArrayOutputStream()).closeCode()).isEqualTo(1002);
                assertThat(follower.closedByServer()).isTrue();
                appender.sendClose(1000);
            }
        }

        @ParameterizedTest(name = "close code {0}")
        @ValueSource(ints = {1000, 1001, 1003, 1011, 3000, 4999})
        void aValidCodeFromAFollowerIsAnswered1000(int code) throws IOException {
            try (RawWebSocket appender = RawWebSocket.append(server.address(), "/f.log");
                    RawWebSocket follower = RawWebSocket.follow(server.address(), "/f.log?frames=binary")) {
                assertThat(follower.status()).isEqualTo(101);
                follower.sendClose(code);
                assertThat(follower.readToClose(new ByteArrayOutputStream()).closeCode()).isEqualTo(1000);
                appender.sendClose(1000);
            }
        }
    }

    @Nested
    class ProducerNumbers {
        HttpResponse<String> produce(String epoch, String seq) throws Exception {
            return server.send("POST", "/p", "x", "Content-Type", "text/plain",
                    "Producer-Id", "one", "Producer-Epoch", epoch, "Producer-Seq", seq);
        }

        /** A producer append with {@code epoch} and {@code seq} is answered 400 with exactly {@code message}. */
        void assertRefused(String epoch, String seq, String message) throws Exception {
            HttpResponse<String> r = produce(epoch, seq);
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.body()).isEqualTo(message + "\n");
        }

        @BeforeEach
        void create() throws Exception {
            assertThat(server.send("PUT", "/p", null, "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        }

        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"9223372036854775807", "9007199254740992", "18446744073709551616",
                "99999999999999999999999"})
        void anEpochPastTheLimitIsToldTheLimit(String epoch) throws Exception {
            assertRefused(epoch, "0", "Producer-Epoch must be at most 2^53-1 (9007199254740991): " + epoch);
        }

        @Test
        void aSeqPastTheLimitIsToldTheLimit() throws Exception {
            assertRefused("0", "9223372036854775807",
                    "Producer-Seq must be at most 2^53-1 (9007199254740991): 9223372036854775807");
        }

        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"-1", "01", "1.0", "x", "+1"})
        void anEpochThatIsNoDecimalIntegerIsToldSo(String epoch) throws Exception {
            assertRefused(epoch, "0", "Producer-Epoch must be a non-negative decimal integer: " + epoch);
        }

        @Test
        void theLargestEpochIsAccepted() throws Exception {
            HttpResponse<String> r = produce("9007199254740991", "0");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Producer-Epoch")).hasValue("9007199254740991");
        }
    }

    @Nested
    class HugeDeclaredBodies {
        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"POST", "PUT"})
        void areRefusedWith413AndTheConnectionIsClosedNotRead(String method) throws IOException {
            try (Socket socket = RawHttp.connect(server.address())) {
                // Keep-alive, 1 GB declared, a little of it sent: the server must not wait for the rest.
                socket.getOutputStream().write((method + " /huge HTTP/1.1\r\nHost: x\r\n"
                        + "Content-Type: text/plain\r\nContent-Length: 1000000000\r\n\r\n" + "x".repeat(1000))
                        .getBytes(ISO_8859_1));
                InputStream in = socket.getInputStream();
                RawHttp r = RawHttp.read(in, false);
                assertThat(r.status).isEqualTo(413);
                assertThat(r.header("Connection")).isEqualTo("close");
                assertThat(r.bodyText()).isEqualTo(
                        "request body too large: 1000000000 bytes, the limit is 16777216 (-max-body-size)\n");
                assertThat(in.read()).isEqualTo(-1); // closed, while the client still had bytes to send
            }
            assertThat(server.exists("/huge")).isFalse();
        }

        @Test
        void aRefusedExpectContinueIsClosedToo() throws IOException {
            try (Socket socket = RawHttp.connect(server.address())) {
                socket.getOutputStream().write(("POST /huge HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                        + "Content-Type: text/plain\r\nContent-Length: 1000000000\r\n\r\n").getBytes(ISO_8859_1));
                InputStream in = socket.getInputStream();
                assertThat(RawHttp.read(in, false).status).isEqualTo(413);
                assertThat(in.read()).isEqualTo(-1);
            }
        }
    }
}
