package org.httpfstream.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Durable Streams readers' wire handling: responses fed one byte at a time through an {@link
 * EmbeddedChannel}, and a dropped SSE response against a scripted server on a plain socket.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DsClientTest {
    private static final int SIZE = 100;
    private static final String HOST = "127.0.0.1:9";

    @RegisterExtension
    final ScriptedServer scripted = new ScriptedServer();

    private final Histogram latency = new Histogram();
    private final Cohort cohort = new Cohort("reader", 1);

    /** Record {@code seq} as the paced appender sends it, stamped now. */
    private static String record(long seq) {
        byte[] b = new byte[SIZE];
        DsScenarios.readerRecord(b, seq);
        DsScenarios.hex(b, 8, System.nanoTime(), 16);
        return new String(b, StandardCharsets.US_ASCII);
    }

    private static String chunked(String body) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < body.length(); i += 37) { // chunks that cut records and lines anywhere
            String part = body.substring(i, Math.min(body.length(), i + 37));
            sb.append(Integer.toHexString(part.length())).append("\r\n").append(part).append("\r\n");
        }
        return sb.toString();
    }

    private static void feedBytewise(EmbeddedChannel ch, String s) {
        for (byte b : s.getBytes(StandardCharsets.US_ASCII)) {
            if (!ch.isOpen()) {
                return; // the reader is done; what is left is framing
            }
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
    }

    private static String nextRequest(EmbeddedChannel ch) {
        ByteBuf b = ch.readOutbound();
        assertThat(b).as("a request was sent").isNotNull();
        try {
            return b.toString(StandardCharsets.US_ASCII);
        } finally {
            b.release();
        }
    }

    @Nested
    class ALongPollReader {
        @Test
        void repollsAfter204AndReadsChunkedAndSizedBodiesFollowingOffsetAndCursor() throws Exception {
            DsReader.LongPoll reader = new DsReader.LongPoll(cohort, scripted.client(), 0, "/s/0.txt", HOST, "-1",
                    SIZE, 3, latency);
            EmbeddedChannel ch = new EmbeddedChannel(new DsConnection(reader));
            assertThat(nextRequest(ch)).startsWith("GET /s/0.txt?offset=-1&live=long-poll HTTP/1.1\r\n")
                    .contains("\r\nHost: " + HOST + "\r\n").endsWith("\r\n\r\n");

            feedBytewise(ch, "HTTP/1.1 204 No Content\r\nStream-Next-Offset: 0_0\r\nstream-cursor: 5\r\n\r\n");
            assertThat(nextRequest(ch)).startsWith("GET /s/0.txt?offset=0_0&live=long-poll&cursor=5 HTTP/1.1\r\n");

            String two = record(0) + record(1);
            feedBytewise(ch, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nSTREAM-NEXT-OFFSET: 0_200\r\n"
                    + "Stream-Cursor: 6\r\n\r\n" + chunked(two) + "0\r\n\r\n");
            assertThat(reader.received()).isEqualTo(2);
            assertThat(nextRequest(ch)).startsWith("GET /s/0.txt?offset=0_200&live=long-poll&cursor=6 ");

            feedBytewise(ch, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nStream-Next-Offset: 0_300\r\n\r\n"
                    + record(2));
            assertThat(reader.error()).isNull();
            assertThat(reader.received()).isEqualTo(3);
            assertThat(reader.isFinished()).isTrue();
            assertThat(ch.isOpen()).as("closed once every record came").isFalse();
            assertThat((Object) ch.readOutbound()).isNull();
            assertThat(latency.count()).isEqualTo(3);
            assertThat(cohort.errors()).isEmpty();
        }

        @Test
        void reportsARecordOutOfOrder() {
            DsReader.LongPoll reader = new DsReader.LongPoll(cohort, scripted.client(), 0, "/s/0.txt", HOST, "-1",
                    SIZE, 3, latency);
            EmbeddedChannel ch = new EmbeddedChannel(new DsConnection(reader));
            nextRequest(ch);
            feedBytewise(ch, "HTTP/1.1 200 OK\r\nContent-Length: 200\r\nStream-Next-Offset: 200\r\n\r\n"
                    + record(0) + record(2));
            assertThat(reader.error()).isEqualTo("got sequence 2, expected 1");
            assertThat(cohort.errors()).containsExactly("long-poll reader 0: got sequence 2, expected 1");
            assertThat(ch.isOpen()).isFalse();
        }
    }

    @Nested
    class AnSseReader {
        @Test
        void joinsDataLinesOfEventsSplitAnywhereAndCommitsControlOffsets() {
            DsReader.Sse reader = new DsReader.Sse(cohort, scripted.client(), 0, "/s/0.txt", HOST, "0", SIZE, 3,
                    latency);
            EmbeddedChannel ch = new EmbeddedChannel(new DsConnection(reader));
            assertThat(nextRequest(ch)).startsWith("GET /s/0.txt?offset=0&live=sse HTTP/1.1\r\n")
                    .contains("\r\nAccept: text/event-stream\r\n");
            String r1 = record(1);
            String events = ": a comment\n"
                    + "event: data\r\ndata:" + record(0) + "\r\n\r\n"
                    + "event: control\rdata: {\"streamNextOffset\":\"100\",\"streamCursor\":\"9\"}\r\r"
                    + "event:data\ndata:" + r1.substring(0, 40) + "\ndata: " + r1.substring(40) + "\nid: x\n\n"
                    + "event: control\ndata:{\"streamNextOffset\":\"200\",\"upToDate\":true}\n\n"
                    + "event: data\ndata:" + record(2) + "\n\n";
            feedBytewise(ch, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
                    + "Connection: close\r\n\r\n" + chunked(events));
            assertThat(reader.error()).isNull();
            assertThat(reader.received()).isEqualTo(3);
            assertThat(reader.offset).hasToString("200");
            assertThat(reader.cursor).hasToString("9");
            assertThat(reader.isFinished()).isTrue();
            assertThat(latency.count()).isEqualTo(3);
        }

        @Test
        void resumesADroppedResponseFromTheLastControlOffsetWithoutRepeats() throws Exception {
            String r0 = record(0);
            String r1 = record(1);
            String r2 = record(2);
            CompletableFuture<String> secondRequest = new CompletableFuture<>();
            Thread server = new Thread(() -> {
                try {
                    try (Socket s = scripted.accept()) {
                        readHead(s.getInputStream());
                        OutputStream out = s.getOutputStream();
                        out.write(ascii("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                + "Transfer-Encoding: chunked\r\n\r\n" + chunked("event: data\ndata:" + r0
                                + "\n\nevent: control\ndata:{\"streamNextOffset\":\"100\",\"streamCursor\":\"3\"}\n\n"
                                + "event: data\ndata:" + r1 + "\n\nevent: data\ndata:" + r2.substring(0, 50))));
                        out.flush();
                    } // dropped inside an event, after data beyond the committed offset
                    try (Socket s = scripted.accept()) {
                        secondRequest.complete(readHead(s.getInputStream()));
                        OutputStream out = s.getOutputStream();
                        out.write(ascii("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                + "Transfer-Encoding: chunked\r\n\r\n" + chunked("event: data\ndata:" + r1
                                + "\n\nevent: data\ndata:" + r2 + "\n\n")));
                        out.flush();
                        s.getInputStream().read(); // until the reader closes
                    }
                } catch (IOException e) {
                    secondRequest.completeExceptionally(e);
                }
            });
            server.start();
            DsReader.Sse reader = new DsReader.Sse(cohort, scripted.client(), 0, "/s/0.txt", HOST, "0", SIZE, 3,
                    latency);
            reader.connect();
            assertThat(cohort.awaitFinished(ScriptedServer.deadline())).isTrue();
            assertThat(secondRequest.get(5, TimeUnit.SECONDS)).startsWith(
                    "GET /s/0.txt?offset=100&live=sse&cursor=3 HTTP/1.1\r\n");
            assertThat(reader.error()).isNull();
            assertThat(reader.received()).isEqualTo(3);
            assertThat(reader.strayBytes()).isZero();
            assertThat(latency.count()).isEqualTo(3);
            server.join(5000);
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int last4 = 0;
        for (int c; (c = in.read()) >= 0; ) {
            b.write(c);
            last4 = last4 << 8 | c;
            if (last4 == 0x0D0A0D0A) {
                break;
            }
        }
        return b.toString(StandardCharsets.US_ASCII);
    }
}
