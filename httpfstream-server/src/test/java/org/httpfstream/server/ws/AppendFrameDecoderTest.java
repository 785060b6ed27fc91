package org.httpfstream.server.ws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.httpfstream.server.ClientFrames.BINARY;
import static org.httpfstream.server.ClientFrames.CLOSE;
import static org.httpfstream.server.ClientFrames.CONTINUATION;
import static org.httpfstream.server.ClientFrames.FIN;
import static org.httpfstream.server.ClientFrames.MASK;
import static org.httpfstream.server.ClientFrames.PING;
import static org.httpfstream.server.ClientFrames.PONG;
import static org.httpfstream.server.ClientFrames.TEXT;
import static org.httpfstream.server.ClientFrames.allByteValues;
import static org.httpfstream.server.ClientFrames.closeBody;
import static org.httpfstream.server.ClientFrames.concat;
import static org.httpfstream.server.ClientFrames.frame;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.httpfstream.server.ClientFrames;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link AppendFrameDecoder} alone, fed reads split exactly as each test chooses. */
public class AppendFrameDecoderTest {
    public static final int MAX_FRAME = 100_000;

    /** What the decoder passed on: the data bytes, the buffers they came in, and the other events in order. */
    static final class Recorder extends ChannelInboundHandlerAdapter {
        final ByteArrayOutputStream data = new ByteArrayOutputStream();
        final List<String> events = new ArrayList<>();
        final List<ByteBuf> retained = new ArrayList<>();
        int dataBuffers;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf b) {
                dataBuffers++;
                data.writeBytes(ByteBufUtil.getBytes(b));
                retained.add(b);
                return;
            }
            String kind = msg instanceof PingWebSocketFrame ? "ping"
                    : msg instanceof PongWebSocketFrame ? "pong"
                    : msg instanceof CloseWebSocketFrame ? "close" : msg.getClass().getSimpleName();
            ByteBuf content = ((io.netty.buffer.ByteBufHolder) msg).content();
            events.add(kind + "@" + data.size() + ":" + ByteBufUtil.hexDump(content));
            ((io.netty.buffer.ByteBufHolder) msg).release();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            int code = cause instanceof CorruptedWebSocketFrameException c ? c.closeStatus().code() : -1;
            events.add("error@" + data.size() + ":" + code);
        }

        void releaseAll() {
            retained.forEach(ByteBuf::release);
            retained.clear();
        }
    }

    /**
     * Notes that the connection was to be closed, without closing it: as on a real connection, where
     * the handlers stay in place until the close has run its course.
     */
    static final class CloseRecorder extends ChannelOutboundHandlerAdapter {
        boolean closed;

        @Override
        public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
            closed = true;
            promise.setSuccess();
        }
    }

    /** Runs {@code reads} through a new decoder; checks that it released every one of them. */
    static Recorder decode(List<ByteBuf> reads) {
        Recorder recorder = new Recorder();
        CloseRecorder closes = new CloseRecorder();
        EmbeddedChannel channel = new EmbeddedChannel(closes, new AppendFrameDecoder(MAX_FRAME), recorder);
        for (ByteBuf read : reads) {
            channel.pipeline().fireChannelRead(read);
        }
        channel.runPendingTasks();
        for (Object out; (out = channel.readOutbound()) != null; ) {
            CloseWebSocketFrame close = (CloseWebSocketFrame) out;
            recorder.events.add("sent close " + close.statusCode());
            close.release();
        }
        if (closes.closed) {
            recorder.events.add("closed");
        }
        channel.finishAndReleaseAll();
        recorder.releaseAll();
        for (ByteBuf read : reads) {
            assertThat(read.refCnt()).as("a read buffer was not released").isZero();
        }
        return recorder;
    }

    static Recorder decode(byte[] stream, int... cuts) {
        return decode(split(stream, Unpooled::buffer, cuts));
    }

    /** {@code stream} as reads ending at each of {@code cuts}, in buffers from {@code alloc}. */
    static List<ByteBuf> split(byte[] stream, IntFunction<ByteBuf> alloc, int... cuts) {
        List<ByteBuf> reads = new ArrayList<>();
        int from = 0;
        for (int cut : cuts) {
            reads.add(alloc.apply(cut - from).writeBytes(stream, from, cut - from));
            from = cut;
        }
        reads.add(alloc.apply(stream.length - from).writeBytes(stream, from, stream.length - from));
        return reads;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /**
     * Every kind of length and frame: 7-bit and 16-bit lengths, an empty frame, a fragmented message
     * with a ping and a pong inside it, all byte values in a TEXT frame, then Close 1000.
     */
    static final byte[] BODY = random(300, 1);
    public static final byte[] STREAM = concat(
            frame(TEXT, bytes("hello ")),
            frame(PING, bytes("hi")),
            frame(BINARY, BODY),
            frame(TEXT, new byte[0]),
            frame(TEXT, bytes("fra")),
            frame(0x1, bytes("gm"), MASK), // TEXT without FIN: a fragmented message starts
            frame(PING, new byte[0]),
            frame(0x0, bytes("en"), new byte[] {1, 2, 3, 4}),
            frame(PONG, bytes("p")),
            frame(FIN | CONTINUATION, bytes("ted"), new byte[] {(byte) 0xff, 0, (byte) 0x80, 7}),
            frame(TEXT, allByteValues()),
            frame(CLOSE, closeBody(1000)));
    public static final byte[] DATA = concat(bytes("hello "), BODY, bytes("fragmented"), allByteValues());
    static final List<String> EVENTS = List.of("ping@6:6869", "ping@311:", "pong@313:70", "close@572:03e8");

    @Nested
    class Splitting {
        @Test
        void aStreamInOneReadDecodesToItsDataAndControlFramesInOrder() {
            Recorder r = decode(STREAM);
            assertThat(r.data.toByteArray()).isEqualTo(DATA);
            assertThat(r.events).isEqualTo(EVENTS);
        }

        @Test
        void everySplitIntoTwoReadsDecodesTheSame() {
            for (int cut = 0; cut <= STREAM.length; cut++) {
                Recorder r = decode(STREAM, cut);
                assertThat(r.data.toByteArray()).as("cut at %d", cut).isEqualTo(DATA);
                assertThat(r.events).as("cut at %d", cut).isEqualTo(EVENTS);
            }
        }

        @Test
        void everySplitIntoThreeReadsDecodesTheSame() {
            for (int a = 0; a <= STREAM.length; a += 7) {
                for (int b = a; b <= STREAM.length; b++) {
                    Recorder r = decode(STREAM, a, b);
                    assertThat(r.data.toByteArray()).as("cuts at %d, %d", a, b).isEqualTo(DATA);
                    assertThat(r.events).as("cuts at %d, %d", a, b).isEqualTo(EVENTS);
                }
            }
        }

        @Test
        void oneByteAtATimeDecodesTheSame() {
            int[] cuts = new int[STREAM.length - 1];
            for (int i = 0; i < cuts.length; i++) {
                cuts[i] = i + 1;
            }
            Recorder r = decode(STREAM, cuts);
            assertThat(r.data.toByteArray()).isEqualTo(DATA);
            assertThat(r.events).isEqualTo(EVENTS);
        }

        @Test
        void directAndCompositeBuffersDecodeTheSame() {
            Recorder direct = decode(split(STREAM, Unpooled::directBuffer, 100, 101, 333));
            assertThat(direct.data.toByteArray()).isEqualTo(DATA);
            assertThat(direct.events).isEqualTo(EVENTS);
            List<ByteBuf> composites = new ArrayList<>();
            for (ByteBuf part : split(STREAM, Unpooled::directBuffer, 50, 250, 260, 400)) {
                CompositeByteBuf c = Unpooled.compositeBuffer();
                int half = part.readableBytes() / 2;
                c.addComponent(true, part.retainedSlice(0, half));
                c.addComponent(true, part.retainedSlice(half, part.readableBytes() - half));
                part.release();
                composites.add(c);
            }
            Recorder composite = decode(composites);
            assertThat(composite.data.toByteArray()).isEqualTo(DATA);
            assertThat(composite.events).isEqualTo(EVENTS);
        }

        @Test
        void aFrameLongerThanAReadGoesOnAsItComesWithA64BitLength() {
            byte[] big = random(70_000, 2);
            byte[] stream = frame(BINARY, big);
            assertThat(stream[1] & 0x7f).isEqualTo(127);
            Recorder r = decode(stream, 5, 14, 15, 65_536, 65_541);
            assertThat(r.data.toByteArray()).isEqualTo(big);
            assertThat(r.dataBuffers).isEqualTo(4); // one per read that held payload bytes
        }

        @Test
        void theDataFramesOfOneReadGoOnAsOneBuffer() {
            byte[][] payloads = new byte[10][];
            byte[][] frames = new byte[10][];
            for (int i = 0; i < 10; i++) {
                payloads[i] = random(100 + 37 * i, 10 + i);
                frames[i] = frame(i % 2 == 0 ? TEXT : BINARY, payloads[i]);
            }
            Recorder r = decode(concat(frames));
            assertThat(r.data.toByteArray()).isEqualTo(concat(payloads));
            assertThat(r.dataBuffers).isEqualTo(1);
        }

        @Test
        void randomSplitsOfRandomFramesDecodeToTheirPayloads() {
            Random random = new Random(42);
            for (int round = 0; round < 200; round++) {
                List<byte[]> frames = new ArrayList<>();
                ByteArrayOutputStream expected = new ByteArrayOutputStream();
                for (int i = random.nextInt(8) + 1; i > 0; i--) {
                    int size = random.nextInt(4) == 0 ? random.nextInt(70_000) : random.nextInt(300);
                    byte[] payload = random(size, random.nextLong());
                    byte[] mask = new byte[4];
                    random.nextBytes(mask);
                    frames.add(frame(FIN | (random.nextBoolean() ? TEXT : BINARY), payload, mask));
                    expected.writeBytes(payload);
                }
                byte[] stream = concat(frames.toArray(new byte[0][]));
                int[] cuts = random.ints(random.nextInt(10), 0, stream.length + 1).sorted().toArray();
                Recorder r = decode(stream, cuts);
                assertThat(r.data.toByteArray()).as("round %d", round).isEqualTo(expected.toByteArray());
                assertThat(r.events).as("round %d", round).isEmpty();
            }
        }
    }

    @Nested
    class Unmasking {
        /** Every byte value under many keys, at every mask phase and every alignment in the read. */
        @Test
        void everyByteValueIsUnmaskedUnderEveryKeyPhaseAndAlignment() {
            byte[] all = allByteValues();
            Random random = new Random(7);
            List<byte[]> keys = ClientFrames.maskingKeys(random, 16);
            for (byte[] key : keys) {
                for (int before = 0; before < 9; before++) {
                    byte[] lead = random(before, before);
                    // A first frame of 0 to 8 bytes shifts where the next payload starts and how far it moves.
                    byte[] stream = concat(frame(FIN | BINARY, lead, key), frame(FIN | TEXT, all, key),
                            frame(FIN | TEXT, all, key));
                    for (int cut = 0; cut <= stream.length; cut += 1 + before) {
                        Recorder r = decode(stream, cut);
                        assertThat(r.data.toByteArray()).as("key %s, lead %d, cut %d",
                                ByteBufUtil.hexDump(key), before, cut).isEqualTo(concat(lead, all, all));
                    }
                }
            }
        }
    }

    @Nested
    class Rules {
        static Stream<Arguments> badFrames() {
            return ClientFrames.badFrames(MAX_FRAME);
        }

        @ParameterizedTest(name = "{0} gets Close {2}; the data before it goes on, nothing after")
        @MethodSource("badFrames")
        void aBrokenRuleIsAnsweredWithItsCloseCode(String what, byte[] bad, int code) {
            byte[] stream = concat(frame(TEXT, bytes("kept")), bad, frame(TEXT, bytes("dropped")));
            for (int cut : new int[] {stream.length, 4, 7, 8, 9, 11, 12, 13, 15, 20}) {
                Recorder r = decode(stream, Math.min(cut, stream.length));
                assertThat(r.data.toByteArray()).as(what).isEqualTo(bytes("kept"));
                assertThat(r.events).as(what).containsExactly("error@4:" + code);
            }
        }

        @Test
        void textPayloadsAreNeverCheckedAsUtf8() {
            byte[] invalid = {(byte) 0xC3, (byte) 0x28, (byte) 0xFF, (byte) 0xFE};
            Recorder r = decode(concat(frame(TEXT, invalid), frame(FIN | TEXT, invalid, new byte[] {9, 8, 7, 6})));
            assertThat(r.data.toByteArray()).isEqualTo(concat(invalid, invalid));
            assertThat(r.events).isEmpty();
        }

        @Test
        void nothingAfterACloseFrameIsDecoded() {
            Recorder r = decode(concat(frame(TEXT, bytes("a")), frame(CLOSE, new byte[0]),
                    frame(TEXT, bytes("b")), new byte[] {0x7f, 0x7f}));
            assertThat(r.data.toByteArray()).isEqualTo(bytes("a"));
            assertThat(r.events).containsExactly("close@1:");
        }

        @Test
        void aFrameOfExactlyTheLimitIsAccepted() {
            byte[] max = random(MAX_FRAME, 5);
            Recorder r = decode(frame(BINARY, max), 3, 9000);
            assertThat(r.data.toByteArray()).isEqualTo(max);
            assertThat(r.events).isEmpty();
        }
    }
}
