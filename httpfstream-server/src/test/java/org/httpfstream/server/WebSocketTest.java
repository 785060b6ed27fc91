package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Random;
import org.httpfstream.server.RawWebSocket.Frame;
import org.httpfstream.server.testing.FilesOnDisk;
import org.httpfstream.server.testing.ServerExtension;
import org.httpfstream.server.ws.FollowHandler;
import org.httpfstream.testing.Await;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The APPEND and FOLLOW WebSockets, driven by a hand-written peer that can misbehave. */
class WebSocketTest {
    @RegisterExtension
    final ServerExtension server = new ServerExtension();

    static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    /** Waits until a new appender on {@code path} is accepted, i.e. the lease is free; then ends it. */
    void awaitLeaseFree(String path) {
        Await.until("the lease on " + path + " is free", () -> {
            try (RawWebSocket ws = RawWebSocket.append(server.address(), path)) {
                if (ws.status() == 101) {
                    ws.sendClose(1000);
                    ws.readToClose(new ByteArrayOutputStream());
                    return true;
                }
                return false;
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
    }

    @Nested
    class Appending {
        @Test
        void everyDataFrameIsAppendedInOrderAndCloseIsAnsweredAfterPersisting() throws IOException {
            try (RawWebSocket ws = RawWebSocket.appendAccepted(server.address(), "/a/b/c.log")) {
                ws.send(RawWebSocket.TEXT, bytes("one "));
                ws.send(RawWebSocket.BINARY, bytes("two "));
                ws.send(RawWebSocket.TEXT, false, bytes("thr"));
                ws.send(RawWebSocket.CONTINUATION, false, bytes("e"));
                ws.send(RawWebSocket.CONTINUATION, true, bytes("e"));
                ws.sendClose(1000);
                Frame close = ws.readToClose(new ByteArrayOutputStream());
                assertThat(close.closeCode()).isEqualTo(1000);
                assertThat(server.content("/a/b/c.log")).isEqualTo("one two three");
            }
        }

        @Test
        void allByteValuesSurviveTextFrames() throws IOException {
            byte[] all = new byte[256];
            for (int i = 0; i < 256; i++) {
                all[i] = (byte) i;
            }
            try (RawWebSocket appender = RawWebSocket.append(server.address(), "/bin");
                    RawWebSocket follower = RawWebSocket.follow(server.address(), "/bin")) {
                assertThat(follower.status()).isEqualTo(101);
                appender.send(RawWebSocket.TEXT, all);
                Frame f = follower.read();
                while (f.opcode() == RawWebSocket.PING) {
                    f = follower.read();
                }
                assertThat(f.opcode()).isEqualTo(RawWebSocket.TEXT);
                assertThat(f.payload()).isEqualTo(all);
                appender.sendClose(1000);
                appender.readToClose(new ByteArrayOutputStream());
            }
            assertThat(server.bytes("/bin")).isEqualTo(all);
        }

        @Test
        void aSecondAppenderGets403BeforeAnyUpgrade() throws IOException {
            try (RawWebSocket first = RawWebSocket.appendAccepted(server.address(), "/x")) {
                try (RawWebSocket second = RawWebSocket.append(server.address(), "/x")) {
                    assertThat(second.status()).isEqualTo(403);
                    assertThat(second.response.bodyText()).isEqualTo("path already has an active writer\n");
                }
            }
        }

        @Test
        void droppingTcpWithoutCloseFrameIsANormalEndThatKeepsEveryByte() throws IOException {
            try (RawWebSocket ws = RawWebSocket.append(server.address(), "/go.log")) {
                ws.send(RawWebSocket.TEXT, bytes("foo\n"));
                ws.send(RawWebSocket.TEXT, bytes("bar\n"));
            } // the original Go client's way to end
            awaitLeaseFree("/go.log");
            assertThat(server.content("/go.log")).isEqualTo("foo\nbar\n");
        }

        @Test
        void aFrameOverTheLimitEndsTheSessionWith1009AndKeepsWhatCameBefore() throws IOException {
            server.restart(b -> b.settings(
                    HttpFStreamSettings.defaults().withMaxFrameSize(1024)));
            try (RawWebSocket ws = RawWebSocket.append(server.address(), "/big")) {
                ws.send(RawWebSocket.TEXT, bytes("kept"));
                ws.send(RawWebSocket.TEXT, new byte[2000]);
                Frame close = ws.readToClose(new ByteArrayOutputStream());
                assertThat(close.closeCode()).isEqualTo(1009);
            }
            awaitLeaseFree("/big");
            assertThat(server.content("/big")).isEqualTo("kept");
        }

        @Test
        @FilesOnDisk // the bytes outlive the server
        void serverShutdownReleasesTheLeaseAndKeepsTheBytes() throws IOException {
            try (RawWebSocket ws = RawWebSocket.append(server.address(), "/restart.log")) {
                ws.send(RawWebSocket.TEXT, bytes("before restart\n"));
                ws.send(RawWebSocket.PING, new byte[0]); // a round trip: the text frame was processed
                assertThat(ws.read().opcode()).isEqualTo(RawWebSocket.PONG);
                try (RawWebSocket follower = RawWebSocket.follow(server.address(), "/restart.log")) {
                    assertThat(follower.readData(15)).isEqualTo(bytes("before restart\n"));
                    server.stop();
                    // Neither is told that the stream ended: the server went away (1001).
                    assertThat(follower.readToClose(new ByteArrayOutputStream()).closeCode()).isEqualTo(1001);
                    assertThat(ws.readToClose(new ByteArrayOutputStream()).closeCode()).isEqualTo(1001);
                }
            }
            server.restart();
            try (RawWebSocket ws = RawWebSocket.appendAccepted(server.address(), "/restart.log")) {
                ws.send(RawWebSocket.TEXT, bytes("after\n"));
                ws.sendClose(1000);
                ws.readToClose(new ByteArrayOutputStream());
            }
            assertThat(server.content("/restart.log")).isEqualTo("before restart\nafter\n");
        }
    }

    @Nested
    class Liveness {
        @BeforeEach
        void fastPings() throws IOException {
            server.restart(b -> b
                    .pingInterval(Duration.ofMillis(50))
                    .appenderTimeout(Duration.ofMillis(300)));
        }

        /** An appender shows that it reads by pinging once; from then on the server pings it. */
        private void proveItReads(RawWebSocket ws) throws IOException {
            ws.send(RawWebSocket.PING, bytes("hi"));
            Frame pong = ws.read();
            assertThat(pong.opcode()).isEqualTo(RawWebSocket.PONG);
            assertThat(pong.payload()).isEqualTo(bytes("hi"));
        }

        @Test
        void anIdleAppenderThatAnswersPingsStaysConnected() throws IOException {
            try (RawWebSocket ws = RawWebSocket.append(server.address(), "/idle")) {
                proveItReads(ws);
                int pings = 0;
                while (pings < 30) { // 30 pings = 1.5 s = 5 appender timeouts of silence but for pongs
                    Frame f = ws.read();
                    assertThat(f.opcode()).isEqualTo(RawWebSocket.PING);
                    ws.send(RawWebSocket.PONG, f.payload());
                    pings++;
                }
                ws.send(RawWebSocket.TEXT, bytes("still here"));
                ws.sendClose(1000);
                assertThat(ws.readToClose(new ByteArrayOutputStream()).closeCode()).isEqualTo(1000);
            }
            assertThat(server.content("/idle")).isEqualTo("still here");
        }

        @Test
        void anAppenderThatNeverReadsIsNeverPingedAndLeftToTcp() throws IOException {
            try (RawWebSocket ws = RawWebSocket.append(server.address(), "/go-style")) {
                ws.send(RawWebSocket.TEXT, bytes("early line\n"));
                // Like the original Go client it never reads; unread pings would make its close a reset
                // that loses data. Five appender timeouts pass without a single frame from the server.
                ws.socket.setSoTimeout(1500);
                assertThatThrownBy(ws::read).isInstanceOf(java.net.SocketTimeoutException.class);
                ws.send(RawWebSocket.TEXT, bytes("late line\n"));
            } // and it ends by dropping TCP
            awaitLeaseFree("/go-style");
            assertThat(server.content("/go-style")).isEqualTo("early line\nlate line\n");
        }

        @Test
        void anAppenderThatStopsAnsweringIsDroppedAndItsLeaseFreed() throws IOException {
            try (RawWebSocket ws = RawWebSocket.append(server.address(), "/dead")) {
                ws.send(RawWebSocket.TEXT, bytes("last words"));
                proveItReads(ws);
                Frame ping = ws.read();
                assertThat(ping.opcode()).isEqualTo(RawWebSocket.PING);
                ws.send(RawWebSocket.PONG, ping.payload()); // it answered once, then goes silent
                assertThat(ws.closedByServer()).isTrue();
            }
            awaitLeaseFree("/dead");
            assertThat(server.content("/dead")).isEqualTo("last words");
        }

        /**
         * A quiet {@code ?follow} response carries keep-alives as leading zeros of the next chunk-size
         * line (every 2 ping intervals = 100 ms here), at most 11 in a row, so that the next chunk, and
         * the last one, still have at most 16 hex digits.
         */
        @Test
        void aQuietPlainHttpFollowSendsKeepAlivesAsLeadingZerosOfTheNextChunkSize() throws IOException {
            try (RawWebSocket appender = RawWebSocket.append(server.address(), "/quiet.log");
                    java.net.Socket curl = new java.net.Socket()) {
                appender.send(RawWebSocket.TEXT, bytes("line 1\n"));
                var in = followRaw(curl, "/quiet.log");
                assertThat(text(in, 12)).isEqualTo("7\r\nline 1\n\r\n");
                // Silence: keep-alive zeros arrive, and nothing else.
                assertThat(text(in, 3)).isEqualTo("000");
                appender.send(RawWebSocket.TEXT, bytes("line 2\n"));
                assertThat(sizeLine(in)).matches("0{0,8}7"); // 3 zeros read already: at most 11 in all
                assertThat(text(in, 9)).isEqualTo("line 2\n\r\n");
                // A longer silence: up to 11 zeros (what comes after them is the next test's).
                assertThat(text(in, 10)).isEqualTo("0".repeat(10));
                // The end: the last chunk's size is zeros only, 12 digits at most.
                endsCleanly(appender, in, "0{1,2}", "000000000000000e");
            }
        }

        /**
         * A silence longer than 11 zeros goes on as a chunk extension ({@code 1;k…}) that commits the
         * size line to one byte: the next byte goes out alone, the rest as the next chunk. Then the
         * zeros start again.
         */
        @Test
        void aLongerSilenceGoesOnInAChunkExtensionAndTheNextByteGoesAlone() throws IOException {
            try (RawWebSocket appender = RawWebSocket.append(server.address(), "/long-quiet.log");
                    java.net.Socket curl = new java.net.Socket()) {
                appender.send(RawWebSocket.TEXT, bytes("a\n"));
                var in = followRaw(curl, "/long-quiet.log");
                assertThat(text(in, 7)).isEqualTo("2\r\na\n\r\n");
                assertThat(text(in, 14)).isEqualTo("0".repeat(11) + "1;k");
                assertThat(text(in, 2)).isEqualTo("kk");
                appender.send(RawWebSocket.TEXT, bytes("line 3\n"));
                assertThat(sizeLine(in)).matches("k*"); // the extension goes on until the byte comes
                assertThat(text(in, 3)).isEqualTo("l\r\n");
                assertThat(text(in, 11)).isEqualTo("6\r\nine 3\n\r\n");
                // Again, ended by a one-byte append: the owed chunk, and nothing after it.
                assertThat(text(in, 14)).isEqualTo("0".repeat(11) + "1;k");
                appender.send(RawWebSocket.TEXT, bytes("z"));
                assertThat(sizeLine(in)).matches("k*");
                assertThat(text(in, 3)).isEqualTo("z\r\n");
                // A short silence, then the end: zeros and a clean last chunk.
                assertThat(text(in, 2)).isEqualTo("00");
                endsCleanly(appender, in, "0{0,10}", "000000000000000a"); // 2 read already: at most 12 digits
            }
            assertThat(server.content("/long-quiet.log")).isEqualTo("a\nline 3\nz");
        }

        /**
         * A stream that ends while the size line owes a byte cannot end the chunked body: the response is
         * aborted, after every byte of the stream.
         */
        @Test
        void aStreamEndingWhileAByteIsOwedAbortsTheResponse() throws IOException {
            try (RawWebSocket appender = RawWebSocket.append(server.address(), "/owed.log");
                    java.net.Socket curl = new java.net.Socket()) {
                appender.send(RawWebSocket.TEXT, bytes("all of it"));
                var in = followRaw(curl, "/owed.log");
                assertThat(text(in, 14)).isEqualTo("9\r\nall of it\r\n");
                assertThat(text(in, 14)).isEqualTo("0".repeat(11) + "1;k");
                appender.sendClose(1000);
                assertThat(new String(in.readAllBytes(), UTF_8)).matches("k*"); // then the connection closes
            }
        }

        /**
         * Ends the append session; the response must end with a last chunk whose size line, after what
         * was read, matches {@code zeros}, and the trailer {@code Stream-Next-Offset: offset}.
         */
        private void endsCleanly(RawWebSocket appender, java.io.InputStream in, String zeros, String offset)
                throws IOException {
            appender.sendClose(1000);
            assertThat(sizeLine(in)).matches(zeros);
            assertThat(text(in, 40)).isEqualTo("Stream-Next-Offset: " + offset + "\r\n\r\n");
            assertThat(in.read()).isEqualTo(-1);
        }

        private java.io.InputStream followRaw(java.net.Socket curl, String path) throws IOException {
            curl.connect(server.address());
            curl.setSoTimeout(20_000);
            curl.getOutputStream().write(("GET " + path + "?follow HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(UTF_8));
            var in = curl.getInputStream();
            assertThat(RawHttp.readHead(in).status).isEqualTo(200);
            return in;
        }

        private String text(java.io.InputStream in, int n) throws IOException {
            return new String(in.readNBytes(n), UTF_8);
        }

        /** Reads a chunk-size line after the zeros already consumed, without its CRLF. */
        private String sizeLine(java.io.InputStream in) throws IOException {
            StringBuilder line = new StringBuilder();
            for (int c = in.read(); c != '\r'; c = in.read()) {
                assertThat(c).isNotEqualTo(-1);
                line.append((char) c);
            }
            assertThat(in.read()).isEqualTo('\n');
            return line.toString();
        }
    }

    @Nested
    class Following {
        @Test
        void aFollowerGetsWhatWasWrittenThenEveryNewByteThenClose1000() throws IOException {
            try (RawWebSocket appender = RawWebSocket.append(server.address(), "/live")) {
                appender.send(RawWebSocket.TEXT, bytes("abc"));
                try (RawWebSocket follower = RawWebSocket.follow(server.address(), "/live", "X-Verb: FOLLOW")) {
                    assertThat(follower.status()).isEqualTo(101);
                    assertThat(follower.readData(3)).isEqualTo(bytes("abc"));
                    appender.send(RawWebSocket.TEXT, bytes("foo"));
                    assertThat(follower.readData(3)).isEqualTo(bytes("foo"));
                    appender.send(RawWebSocket.TEXT, bytes("bar"));
                    appender.sendClose(1000);
                    follower.assertDataThenClose("bar", 1000);
                }
            }
        }

        @Test
        void aFollowerCanStartAtAnOffsetAndIsToldWhere() throws IOException {
            try (RawWebSocket appender = RawWebSocket.append(server.address(), "/offsets")) {
                appender.send(RawWebSocket.TEXT, bytes("0123456789"));
                appender.send(RawWebSocket.PING, new byte[0]);
                assertThat(appender.read().opcode()).isEqualTo(RawWebSocket.PONG);
                // The PONG says the frame was read, not that its bytes are committed (a session hands them
                // over without waiting): an offset counts committed bytes only.
                Await.until("the ten bytes are committed", () -> "000000000000000a".equals(
                        RawHttp.request(server.address(), "HEAD", "/offsets").header("Stream-Next-Offset")));
                try (RawWebSocket follower = RawWebSocket.follow(server.address(),
                        "/offsets?offset=0000000000000006")) {
                    assertThat(follower.status()).isEqualTo(101);
                    assertThat(follower.response.header("Stream-Offset")).isEqualTo("0000000000000006");
                    assertThat(follower.response.header("Stream-Writer-Active")).isEqualTo("true");
                    assertThat(follower.readData(4)).isEqualTo(bytes("6789"));
                    appender.send(RawWebSocket.TEXT, bytes("ab"));
                    assertThat(follower.readData(2)).isEqualTo(bytes("ab"));
                }
                try (RawWebSocket late = RawWebSocket.follow(server.address(), "/offsets?offset=now")) {
                    assertThat(late.response.header("Stream-Offset")).isEqualTo("000000000000000c");
                    appender.send(RawWebSocket.TEXT, bytes("new"));
                    assertThat(late.readData(3)).isEqualTo(bytes("new"));
                }
                RawHttp head = RawHttp.request(server.address(), "HEAD", "/offsets");
                assertThat(head.header("Stream-Writer-Active")).isEqualTo("true");
                assertThat(head.header("Stream-Next-Offset")).isEqualTo("000000000000000f");
                try (RawWebSocket past = RawWebSocket.follow(server.address(), "/offsets?offset=00000000000000ff")) {
                    assertThat(past.status()).isEqualTo(400);
                }
            }
        }

        @Test
        void aPlainHttpFollowStreamsChunksUntilTheAppenderEnds() throws IOException {
            try (RawWebSocket appender = RawWebSocket.append(server.address(), "/tail.log")) {
                appender.send(RawWebSocket.TEXT, bytes("line 1\n"));
                try (java.net.Socket curl = new java.net.Socket()) {
                    curl.connect(server.address());
                    curl.setSoTimeout(20_000);
                    curl.getOutputStream().write("GET /tail.log?follow HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(UTF_8));
                    var in = curl.getInputStream();
                    RawHttp head = RawHttp.readHead(in);
                    assertThat(head.status).isEqualTo(200);
                    assertThat(head.header("Transfer-Encoding")).isEqualTo("chunked");
                    assertThat(head.header("X-Accel-Buffering")).isEqualTo("no");
                    assertThat(head.header("Cache-Control")).isEqualTo("no-cache, no-transform");
                    assertThat(head.header("Stream-Offset")).isEqualTo("0000000000000000");
                    assertThat(head.header("Stream-Writer-Active")).isEqualTo("true");
                    var trailers = new java.util.TreeMap<String, String>();
                    assertThat(RawHttp.readChunk(in, trailers)).isEqualTo(bytes("line 1\n"));
                    appender.send(RawWebSocket.TEXT, bytes("line 2\n"));
                    assertThat(RawHttp.readChunk(in, trailers)).isEqualTo(bytes("line 2\n"));
                    appender.sendClose(1000);
                    assertThat(RawHttp.readChunk(in, trailers)).isNull();
                    assertThat(trailers).containsEntry("stream-next-offset", "000000000000000e");
                    assertThat(in.read()).isEqualTo(-1); // the connection closes after a live response
                }
            }
        }

        @Test
        void aPlainGetDuringAnAppendGetsTheBytesSoFar() throws IOException {
            try (RawWebSocket appender = RawWebSocket.append(server.address(), "/snap")) {
                appender.send(RawWebSocket.TEXT, bytes("so far"));
                appender.send(RawWebSocket.PING, new byte[0]);
                assertThat(appender.read().opcode()).isEqualTo(RawWebSocket.PONG);
                RawHttp r = RawHttp.request(server.address(), "GET", "/snap");
                assertThat(r.status).isEqualTo(200);
                assertThat(r.bodyText()).isEqualTo("so far");
                assertThat(r.header("Cache-Control")).isEqualTo("no-cache");
            }
        }

        @Test
        void textMessagesStaySmallAndBinaryIsOnRequest() throws IOException {
            byte[] big = new byte[100_000];
            new Random(1).nextBytes(big);
            try (RawWebSocket appender = RawWebSocket.append(server.address(), "/frames")) {
                appender.send(RawWebSocket.BINARY, big);
                try (RawWebSocket text = RawWebSocket.follow(server.address(), "/frames");
                        RawWebSocket binary = RawWebSocket.follow(server.address(), "/frames?frames=binary");
                        RawWebSocket binaryByHeader = RawWebSocket.follow(server.address(), "/frames",
                                "X-Frames: binary")) {
                    appender.sendClose(1000);
                    assertMessages(text, big, RawWebSocket.TEXT, 4096);
                    assertMessages(binary, big, RawWebSocket.BINARY, 65536);
                    assertMessages(binaryByHeader, big, RawWebSocket.BINARY, 65536);
                }
            }
        }

        private void assertMessages(RawWebSocket ws, byte[] expected, int opcode, int maxSize)
                throws IOException {
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            for (;;) {
                Frame f = ws.read();
                if (f.opcode() == RawWebSocket.CLOSE) {
                    assertThat(f.closeCode()).isEqualTo(1000);
                    break;
                }
                if (f.opcode() == RawWebSocket.PING) {
                    continue;
                }
                assertThat(f.opcode()).isEqualTo(opcode);
                assertThat(f.fin()).isTrue();
                assertThat(f.payload().length).isBetween(1, maxSize);
                got.write(f.payload(), 0, f.payload().length);
            }
            assertThat(got.toByteArray()).isEqualTo(expected);
        }

        @Test
        void aPlainHttpDownloadThatNeverReadsDoesNotSlowTheAppender() throws Exception {
            byte[] chunk = new byte[64 * 1024];
            new Random(3).nextBytes(chunk);
            try (RawWebSocket appender = RawWebSocket.append(server.address(), "/slow-get")) {
                for (int i = 0; i < 64; i++) {
                    appender.send(RawWebSocket.BINARY, chunk);
                }
                try (java.net.Socket download = new java.net.Socket()) {
                    download.setReceiveBufferSize(4096);
                    download.connect(server.address());
                    download.getOutputStream().write(
                            "GET /slow-get HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(UTF_8));
                    download.getInputStream().read(); // the response has started; now it stalls
                    for (int i = 0; i < 128; i++) {
                        appender.send(RawWebSocket.BINARY, chunk);
                    }
                    appender.sendClose(1000);
                    assertThat(appender.readToClose(new ByteArrayOutputStream()).closeCode()).isEqualTo(1000);
                }
            }
            assertThat(server.length("/slow-get")).isEqualTo(192L * chunk.length);
        }

        @Test
        void aFollowerThatNeverReadsSlowsNobodyAndHoldsBoundedMemory() throws Exception {
            int chunk = 64 * 1024;
            int chunks = 512; // 32 MiB
            MessageDigest expected = MessageDigest.getInstance("SHA-256");
            try (RawWebSocket appender = RawWebSocket.append(server.address(), "/stall");
                    RawWebSocket stalled = RawWebSocket.connect(server.address(), "/stall", 4096);
                    RawWebSocket normal = RawWebSocket.follow(server.address(), "/stall", "X-Frames: binary")) {
                assertThat(stalled.status()).isEqualTo(101);
                assertThat(normal.status()).isEqualTo(101);
                MessageDigest got = MessageDigest.getInstance("SHA-256");
                long[] received = new long[1];
                Throwable[] failure = new Throwable[1];
                Thread reader = new Thread(() -> {
                    try {
                        ByteArrayOutputStream sink = new ByteArrayOutputStream() {
                            @Override
                            public void write(byte[] b, int off, int len) {
                                got.update(b, off, len);
                                received[0] += len;
                            }
                        };
                        assertThat(normal.readToClose(sink).closeCode()).isEqualTo(1000);
                    } catch (Throwable t) {
                        failure[0] = t;
                    }
                });
                reader.start();
                Random random = new Random(7);
                byte[] data = new byte[chunk];
                long maxPending = 0;
                for (int i = 0; i < chunks; i++) {
                    random.nextBytes(data);
                    expected.update(data);
                    appender.send(RawWebSocket.BINARY, data);
                    maxPending = Math.max(maxPending, server.get().pendingOutboundBytes());
                }
                appender.sendClose(1000);
                assertThat(appender.readToClose(new ByteArrayOutputStream()).closeCode())
                        .as("the appender finished while a follower never read").isEqualTo(1000);
                reader.join(Duration.ofSeconds(60).toMillis());
                assertThat(failure[0]).isNull();
                assertThat(received[0]).isEqualTo((long) chunk * chunks);
                assertThat(got.digest()).isEqualTo(expected.digest());
                assertThat(server.length("/stall")).isEqualTo((long) chunk * chunks);
                // Everything the stalled follower has not taken stays in the file, not in server memory:
                // at most the write-buffer high-water mark plus one read block is queued for it.
                long pending = server.get().pendingOutboundBytes();
                assertThat(pending).isLessThanOrEqualTo(64 * 1024 + FollowHandler.READ_BLOCK);
                assertThat(maxPending).isLessThanOrEqualTo(2 * (64 * 1024 + 65536));
            }
        }
    }
}
