package org.httpfstream.server;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Client WebSocket frames as the wire carries them, well-formed or broken on purpose: any first byte
 * (FIN, reserved bits, opcode), any masking key or none, and a length in its shortest encoding or a
 * longer one. Test helper; stateless.
 */
public final class ClientFrames {
    public static final int FIN = 0x80;
    public static final int CONTINUATION = 0x0, TEXT = 0x1, BINARY = 0x2, CLOSE = 0x8, PING = 0x9, PONG = 0xA;
    public static final byte[] MASK = {(byte) 0x37, (byte) 0xFA, (byte) 0x21, (byte) 0x3D};

    private ClientFrames() {}

    /** A final frame of {@code opcode} masked with {@link #MASK}. */
    public static byte[] frame(int opcode, byte[] payload) {
        return frame(FIN | opcode, payload, MASK);
    }

    /** A frame with first byte {@code b0} (FIN, RSV, opcode) masked with {@code mask}, or unmasked if null. */
    public static byte[] frame(int b0, byte[] payload, byte[] mask) {
        int lengthBytes = payload.length < 126 ? 0 : payload.length < 65536 ? 2 : 8;
        return frame(b0, payload, mask, lengthBytes);
    }

    /**
     * A frame whose length takes {@code lengthBytes} extra bytes: 0 (up to 125), 2 (code 126) or 8
     * (code 127), whether or not that is the shortest encoding.
     */
    public static byte[] frame(int b0, byte[] payload, byte[] mask, int lengthBytes) {
        ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
        f.write(b0);
        int maskBit = mask == null ? 0 : 0x80;
        switch (lengthBytes) {
            case 0 -> f.write(maskBit | payload.length);
            case 2 -> {
                f.write(maskBit | 126);
                f.write(payload.length >>> 8);
                f.write(payload.length);
            }
            case 8 -> {
                f.write(maskBit | 127);
                for (int shift = 56; shift >= 0; shift -= 8) {
                    f.write((int) ((long) payload.length >>> shift));
                }
            }
            default -> throw new IllegalArgumentException("lengthBytes not 0, 2 or 8: " + lengthBytes);
        }
        if (mask != null) {
            f.write(mask, 0, 4);
        }
        for (int i = 0; i < payload.length; i++) {
            f.write(mask == null ? payload[i] : payload[i] ^ mask[i & 3]);
        }
        return f.toByteArray();
    }

    /** A header alone announcing {@code length} payload bytes in 8 length bytes, masked with {@link #MASK}. */
    public static byte[] header64(int b0, long length) {
        byte[] h = new byte[14];
        h[0] = (byte) b0;
        h[1] = (byte) (0x80 | 127);
        for (int i = 0; i < 8; i++) {
            h[2 + i] = (byte) (length >>> (56 - 8 * i));
        }
        System.arraycopy(MASK, 0, h, 10, 4);
        return h;
    }

    /** A Close frame body: the status code, then {@code reason} bytes. */
    public static byte[] closeBody(int code, byte... reason) {
        byte[] b = new byte[2 + reason.length];
        b[0] = (byte) (code >>> 8);
        b[1] = (byte) code;
        System.arraycopy(reason, 0, b, 2, reason.length);
        return b;
    }

    /** Masking keys: all zero, all ones, single bits, high bits, then {@code randomOnes} drawn from {@code random}. */
    public static List<byte[]> maskingKeys(Random random, int randomOnes) {
        List<byte[]> keys = new ArrayList<>(List.of(new byte[4], new byte[] {-1, -1, -1, -1},
                new byte[] {1, 2, 4, 8}, new byte[] {(byte) 0x80, 0x40, 0x20, 0x10}));
        for (int i = 0; i < randomOnes; i++) {
            byte[] key = new byte[4];
            random.nextBytes(key);
            keys.add(key);
        }
        return keys;
    }

    /** The bytes 0 to 255, in order. */
    public static byte[] allByteValues() {
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
        }
        return all;
    }

    /** The concatenation of {@code parts}. */
    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.write(p, 0, p.length);
        }
        return out.toByteArray();
    }

    /**
     * Frames that break a rule, each with the close code it must get: (what, frame bytes, code), for a
     * server whose frame limit is {@code maxFrame}.
     */
    public static Stream<Arguments> badFrames(int maxFrame) {
        byte[] five = "12345".getBytes(StandardCharsets.US_ASCII);
        return Stream.of(
                Arguments.of("an unmasked frame", frame(FIN | TEXT, five, null), 1002),
                Arguments.of("a reserved bit", frame(FIN | 0x40 | TEXT, five, MASK), 1002),
                Arguments.of("reserved data opcode 3", frame(FIN | 0x3, five, MASK), 1002),
                Arguments.of("reserved control opcode 0xB", frame(FIN | 0xB, five, MASK), 1002),
                Arguments.of("a fragmented ping", frame(PING, five, MASK), 1002),
                Arguments.of("a ping of 126 bytes", frame(FIN | PING, new byte[126], MASK), 1002),
                Arguments.of("a continuation outside a message", frame(FIN | CONTINUATION, five, MASK), 1002),
                Arguments.of("a new message inside a fragmented one",
                        concat(frame(TEXT, new byte[0], MASK), frame(FIN | BINARY, five, MASK)), 1002),
                Arguments.of("a close body of one byte", frame(FIN | CLOSE, new byte[] {3}, MASK), 1002),
                Arguments.of("close code 1005", frame(FIN | CLOSE, closeBody(1005), MASK), 1002),
                Arguments.of("close code 999", frame(FIN | CLOSE, closeBody(999), MASK), 1002),
                Arguments.of("a close reason that is not UTF-8",
                        frame(FIN | CLOSE, closeBody(1000, (byte) 0xC3, (byte) 0x28), MASK), 1007),
                Arguments.of("a 16-bit length under 126", frame(FIN | TEXT, five, MASK, 2), 1002),
                Arguments.of("a 64-bit length under 65536", frame(FIN | TEXT, five, MASK, 8), 1002),
                Arguments.of("a negative 64-bit length", header64(FIN | BINARY, -1L), 1002),
                Arguments.of("a frame over the limit", frame(FIN | BINARY, new byte[maxFrame + 1], MASK), 1009),
                Arguments.of("a 64-bit length over the limit", header64(FIN | BINARY, 1L << 40), 1009));
    }
}
