package org.httpfstream.client;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.net.Socket;
import java.net.SocketException;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The client end of an established WebSocket connection: RFC 6455 frame reading and (masked) frame writing
 * over a socket.
 *
 * <p>Frame reading is not thread safe: one thread at a time reads. Frame writing is guarded by
 * {@link #writeLock()}, so frames written by different threads never interleave on the socket.
 * {@link #closeSocket()} may be called from any thread.
 */
final class WebSocketConnection {

    /** Largest control frame payload allowed by RFC 6455. */
    static final int MAX_CONTROL_PAYLOAD = 125;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final ReentrantLock writeLock = new ReentrantLock();
    /** Frame assembly buffer, reused between frames. Guarded by writeLock. */
    private byte[] frameBuffer = new byte[256];
    /** Masking key scratch space. Guarded by writeLock. */
    private final byte[] maskKey = new byte[4];

    /**
     * @param in the socket's input, positioned after the handshake response (usually buffered)
     * @param out the socket's output
     */
    WebSocketConnection(Socket socket, InputStream in, OutputStream out) {
        this.socket = socket;
        this.in = in;
        this.out = out;
    }

    /**
     * Sets how long a read waits for the server before it fails; 0 waits for ever.
     *
     * @throws SocketException if the socket is closed or rejects the timeout
     */
    void readTimeout(int millis) throws SocketException {
        socket.setSoTimeout(millis);
    }

    /** The lock that serializes frame writes. */
    ReentrantLock writeLock() {
        return writeLock;
    }

    // ---------------------------------------------------------------- reading

    /**
     * Reads the next frame header, blocking until it is complete.
     *
     * @return the header, or null if the connection ended cleanly before the first byte of a frame
     * @throws EOFException if the connection ends in the middle of the header
     * @throws ProtocolException if the header is invalid (reserved bits, unknown opcode, bad control frame)
     */
    FrameHeader readFrameHeader() throws IOException {
        int b0 = in.read();
        if (b0 < 0) {
            return null;
        }
        int b1 = readByte();
        boolean fin = (b0 & 0x80) != 0;
        int rsv = (b0 >>> 4) & 0x7;
        Opcode opcode = Opcode.of(b0);
        boolean masked = (b1 & 0x80) != 0;
        long length = b1 & 0x7F;
        if (length == 126) {
            length = ((long) readByte() << 8) | readByte();
        } else if (length == 127) {
            length = 0;
            for (int i = 0; i < 8; i++) {
                length = (length << 8) | readByte();
            }
            if (length < 0) {
                throw new ProtocolException("WebSocket frame length has its most significant bit set");
            }
        }
        byte[] mask = null;
        if (masked) {
            mask = new byte[4];
            for (int i = 0; i < 4; i++) {
                mask[i] = (byte) readByte();
            }
        }
        if (rsv != 0) {
            throw new ProtocolException("WebSocket frame has reserved bits set (0x" + Integer.toHexString(rsv)
                    + ") but no extension was negotiated");
        }
        if (opcode == null) {
            throw new ProtocolException("unknown WebSocket opcode 0x" + Integer.toHexString(b0 & 0xF));
        }
        if (opcode.isControl()) {
            if (!fin) {
                throw new ProtocolException("fragmented WebSocket control frame (opcode 0x"
                        + Integer.toHexString(opcode.value) + ")");
            }
            if (length > MAX_CONTROL_PAYLOAD) {
                throw new ProtocolException("WebSocket control frame payload of " + length
                        + " bytes (at most " + MAX_CONTROL_PAYLOAD + " allowed)");
            }
        }
        return new FrameHeader(fin, opcode, length, mask);
    }

    private int readByte() throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new EOFException("connection closed in the middle of a WebSocket frame");
        }
        return b;
    }

    /**
     * Reads (and unmasks) up to {@code len} payload bytes of the frame {@code header}, of which
     * {@code consumed} bytes were read before. Blocks until at least one byte is available; the caller
     * must not ask for more than the frame has left.
     *
     * @return the number of bytes read, at least 1 when {@code len > 0}
     * @throws EOFException if the connection ends first
     */
    int readPayload(FrameHeader header, long consumed, byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n < 0) {
            throw new EOFException("connection closed in the middle of a WebSocket frame");
        }
        byte[] mask = header.mask();
        if (mask != null) {
            int m = (int) (consumed & 3);
            for (int i = off, end = off + n; i < end; i++) {
                b[i] ^= mask[m];
                m = (m + 1) & 3;
            }
        }
        return n;
    }

    /** Reads the whole (unmasked) payload of a control frame. */
    byte[] readControlPayload(FrameHeader header) throws IOException {
        byte[] payload = new byte[(int) header.length()];
        int done = 0;
        while (done < payload.length) {
            done += readPayload(header, done, payload, done, payload.length - done);
        }
        return payload;
    }

    /** Reads and discards the payload of {@code header}. */
    void skipPayload(FrameHeader header) throws IOException {
        byte[] scratch = new byte[(int) Math.min(header.length(), 8192)];
        long left = header.length();
        while (left > 0) {
            left -= readPayload(header, 0, scratch, 0, (int) Math.min(left, scratch.length));
        }
    }

    /** Returns how many bytes can be read without blocking (possibly fewer). */
    int available() throws IOException {
        return in.available();
    }

    // ---------------------------------------------------------------- writing

    /**
     * Writes one complete (FIN) frame with a fresh random masking key, taking {@link #writeLock()}.
     * Blocks until the frame has been handed to the operating system.
     */
    void sendFrame(Opcode opcode, byte[] b, int off, int len) throws IOException {
        writeLock.lock();
        try {
            sendFrameLocked(opcode, b, off, len);
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Writes one complete (FIN) frame; the caller must hold {@link #writeLock()}.
     */
    void sendFrameLocked(Opcode opcode, byte[] b, int off, int len) throws IOException {
        assert writeLock.isHeldByCurrentThread();
        int headerLength = 2 + (len <= 125 ? 0 : len <= 0xFFFF ? 2 : 8) + 4;
        int total = headerLength + len;
        if (frameBuffer.length < total) {
            frameBuffer = new byte[Math.max(total, frameBuffer.length * 2)];
        }
        byte[] frame = frameBuffer;
        int p = 0;
        frame[p++] = (byte) (0x80 | opcode.value);
        if (len <= 125) {
            frame[p++] = (byte) (0x80 | len);
        } else if (len <= 0xFFFF) {
            frame[p++] = (byte) (0x80 | 126);
            frame[p++] = (byte) (len >>> 8);
            frame[p++] = (byte) len;
        } else {
            frame[p++] = (byte) (0x80 | 127);
            long l = len;
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame[p++] = (byte) (l >>> shift);
            }
        }
        RANDOM.nextBytes(maskKey);
        System.arraycopy(maskKey, 0, frame, p, 4);
        p += 4;
        for (int i = 0; i < len; i++) {
            frame[p + i] = (byte) (b[off + i] ^ maskKey[i & 3]);
        }
        out.write(frame, 0, total);
        out.flush();
    }

    /**
     * Tries to send a Close frame with {@code payload}: waits at most {@code lockWaitMillis} for the write
     * lock and ignores I/O errors.
     *
     * @return true if the frame was written
     */
    boolean trySendClose(byte[] payload, long lockWaitMillis) {
        try {
            if (!writeLock.tryLock(lockWaitMillis, TimeUnit.MILLISECONDS)) {
                return false;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        try {
            sendFrameLocked(Opcode.CLOSE, payload, 0, payload.length);
            return true;
        } catch (IOException e) {
            return false;
        } finally {
            writeLock.unlock();
        }
    }

    /** Closes the socket, ignoring errors. Idempotent; may be called from any thread. */
    void closeSocket() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // the socket is unusable either way
        }
    }
}
