package org.httpfstream.client;

import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;

/**
 * The bytes of a FOLLOW over WebSocket: the payloads of all data messages (TEXT or BINARY, never decoded),
 * concatenated, until the server closes the WebSocket normally.
 *
 * <p>Thread safety: not thread safe, one thread at a time reads. {@link #close()} may be called from any
 * thread; a read blocked in another thread then fails with an IOException. The frame fields are confined
 * to the reading thread.
 */
final class WebSocketFollowInputStream extends LatchedInputStream {

    /** How long close() waits for the write lock (held only while a pong is being written). */
    private static final long CLOSE_LOCK_WAIT_MILLIS = 1000;

    private final WebSocketConnection connection;
    private final String what;
    private final int readTimeoutMillis;

    /** The data frame whose payload is being read, or null between frames. */
    private FrameHeader frame;
    /** Payload bytes of {@link #frame} already returned. */
    private long frameConsumed;
    /** True while a fragmented message has not seen its FIN frame. */
    private boolean inMessage;

    /**
     * @param what the operation and URI, for messages, e.g. {@code "FOLLOW http://h/p"}
     */
    WebSocketFollowInputStream(WebSocketConnection connection, String what, int readTimeoutMillis) {
        this.connection = connection;
        this.what = what;
        this.readTimeoutMillis = readTimeoutMillis;
    }

    /**
     * A Close with an error code is thrown as it is (the socket is closed already); any other failure
     * closes the socket (after a Close 1002 if the server broke the protocol) and names the operation.
     */
    @Override
    IOException failed(IOException e) {
        if (e instanceof ServerClosedException) {
            return e;
        }
        if (e instanceof ProtocolException) {
            connection.trySendClose(CloseStatus.payload(CloseStatus.PROTOCOL_ERROR), CLOSE_LOCK_WAIT_MILLIS);
        }
        connection.closeSocket();
        return Errors.withContext(what, e, readTimeoutMillis);
    }

    /**
     * Reads up to {@code len} bytes of the current message, blocking until at least one byte is available
     * or the stream ends. Bytes of a message beyond {@code len} are returned by later reads. Pings received
     * meanwhile are answered with pongs.
     *
     * @return the number of bytes read, or -1 once the server closed the WebSocket with code 1000 or
     *     no code
     * @throws IOException if the server closed with another code, the connection ended without a Close
     *     frame, the read timeout expired, or the server broke the protocol
     */
    @Override
    int readSome(byte[] b, int off, int len) throws IOException {
        while (true) {
            if (frame != null) {
                long left = frame.length() - frameConsumed;
                if (left > 0) {
                    int n = connection.readPayload(frame, frameConsumed, b, off, (int) Math.min(len, left));
                    frameConsumed += n;
                    return n;
                }
                frame = null;
            }
            FrameHeader header = connection.readFrameHeader();
            if (header == null) {
                throw new EOFException("connection closed before end of stream (no WebSocket Close frame)");
            }
            switch (header.opcode()) {
                case TEXT:
                case BINARY:
                    if (inMessage) {
                        throw new ProtocolException("new WebSocket message started before the previous one ended");
                    }
                    startFrame(header);
                    break;
                case CONTINUATION:
                    if (!inMessage) {
                        throw new ProtocolException("WebSocket continuation frame outside of a message");
                    }
                    startFrame(header);
                    break;
                case PING:
                    byte[] ping = connection.readControlPayload(header);
                    connection.sendFrame(Opcode.PONG, ping, 0, ping.length);
                    break;
                case PONG:
                    connection.skipPayload(header);
                    break;
                case CLOSE:
                    CloseStatus status = CloseStatus.parse(connection.readControlPayload(header));
                    connection.trySendClose(status.replyPayload(), CLOSE_LOCK_WAIT_MILLIS);
                    connection.closeSocket();
                    if (status.isNormal(false)) {
                        return -1;
                    }
                    throw new ServerClosedException(what + ": server closed the stream with " + status.describe(),
                            status);
                default:
                    throw new AssertionError(header.opcode());
            }
        }
    }

    private void startFrame(FrameHeader header) {
        inMessage = !header.fin();
        frame = header;
        frameConsumed = 0;
    }

    /**
     * Returns the number of bytes of the current message that can be read without blocking (possibly
     * fewer).
     */
    @Override
    int availableNow() throws IOException {
        return frame == null ? 0 : (int) Math.min(frame.length() - frameConsumed, connection.available());
    }

    /**
     * Sends a Close frame with code 1000 (best effort, unless the WebSocket already ended) and closes the
     * socket. Does not wait for the server.
     */
    @Override
    void closing() {
        if (!isFinished()) {
            connection.trySendClose(CloseStatus.payload(CloseStatus.NORMAL), CLOSE_LOCK_WAIT_MILLIS);
        }
        connection.closeSocket();
    }
}
