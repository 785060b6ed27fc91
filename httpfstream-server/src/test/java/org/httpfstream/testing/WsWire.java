package org.httpfstream.testing;

import java.io.DataInputStream;
import java.io.IOException;

/**
 * WebSocket frames (RFC 6455) as they come off a raw socket, for tests that play one side of a
 * connection by hand: one frame's header, mask and payload, unmasked. The one copy for every module's
 * tests (the server's {@code RawWebSocket} and the client's {@code ScriptedPeer} read through it).
 * Written here rather than with a WebSocket library because the tests must see every frame exactly as
 * sent, including ones a library would refuse or merge.
 *
 * <p>Thread safety: stateless; each call reads from the stream it is given, which one thread reads.
 */
public final class WsWire {
    private WsWire() {
    }

    /**
     * One frame as read.
     *
     * @param fin the FIN bit
     * @param rsv the three reserved bits, as a number from 0 to 7
     * @param opcode the opcode
     * @param maskKey the masking key, or null if the frame was not masked
     * @param payload the payload, unmasked
     */
    public record Frame(boolean fin, int rsv, int opcode, byte[] maskKey, byte[] payload) {
    }

    /** Reads one frame; a masked payload is returned unmasked. */
    public static Frame readFrame(DataInputStream in) throws IOException {
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        long len = b1 & 0x7f;
        if (len == 126) {
            len = in.readUnsignedShort();
        } else if (len == 127) {
            len = in.readLong();
        }
        byte[] mask = null;
        if ((b1 & 0x80) != 0) {
            mask = new byte[4];
            in.readFully(mask);
        }
        byte[] payload = new byte[Math.toIntExact(len)];
        in.readFully(payload);
        if (mask != null) {
            for (int i = 0; i < payload.length; i++) {
                payload[i] ^= mask[i & 3];
            }
        }
        return new Frame((b0 & 0x80) != 0, (b0 >>> 4) & 7, b0 & 0x0f, mask, payload);
    }
}
