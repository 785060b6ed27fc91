package org.httpfstream.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.math.BigInteger;
import java.util.zip.CRC32C;

/**
 * The bytes appenders send, prepared once so that sending a message copies and allocates nothing.
 *
 * <p>A stream is a pseudo-random pattern repeated with a period of about 1 MiB, which is a multiple of
 * 4 but shares no factor with {@code messageSize / 4}: message {@code i} starts at offset {@code (i ×
 * messageSize) mod period}, so a lost, repeated or reordered message changes the byte count or the
 * checksum unless it is a million messages away. Client frames must be masked (RFC 6455); every
 * message starts at a multiple of 4 in the pattern, so one copy of the pattern masked with a fixed key
 * serves every message, and each WebSocket frame is one shared header plus a slice of that copy. The
 * server still unmasks every byte, as it would for any client.
 *
 * <p>Thread safety: immutable after construction; {@link #frameHeader()} and {@link #maskedSlice} may
 * be called from any thread. {@link #close()} once every frame written from it has been released.
 */
public final class Payload implements AutoCloseable {
    /** The masking key of every frame the benchmark sends. */
    static final byte[] MASK = {(byte) 0x5A, (byte) 0x3C, (byte) 0x96, (byte) 0xE1};

    private static final int MAX_MESSAGE = 16 * 1024 * 1024;

    private final int messageSize;
    private final int period;
    private final byte[] plain;
    private final ByteBuf masked;
    private final ByteBuf header;

    /**
     * @param messageSize bytes per message, a positive multiple of 4 up to 16 MiB
     * @param binary BINARY frames if true, TEXT (which the original Go server requires) if false
     */
    public Payload(int messageSize, boolean binary) {
        if (messageSize < 4 || messageSize % 4 != 0 || messageSize > MAX_MESSAGE) {
            throw new IllegalArgumentException(
                    "messageSize not a multiple of 4 in [4, 16 MiB]: " + messageSize);
        }
        this.messageSize = messageSize;
        BigInteger words = BigInteger.valueOf(1 << 18);
        do {
            words = words.nextProbablePrime();
        } while ((messageSize / 4) % words.intValue() == 0);
        this.period = 4 * words.intValue();
        this.plain = new byte[period + messageSize];
        long x = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < period; i++) { // xorshift64: cheap, fixed, not periodic at this scale
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            plain[i] = (byte) x;
        }
        System.arraycopy(plain, 0, plain, period, messageSize);
        this.masked = Unpooled.directBuffer(plain.length);
        for (int i = 0; i < plain.length; i++) {
            masked.writeByte(plain[i] ^ MASK[i & 3]);
        }
        this.header = Unpooled.directBuffer(14);
        writeHeader(header, binary ? 0x2 : 0x1, messageSize);
        header.writeBytes(MASK);
    }

    /** Bytes per message. */
    public int messageSize() {
        return messageSize;
    }

    /** Offset in the pattern of the message that follows the one at {@code offset}. */
    public int next(int offset) {
        int n = offset + messageSize;
        return n >= period ? n - period : n;
    }

    /** A new reference to the frame header (FIN, opcode, masked length, key) of every message. */
    public ByteBuf frameHeader() {
        return header.retainedDuplicate();
    }

    /** A new reference to the masked payload of the message at {@code offset}. */
    public ByteBuf maskedSlice(int offset) {
        return masked.retainedSlice(offset, messageSize);
    }

    /** Adds the plain bytes of the message at {@code offset} to {@code crc}. */
    public void digest(CRC32C crc, int offset) {
        crc.update(plain, offset, messageSize);
    }

    /** A masked control frame (close 0x8, ping 0x9, pong 0xA) with {@code length} bytes of {@code data}. */
    static ByteBuf controlFrame(ByteBufAllocator alloc, int opcode, byte[] data, int length) {
        if (length > 125) {
            throw new IllegalArgumentException("length > 125: " + length);
        }
        ByteBuf frame = alloc.buffer(6 + length);
        frame.writeByte(0x80 | opcode);
        frame.writeByte(0x80 | length);
        frame.writeBytes(MASK);
        for (int i = 0; i < length; i++) {
            frame.writeByte(data[i] ^ MASK[i & 3]);
        }
        return frame;
    }

    /** A masked Close frame with status {@code code}. */
    static ByteBuf closeFrame(ByteBufAllocator alloc, int code) {
        return controlFrame(alloc, 0x8, new byte[] {(byte) (code >> 8), (byte) code}, 2);
    }

    private static void writeHeader(ByteBuf out, int opcode, int length) {
        out.writeByte(0x80 | opcode);
        if (length < 126) {
            out.writeByte(0x80 | length);
        } else if (length < 65536) {
            out.writeByte(0x80 | 126);
            out.writeShort(length);
        } else {
            out.writeByte(0x80 | 127);
            out.writeLong(length);
        }
    }

    @Override
    public void close() {
        if (masked.refCnt() > 0) {
            masked.release();
        }
        if (header.refCnt() > 0) {
            header.release();
        }
    }
}
