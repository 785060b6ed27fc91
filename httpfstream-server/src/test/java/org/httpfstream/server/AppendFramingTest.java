package org.httpfstream.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.httpfstream.server.ClientFrames.BINARY;
import static org.httpfstream.server.ClientFrames.CONTINUATION;
import static org.httpfstream.server.ClientFrames.FIN;
import static org.httpfstream.server.ClientFrames.PING;
import static org.httpfstream.server.ClientFrames.TEXT;
import static org.httpfstream.server.ClientFrames.allByteValues;
import static org.httpfstream.server.ClientFrames.concat;
import static org.httpfstream.server.ClientFrames.frame;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.httpfstream.server.RawWebSocket.Frame;
import org.httpfstream.server.testing.ServerExtension;
import org.httpfstream.server.ws.AppendFrameDecoderTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The appender's frames over real connections: a hand-written peer splits them across TCP writes,
 * masks them with keys it chooses, and breaks the rules on purpose; the file must hold exactly the
 * data bytes sent, and a broken rule must get its close code.
 */
class AppendFramingTest {
    @RegisterExtension
    final ServerExtension server = new ServerExtension().with(b -> b.settings(
            HttpFStreamSettings.defaults().withMaxFrameSize(AppendFrameDecoderTest.MAX_FRAME)));

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Reads until the server's Close; returns the pongs' payloads and the close code, in order. */
    static List<String> readToClose(RawWebSocket ws) throws IOException {
        List<String> got = new ArrayList<>();
        for (;;) {
            Frame f = ws.read();
            if (f.opcode() == RawWebSocket.CLOSE) {
                got.add("close " + f.closeCode());
                return got;
            }
            got.add((f.opcode() == RawWebSocket.PONG ? "pong " : "opcode " + f.opcode() + " ")
                    + new String(f.payload(), StandardCharsets.ISO_8859_1));
        }
    }

    @Test
    void everySplitOfTheStreamAcrossTwoTcpWritesAppendsTheSameBytes() throws IOException {
        byte[] stream = AppendFrameDecoderTest.STREAM; // ends with Close 1000
        for (int cut = 0; cut <= stream.length; cut++) {
            String path = "/split/" + cut;
            try (RawWebSocket ws = RawWebSocket.appendAccepted(server.address(), path)) {
                ws.write(stream, 0, cut);
                ws.write(stream, cut, stream.length - cut);
                assertThat(readToClose(ws)).as("cut at %d", cut).containsExactly("pong hi", "pong ", "close 1000");
            }
            assertThat(server.bytes("/split/" + cut)).as("cut at %d", cut)
                    .isEqualTo(AppendFrameDecoderTest.DATA);
        }
    }

    @Test
    void everyByteValueUnderManyKeysAndAlignmentsArrivesExactly() throws IOException {
        Random random = new Random(11);
        List<byte[]> keys = ClientFrames.maskingKeys(random, 12);
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (byte[] key : keys) {
            for (int lead = 0; lead < 9; lead++) { // shifts where each payload lies and how far it moves
                byte[] before = new byte[lead];
                random.nextBytes(before);
                stream.writeBytes(frame(FIN | BINARY, before, key));
                stream.writeBytes(frame(FIN | TEXT, allByteValues(), key));
                expected.writeBytes(before);
                expected.writeBytes(allByteValues());
            }
        }
        stream.writeBytes(frame(ClientFrames.CLOSE, ClientFrames.closeBody(1000)));
        byte[] all = stream.toByteArray();
        try (RawWebSocket ws = RawWebSocket.append(server.address(), "/all-bytes")) {
            for (int from = 0, step = 1; from < all.length; from += step, step = step % 97 + 13) {
                ws.write(all, from, Math.min(step, all.length - from));
            }
            assertThat(readToClose(ws)).containsExactly("close 1000");
        }
        assertThat(server.bytes("/all-bytes")).isEqualTo(expected.toByteArray());
    }

    @Test
    void aFragmentedMessageWithPingsInsideIsAppendedWholeAndEachPingAnswered() throws IOException {
        try (RawWebSocket ws = RawWebSocket.append(server.address(), "/fragments")) {
            ws.write(concat(frame(TEXT, bytes("ab"), ClientFrames.MASK), frame(PING, bytes("1"))), 0, 14);
            byte[] rest = concat(frame(TEXT, bytes("ab"), ClientFrames.MASK), frame(PING, bytes("1")),
                    frame(CONTINUATION, bytes("cd"), new byte[] {5, 6, 7, 8}), frame(PING, bytes("2")),
                    frame(FIN | CONTINUATION, bytes("ef"), new byte[] {9, 9, 9, 9}),
                    frame(ClientFrames.CLOSE, ClientFrames.closeBody(1000)));
            ws.write(rest, 14, rest.length - 14);
            assertThat(readToClose(ws)).containsExactly("pong 1", "pong 2", "close 1000");
        }
        assertThat(server.content("/fragments")).isEqualTo("abcdef");
    }

    @Test
    void framesLargerThanManySocketReadsAreAppendedExactly() throws IOException {
        server.restart(b -> b.settings(HttpFStreamSettings.defaults())); // no frame limit
        Random random = new Random(5);
        byte[] five = new byte[5 << 20];
        byte[] three = new byte[3 << 20];
        random.nextBytes(five);
        random.nextBytes(three);
        byte[] stream = concat(frame(BINARY, five), frame(TEXT, three), frame(TEXT, bytes("end")),
                frame(ClientFrames.CLOSE, ClientFrames.closeBody(1000)));
        try (RawWebSocket ws = RawWebSocket.append(server.address(), "/big")) {
            ws.write(stream, 0, stream.length);
            assertThat(readToClose(ws)).containsExactly("close 1000");
        }
        assertThat(server.bytes("/big")).isEqualTo(concat(five, three, bytes("end")));
    }

    /**
     * RFC 6455 has clients wait for the handshake response before they send frames; one that does not
     * still gets its bytes appended, not lost or appended masked.
     */
    @Test
    void framesSentInTheSameWriteAsTheUpgradeRequestAreAppended() throws IOException {
        byte[] frames = concat(frame(TEXT, bytes("early ")), frame(BINARY, allByteValues()),
                frame(ClientFrames.CLOSE, ClientFrames.closeBody(1000)));
        try (RawWebSocket ws = RawWebSocket.appendEagerly(server.address(), "/eager", frames)) {
            assertThat(ws.status()).isEqualTo(101);
            assertThat(readToClose(ws)).containsExactly("close 1000");
        }
        assertThat(server.bytes("/eager")).isEqualTo(concat(bytes("early "),
                allByteValues()));
    }

    static Stream<Arguments> badFrames() {
        return ClientFrames.badFrames(AppendFrameDecoderTest.MAX_FRAME);
    }

    @ParameterizedTest(name = "{0} gets Close {2}; the bytes before it are kept and the lease freed")
    @MethodSource("badFrames")
    void aBrokenRuleGetsItsCloseCodeAndKeepsWhatCameBefore(String what, byte[] bad, int code) throws IOException {
        try (RawWebSocket ws = RawWebSocket.append(server.address(), "/bad")) {
            ws.send(RawWebSocket.TEXT, bytes("kept"));
            byte[] rest = concat(bad, frame(TEXT, bytes("dropped")));
            ws.write(rest, 0, rest.length);
            assertThat(readToClose(ws)).as(what).containsExactly("close " + code);
        }
        try (RawWebSocket next = RawWebSocket.append(server.address(), "/bad")) { // the lease is free again
            assertThat(next.status()).isEqualTo(101);
            next.sendClose(1000);
            assertThat(readToClose(next)).containsExactly("close 1000");
        }
        assertThat(server.content("/bad")).isEqualTo("kept");
    }
}
