package org.httpfstream.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** FOLLOW against a scripted peer: WebSocket messages and close codes, and plain 200 bodies. */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FollowTest {

    private final HttpFStreamClient client = HttpFStreamClient.builder().readTimeout(Duration.ofSeconds(10)).build();

    static byte[] allByteValues() {
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
        }
        return all;
    }

    static byte[] randomBytes(int n, long seed) {
        byte[] bytes = new byte[n];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** Reads {@code in} to the end with reads of at most {@code bufferSize} bytes. */
    static byte[] readAll(InputStream in, int bufferSize) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buffer = new byte[bufferSize];
        int n;
        while ((n = in.read(buffer)) != -1) {
            assertThat(n).as("read blocks until it has data").isPositive();
            all.write(buffer, 0, n);
        }
        return all.toByteArray();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void allByteValuesArriveUndecodedInTextAndBinaryMessages(int opcode) throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgrade();
            c.sendFrame(true, opcode, allByteValues());
            c.closeThenEof(1000, "");
        })) {
            peer.follow(client, "/bytes", (uri, in) -> {
                assertThat(readAll(in, 4096)).isEqualTo(allByteValues());
            });
        }
    }

    @Test
    void messageLargerThanTheBufferIsReturnedInPieces() throws Exception {
        byte[] big = randomBytes(100_000, 1);
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgrade();
            c.sendText(big);
            c.sendText("next");
            c.closeThenEof(1000, "");
        })) {
            peer.follow(client, "/big", (uri, in) -> {
                byte[] first = in.readNBytes(big.length);
                assertThat(first).isEqualTo(big);
                assertThat(readAll(in, 3)).isEqualTo("next".getBytes(StandardCharsets.US_ASCII));
            });
        }
    }

    @Test
    void allLengthEncodingsWithTinyReads() throws Exception {
        int[] sizes = {0, 1, 125, 126, 127, 65_535, 65_536, 70_000};
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        List<byte[]> messages = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            byte[] m = randomBytes(sizes[i], i);
            messages.add(m);
            expected.writeBytes(m);
        }
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgrade();
            for (byte[] m : messages) {
                c.sendFrame(true, 2, m);
            }
            c.closeThenEof(1000, "");
        })) {
            peer.follow(client, "/sizes", (uri, in) -> {
                assertThat(readAll(in, 7)).isEqualTo(expected.toByteArray());
            });
        }
    }

    @Test
    void fragmentedMessagesAreJoinedAndPingsBetweenFragmentsAnswered() throws Exception {
        BlockingQueue<ScriptedPeer.Frame> pongs = new ArrayBlockingQueue<>(1);
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgrade();
            c.sendFrame(false, 1, "ab".getBytes(StandardCharsets.US_ASCII));
            c.sendFrame(true, 9, "p1".getBytes(StandardCharsets.US_ASCII));
            c.sendFrame(false, 0, "cd".getBytes(StandardCharsets.US_ASCII));
            c.sendFrame(false, 0, new byte[0]);
            c.sendFrame(true, 0, "ef".getBytes(StandardCharsets.US_ASCII));
            c.sendFrame(false, 2, new byte[] {(byte) 0xFF});
            c.sendFrame(true, 0, new byte[] {0});
            pongs.add(c.readFrame());
            c.closeThenEof(1000, "");
        })) {
            try (InputStream in = client.follow(peer.uri("/frag"))) {
                assertThat(readAll(in, 1024)).isEqualTo(new byte[] {'a', 'b', 'c', 'd', 'e', 'f', (byte) 0xFF, 0});
            }
            peer.awaitScripts();
            ScriptedPeer.Frame pong = pongs.poll();
            assertThat(pong.opcode()).isEqualTo(0xA);
            assertThat(pong.text()).isEqualTo("p1");
        }
    }

    @Test
    void maskedServerFramesAreAccepted() throws Exception {
        byte[] key = {0x12, 0x34, 0x56, 0x78};
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgrade();
            c.write(ScriptedPeer.Connection.frame(true, 1, allByteValues(), key));
            c.write(ScriptedPeer.Connection.frame(true, 8, new byte[] {0x03, (byte) 0xE8}, key));
            c.readFrame();
            c.expectEof();
        })) {
            peer.follow(client, "/masked", (uri, in) -> {
                assertThat(readAll(in, 5)).isEqualTo(allByteValues());
            });
        }
    }

    @Test
    void pingIsAnsweredWithPongCarryingTheSamePayloadAndPongsAreIgnored() throws Exception {
        byte[] pingPayload = randomBytes(125, 7);
        BlockingQueue<ScriptedPeer.Frame> pongs = new ArrayBlockingQueue<>(1);
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgrade();
            c.sendFrame(true, 0xA, "unsolicited".getBytes(StandardCharsets.US_ASCII));
            c.sendFrame(true, 9, pingPayload);
            pongs.add(c.readFrame());
            c.sendText("after ping");
            c.closeThenEof(1000, "");
        })) {
            try (InputStream in = client.follow(peer.uri("/ping"))) {
                assertThat(new String(readAll(in, 100), StandardCharsets.US_ASCII)).isEqualTo("after ping");
            }
            peer.awaitScripts();
            ScriptedPeer.Frame pong = pongs.poll();
            assertThat(pong.opcode()).isEqualTo(0xA);
            assertThat(pong.fin()).isTrue();
            assertThat(pong.payload()).isEqualTo(pingPayload);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1000, -1})
    void normalCloseEndsTheStreamAndIsAnswered(int code) throws Exception {
        BlockingQueue<ScriptedPeer.Frame> replies = new ArrayBlockingQueue<>(1);
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgrade();
            c.sendText("data");
            if (code == -1) {
                c.sendFrame(true, 8, new byte[0]);
            } else {
                c.sendClose(code, "bye");
            }
            replies.add(c.readFrame());
            c.expectEof();
        })) {
            try (InputStream in = client.follow(peer.uri("/end"))) {
                assertThat(readAll(in, 100)).isEqualTo("data".getBytes(StandardCharsets.US_ASCII));
                assertThat(in.read()).isEqualTo(-1);
                assertThat(in.read(new byte[10], 0, 10)).isEqualTo(-1);
            }
            peer.awaitScripts();
            ScriptedPeer.Frame reply = replies.poll();
            assertThat(reply.opcode()).isEqualTo(8);
            assertThat(reply.closeCode()).isEqualTo(code);
        }
    }

    @Test
    void goingAwayIsNotTheEndOfTheStream() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgrade();
            c.sendText("some");
            c.closeThenEof(1001, "server shutting down");
        })) {
            peer.follow(client, "/away", (uri, in) -> {
                ScriptedPeer.assertReadsThenFails(in, "some")
                        .isInstanceOf(IOException.class)
                        .hasMessageContaining("code 1001 (going away): server shutting down");
            });
        }
    }

    @Test
    void abnormalCloseIsAnErrorWithCodeAndReason() throws Exception {
        BlockingQueue<ScriptedPeer.Frame> replies = new ArrayBlockingQueue<>(1);
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgrade();
            c.sendText("partial");
            replies.add(c.closeThenEof(1011, "disk on fire"));
        })) {
            URI uri = peer.uri("/err");
            try (InputStream in = client.follow(uri)) {
                ScriptedPeer.assertReadsThenFails(in, "partial")
                        .isInstanceOf(IOException.class)
                        .hasMessage("FOLLOW " + uri + ": server closed the stream with code 1011 "
                                + "(internal server error): disk on fire");
                assertThatThrownBy(in::read).isInstanceOf(IOException.class).hasMessageContaining("1011");
            }
            peer.awaitScripts();
            assertThat(replies.poll().closeCode()).isEqualTo(1011);
        }
    }

    @Test
    void endOfConnectionWithoutCloseFrameIsAnError() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgrade();
            c.sendText("abc");
        })) {
            peer.follow(client, "/eof", (uri, in) -> {
                ScriptedPeer.assertReadsThenFails(in, "abc")
                        .isInstanceOf(EOFException.class)
                        .hasMessageStartingWith("FOLLOW " + uri + ": connection closed before end of stream");
            });
        }
    }

    @Test
    void endOfConnectionInsideAFrameIsAnError() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgrade();
            byte[] frame = ScriptedPeer.Connection.frame(true, 2, randomBytes(1000, 3), null);
            c.write(java.util.Arrays.copyOf(frame, 500));
        })) {
            peer.follow(client, "/cut", (uri, in) -> {
                assertThatThrownBy(() -> readAll(in, 64))
                        .isInstanceOf(EOFException.class)
                        .hasMessageContaining("FOLLOW " + uri)
                        .hasMessageContaining("in the middle of a WebSocket frame");
            });
        }
    }

    @Test
    void protocolViolationIsAnErrorAndClosesWith1002() throws Exception {
        BlockingQueue<ScriptedPeer.Frame> replies = new ArrayBlockingQueue<>(1);
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgrade();
            c.write(new byte[] {(byte) 0xC1, 0x01, 'x'}); // RSV1 set, no extension negotiated
            replies.add(c.readFrame());
            c.expectEof();
        })) {
            URI uri = peer.uri("/rsv");
            try (InputStream in = client.follow(uri)) {
                assertThatThrownBy(in::read)
                        .isInstanceOf(ProtocolException.class)
                        .hasMessageContaining("FOLLOW " + uri)
                        .hasMessageContaining("reserved bits");
            }
            peer.awaitScripts();
            assertThat(replies.poll().closeCode()).isEqualTo(1002);
        }
    }

    @Test
    void unknownOpcodeIsAProtocolError() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgrade();
            c.sendFrame(true, 3, new byte[0]);
            c.expectEof();
        })) {
            peer.follow(client, "/op", (uri, in) -> {
                assertThatThrownBy(in::read).isInstanceOf(ProtocolException.class).hasMessageContaining("opcode 0x3");
            });
        }
    }

    @Test
    void closeSendsClose1000AndLaterReadsFail() throws Exception {
        BlockingQueue<ScriptedPeer.Frame> frames = new ArrayBlockingQueue<>(1);
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgrade();
            c.sendText("hello");
            frames.add(c.readFrame());
            c.expectEof();
        })) {
            InputStream in = client.follow(peer.uri("/bye"));
            ScriptedPeer.assertReadsThenClosesTwice(in, "hello");
            peer.awaitScripts();
            ScriptedPeer.Frame close = frames.poll();
            assertThat(close.opcode()).isEqualTo(8);
            assertThat(close.closeCode()).isEqualTo(1000);
        }
    }

    @Test
    void closeFromAnotherThreadUnblocksARead() throws Exception {
        CountDownLatch clientGone = new CountDownLatch(1);
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgrade();
            c.sendText("x");
            c.expectEof();
            clientGone.countDown();
        })) {
            InputStream in = client.follow(peer.uri("/abort"));
            assertThat(in.read()).isEqualTo('x');
            CompletableFuture<Object> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    return in.read();
                } catch (IOException e) {
                    return e;
                }
            });
            in.close();
            assertThat(reader.get(10, TimeUnit.SECONDS))
                    .isInstanceOfSatisfying(IOException.class, e -> assertThat(e).hasMessage("stream closed"));
            assertThat(clientGone.await(10, TimeUnit.SECONDS)).isTrue();
            peer.awaitScripts();
        }
    }

    @Test
    void silentServerCausesReadTimeout() throws Exception {
        HttpFStreamClient impatient = HttpFStreamClient.builder().readTimeout(Duration.ofMillis(300)).build();
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgrade();
            c.sendText("only this");
            c.expectEof();
        })) {
            peer.follow(impatient, "/quiet", (uri, in) -> {
                ScriptedPeer.assertReadsThenFails(in, "only this")
                        .isInstanceOf(SocketTimeoutException.class)
                        .hasMessage("FOLLOW " + uri + ": no data from the server within 300 ms (read timeout)");
            });
        }
    }

    @Test
    void okResponseWithContentLengthIsTheBody() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.readRequest();
            c.write("HTTP/1.1 200 OK\r\nContent-Length: 256\r\nContent-Type: application/octet-stream\r\n\r\n");
            c.write(allByteValues());
            c.expectEof(); // the client closes once it has the whole body
        })) {
            peer.follow(client, "/done", (uri, in) -> {
                assertThat(readAll(in, 100)).isEqualTo(allByteValues());
                assertThat(in.read()).isEqualTo(-1);
            });
        }
    }

    @Test
    void okResponseWithChunkedBodyIsDecoded() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.readRequest();
            c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            c.write("5;name=value\r\nhello\r\n");
            c.write("1\r\n \r\n");
            c.write("A\r\n0123456789\r\n");
            c.write("0\r\nX-Trailer: yes\r\n\r\n");
            c.expectEof();
        })) {
            peer.assertFollows(client, "/chunked", 4, "hello 0123456789");
        }
    }

    @Test
    void okResponseWithoutLengthLastsUntilTheConnectionEnds() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(c -> c.answer("HTTP/1.0 200 OK\r\n\r\nuntil the end"))) {
            peer.assertFollows(client, "/old", 100, "until the end");
        }
    }

    @Test
    void truncatedBodyIsAnError() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(
                c -> c.answer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"))) {
            peer.follow(client, "/trunc", (uri, in) -> {
                assertThatThrownBy(() -> readAll(in, 100))
                        .isInstanceOf(EOFException.class)
                        .hasMessageStartingWith("FOLLOW " + uri + ": connection closed before end of stream");
                assertThatThrownBy(in::read).isInstanceOf(IOException.class);
            });
        }
    }

    @Test
    void bodyStreamCloseIsIdempotentAndLaterReadsFail() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(c -> c.answerThenEof(
                "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nsome"))) {
            InputStream in = client.follow(peer.uri("/b"));
            ScriptedPeer.assertReadsThenClosesTwice(in, "some");
            peer.awaitScripts();
        }
    }
}
