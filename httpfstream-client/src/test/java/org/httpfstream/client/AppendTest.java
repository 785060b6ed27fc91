package org.httpfstream.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** APPEND against a scripted peer: framing of writes, pings while idle, and the closing handshake. */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class AppendTest {

    private final HttpFStreamClient client = HttpFStreamClient.builder().readTimeout(Duration.ofSeconds(10)).build();

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Peer side of a clean end: expects our Close 1000, answers it, waits for the client to hang up. */
    /** A peer that accepts one append, puts its one message's text into {@code received}, then closes normally. */
    private static ScriptedPeer receivingOneMessage(BlockingQueue<String> received) throws IOException {
        return ScriptedPeer.start(c -> {
            c.upgradeAppend();
            received.add(c.readFrame().text());
            closeNormally(c);
        });
    }

    private static void closeNormally(ScriptedPeer.Connection c) throws IOException {
        ScriptedPeer.Frame close = c.readFrame();
        assertThat(close.opcode()).isEqualTo(8);
        assertThat(close.closeCode()).isEqualTo(1000);
        c.sendClose(1000, "");
        c.expectEof();
    }

    @Test
    void allByteValuesAreSentAsOneMaskedTextMessage() throws Exception {
        BlockingQueue<ScriptedPeer.Frame> frames = new LinkedBlockingQueue<>();
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgradeAppend();
            frames.add(c.readFrame());
            frames.add(c.readFrame());
            closeNormally(c);
        })) {
            try (OutputStream out = client.openAppend(peer.uri("/bytes"))) {
                out.write(FollowTest.allByteValues());
                out.write('z');
            }
            peer.awaitScripts();
            ScriptedPeer.Frame first = frames.poll();
            assertThat(first.fin()).isTrue();
            assertThat(first.rsv()).isZero();
            assertThat(first.opcode()).isEqualTo(1);
            assertThat(first.masked()).isTrue();
            assertThat(first.payload()).isEqualTo(FollowTest.allByteValues());
            ScriptedPeer.Frame second = frames.poll();
            assertThat(second.payload()).containsExactly('z');
            assertThat(second.maskKey()).as("a fresh masking key per frame").isNotEqualTo(first.maskKey());
        }
    }

    @Test
    void eachWriteIsSentImmediately() throws Exception {
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgradeAppend();
            for (int i = 0; i < 3; i++) {
                received.add(c.readFrame().text());
            }
            closeNormally(c);
        })) {
            try (OutputStream out = client.openAppend(peer.uri("/live"))) {
                for (String s : List.of("abc", "foo", "bar")) {
                    out.write(ascii(s));
                    // No flush: the peer must get the message while the stream is still open.
                    assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo(s);
                }
            }
            peer.awaitScripts();
        }
    }

    @Test
    void largeWritesAreSplitInto8KiBMessages() throws Exception {
        byte[] data = FollowTest.randomBytes(3 * 8192 + 3392, 11);
        BlockingQueue<List<ScriptedPeer.Frame>> frames = new ArrayBlockingQueue<>(1);
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgradeAppend();
            frames.add(c.readDataFrames(data.length));
            closeNormally(c);
        })) {
            try (OutputStream out = client.openAppend(peer.uri("/large"))) {
                out.write(data);
            }
            peer.awaitScripts();
            List<ScriptedPeer.Frame> got = frames.poll();
            assertThat(got).extracting(f -> f.payload().length).containsExactly(8192, 8192, 8192, 3392);
            assertThat(got).allSatisfy(f -> {
                assertThat(f.fin()).isTrue();
                assertThat(f.opcode()).isEqualTo(1);
            });
            ByteArrayOutputStream joined = new ByteArrayOutputStream();
            got.forEach(f -> joined.writeBytes(f.payload()));
            assertThat(joined.toByteArray()).isEqualTo(data);
        }
    }

    @Test
    void idleAppenderAnswersPings() throws Exception {
        byte[] ping = FollowTest.randomBytes(125, 5);
        BlockingQueue<ScriptedPeer.Frame> pongs = new LinkedBlockingQueue<>();
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgradeAppend();
            c.sendFrame(true, 9, ping);
            pongs.add(c.readFrame());
            c.sendFrame(true, 9, new byte[0]);
            pongs.add(c.readFrame());
            c.sendFrame(true, 0xA, ascii("unsolicited pong"));
            closeNormally(c);
        })) {
            try (OutputStream out = client.openAppend(peer.uri("/idle"))) {
                ScriptedPeer.Frame first = pongs.poll(10, TimeUnit.SECONDS);
                assertThat(first.opcode()).isEqualTo(0xA);
                assertThat(first.payload()).isEqualTo(ping);
                ScriptedPeer.Frame second = pongs.poll(10, TimeUnit.SECONDS);
                assertThat(second.opcode()).isEqualTo(0xA);
                assertThat(second.payload()).isEmpty();
                assertThat(out).isNotNull();
            }
            peer.awaitScripts();
        }
    }

    @Test
    void closeWaitsForTheServersCloseFrame() throws Exception {
        CountDownLatch gotClose = new CountDownLatch(1);
        CountDownLatch mayAnswer = new CountDownLatch(1);
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgradeAppend();
            assertThat(c.readFrame().text()).isEqualTo("last words");
            assertThat(c.readFrame().closeCode()).isEqualTo(1000);
            gotClose.countDown();
            assertThat(mayAnswer.await(10, TimeUnit.SECONDS)).isTrue();
            c.sendClose(1000, "");
            c.expectEof();
        })) {
            OutputStream out = client.openAppend(peer.uri("/wait"));
            out.write(ascii("last words"));
            CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> {
                try {
                    out.close();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            assertThat(gotClose.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(closing).as("close() waits for the server's Close").isNotDone();
            mayAnswer.countDown();
            closing.get(10, TimeUnit.SECONDS);
            peer.awaitScripts();
        }
    }

    @Test
    void connectionDroppedAfterOurCloseIsANormalEnd() throws Exception {
        // The original Go server reads our Close frame and drops the connection without answering.
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgradeAppend();
            assertThat(c.readFrame().text()).isEqualTo("data");
            assertThat(c.readFrame().closeCode()).isEqualTo(1000);
        })) {
            OutputStream out = client.openAppend(peer.uri("/go"));
            out.write(ascii("data"));
            out.close();
            peer.awaitScripts();
        }
    }

    @Test
    void serverAnsweringCloseWithAnErrorCodeFailsClose() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgradeAppend();
            c.readFrame();
            assertThat(c.readFrame().closeCode()).isEqualTo(1000);
            c.sendClose(1011, "disk full");
            c.expectEof();
        })) {
            URI uri = peer.uri("/full");
            OutputStream out = client.openAppend(uri);
            out.write(ascii("data"));
            assertThatThrownBy(out::close)
                    .isInstanceOf(IOException.class)
                    .hasMessageStartingWith("APPEND " + uri + ": append did not end cleanly, server closed the "
                            + "connection with code 1011 (internal server error): disk full");
            out.close(); // idempotent: the failure was reported once
            peer.awaitScripts();
        }
    }

    @Test
    void serverClosingWithMessageTooBigFailsLaterWritesAndClose() throws Exception {
        CountDownLatch replied = new CountDownLatch(1);
        BlockingQueue<ScriptedPeer.Frame> replies = new ArrayBlockingQueue<>(1);
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgradeAppend();
            c.readFrame();
            c.sendClose(1009, "message too big");
            replies.add(c.readFrame());
            replied.countDown();
            c.expectEof();
        })) {
            URI uri = peer.uri("/big");
            OutputStream out = client.openAppend(uri);
            out.write(ascii("too much"));
            assertThat(replied.await(10, TimeUnit.SECONDS)).isTrue();
            assertThatThrownBy(() -> out.write(ascii("more")))
                    .isInstanceOf(IOException.class)
                    .hasMessage("APPEND " + uri + ": cannot write, server closed the connection with code 1009 "
                            + "(message too big): message too big");
            assertThatThrownBy(out::close).isInstanceOf(IOException.class).hasMessageContaining("1009");
            peer.awaitScripts();
            assertThat(replies.poll().closeCode()).as("the client answers the server's Close").isEqualTo(1009);
        }
    }

    @Test
    void serverClosingNormallyBeforeUsStillEndsCleanly() throws Exception {
        CountDownLatch replied = new CountDownLatch(1);
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgradeAppend();
            assertThat(c.readFrame().text()).isEqualTo("x");
            c.sendClose(1000, "");
            assertThat(c.readFrame().closeCode()).isEqualTo(1000);
            replied.countDown();
            c.expectEof();
        })) {
            URI uri = peer.uri("/early");
            OutputStream out = client.openAppend(uri);
            out.write('x');
            assertThat(replied.await(10, TimeUnit.SECONDS)).isTrue();
            assertThatThrownBy(() -> out.write('y')).isInstanceOf(IOException.class).hasMessageContaining("cannot write");
            out.close();
            peer.awaitScripts();
        }
    }

    @Test
    void droppedConnectionFailsWritesAndClose() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgradeAppend();
            c.readFrame();
        })) {
            URI uri = peer.uri("/drop");
            OutputStream out = client.openAppend(uri);
            out.write(ascii("first"));
            peer.awaitScripts(); // the peer has hung up
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            IOException failure = null;
            while (failure == null && System.nanoTime() < deadline) {
                try {
                    out.write(ascii("more"));
                } catch (IOException e) {
                    failure = e;
                }
            }
            assertThat(failure).isNotNull().hasMessageStartingWith("APPEND " + uri + ": ");
            assertThatThrownBy(out::close).isInstanceOf(IOException.class).hasMessageContaining("APPEND " + uri);
        }
    }

    @Test
    void closeFailsWhenTheServerNeverConfirms() throws Exception {
        HttpFStreamClient impatient = HttpFStreamClient.builder().readTimeout(Duration.ofMillis(300)).build();
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgradeAppend();
            assertThat(c.readFrame().closeCode()).isEqualTo(1000);
            c.expectEof(); // never answers; the client gives up and hangs up
        })) {
            URI uri = peer.uri("/mute");
            OutputStream out = impatient.openAppend(uri);
            assertThatThrownBy(out::close)
                    .isInstanceOf(IOException.class)
                    .hasMessage("APPEND " + uri + ": the server did not confirm the end of the append within 300 ms;"
                            + " the last bytes may not have been stored");
            peer.awaitScripts();
        }
    }

    @Test
    void writeAfterCloseFailsAndCloseIsIdempotent() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgradeAppend();
            closeNormally(c);
        })) {
            OutputStream out = client.openAppend(peer.uri("/closed"));
            out.close();
            out.close();
            assertThatThrownBy(() -> out.write(1)).isInstanceOf(IOException.class).hasMessage("stream closed");
            assertThatThrownBy(() -> out.write(new byte[3], 0, 3)).isInstanceOf(IOException.class).hasMessage("stream closed");
            assertThatThrownBy(() -> out.write(new byte[3], 2, 2)).isInstanceOf(IndexOutOfBoundsException.class);
            peer.awaitScripts();
        }
    }

    /** Like Ctrl-C: a shutdown hook closes the append while the producer thread waits for input. */
    @Test
    void closeFromAnotherThreadWhileTheProducerWaitsForInput() throws Exception {
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        try (ScriptedPeer peer = receivingOneMessage(received)) {
            OutputStream out = client.openAppend(peer.uri("/ctrl-c"));
            BlockingQueue<String> input = new LinkedBlockingQueue<>();
            CompletableFuture<Throwable> producer = CompletableFuture.supplyAsync(() -> {
                try {
                    while (true) {
                        out.write(ascii(input.take()));
                    }
                } catch (IOException | InterruptedException e) {
                    return e;
                }
            });
            input.add("typed");
            assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("typed");
            out.close(); // while the producer is blocked in input.take()
            input.add("too late");
            assertThat(producer.get(10, TimeUnit.SECONDS)).isInstanceOf(IOException.class).hasMessage("stream closed");
            peer.awaitScripts();
        }
    }

    /** The original's slow fixed-size reader: each read's bytes become one message, sent at once. */
    @Test
    void appendSendsEachReadAtOnceAndCountsBytes() throws Exception {
        BlockingQueue<List<String>> messages = new ArrayBlockingQueue<>(1);
        try (ScriptedPeer peer = ScriptedPeer.start(c -> {
            c.upgradeAppend();
            List<String> got = new ArrayList<>();
            List<ScriptedPeer.Frame> control = new ArrayList<>();
            while (true) {
                ScriptedPeer.Frame f = c.readFrame();
                if (f.opcode() == 8) {
                    control.add(f);
                    break;
                }
                got.add(f.text());
            }
            messages.add(got);
            c.sendClose(1000, "");
            c.expectEof();
        })) {
            InputStream twoAtATime = new InputStream() {
                private final InputStream data = new ByteArrayInputStream(ascii("quxx!"));

                @Override
                public int read() throws IOException {
                    return data.read();
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    return data.read(b, off, Math.min(len, 2));
                }
            };
            assertThat(client.append(peer.uri("/slow"), twoAtATime)).isEqualTo(5);
            peer.awaitScripts();
            assertThat(messages.poll()).containsExactly("qu", "xx", "!");
        }
    }

    @Test
    void appendClosesCleanlyWhenTheInputFails() throws Exception {
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        try (ScriptedPeer peer = receivingOneMessage(received)) {
            InputStream failing = new InputStream() {
                private boolean first = true;

                @Override
                public int read() {
                    throw new UnsupportedOperationException();
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (first) {
                        first = false;
                        b[off] = 'k';
                        return 1;
                    }
                    throw new IOException("input broke");
                }
            };
            assertThatThrownBy(() -> client.append(peer.uri("/in"), failing))
                    .isInstanceOf(IOException.class).hasMessage("input broke");
            peer.awaitScripts();
            assertThat(received.poll()).isEqualTo("k");
        }
    }
}
