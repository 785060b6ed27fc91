package org.httpfstream.client;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The bytes of a FOLLOW over WebSocket: the payloads of all data messages (TEXT or BINARY, never decoded),
 * concatenated, until the server closes the WebSocket normally.
 *
 * <p>Not thread safe: one thread at a time reads. {@link #close()} may be called from any thread; a read
 * blocked in another thread then fails with an IOException.
 */
final class WebSocketFollowInputStream extends InputStream {

    /** How long close() waits for the write lock (held only while a pong is being written). */
    private static final long CLOSE_LOCK_WAIT_MILLIS = 1000;

    private final WebSocketConnection connection;
    private final String what;
    private final int readTimeoutMillis;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** The data frame whose payload is being read, or null between frames. */
    private FrameHeader frame;
    /** Payload bytes of {@link #frame} already returned. */
    private long frameConsumed;
    /** True while a fragmented message has not seen its FIN frame. */
    private boolean inMessage;
    /** True once the server closed normally; reads return -1. */
    private volatile boolean endOfStream;
    /** Set once the stream failed; later reads rethrow it. */
    private volatile IOException failure;

    /**
     * @param what the operation and URI, for messages, e.g. {@code "FOLLOW http://h/p"}
     */
    WebSocketFollowInputStream(WebSocketConnection connection, String what, int readTimeoutMillis) {
        this.connection = connection;
        this.what = what;
        this.readTimeoutMillis = readTimeoutMillis;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n;
        do {
            n = read(one, 0, 1);
        } while (n == 0);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    /**
     * Reads up to {@code len} bytes of the current message, blocking until at least one byte is available
     * or the stream ends. Bytes of a message beyond {@code len} are returned by later reads. Pings received
     * meanwhile are answered with pongs.
     *
     * @return the number of bytes read, or -1 once the server closed the WebSocket with code 1000 or
     *     no code
     * @throws IOException if the stream was closed, the server closed with another code, the connection
     *     ended without a Close frame, the read timeout expired, or the server broke the protocol
     */
    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (closed.get()) {
            throw new IOException("stream closed");
        }
        IOException failed = failure;
        if (failed != null) {
            throw new IOException(failed.getMessage(), failed);
        }
        if (endOfStream) {
            return -1;
        }
        if (len == 0) {
            return 0;
        }
        try {
            return readMessageBytes(b, off, len);
        } catch (ServerClosedException e) {
            failure = e;
            throw e;
        } catch (IOException e) {
            if (closed.get()) {
                throw new IOException("stream closed", e);
            }
            if (e instanceof ProtocolException) {
                connection.trySendClose(CloseStatus.payload(CloseStatus.PROTOCOL_ERROR), CLOSE_LOCK_WAIT_MILLIS);
            }
            connection.closeSocket();
            IOException wrapped = Errors.withContext(what, e, readTimeoutMillis);
            failure = wrapped;
            throw wrapped;
        }
    }

    private int readMessageBytes(byte[] b, int off, int len) throws IOException {
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
                case WebSocketConnection.OP_TEXT:
                case WebSocketConnection.OP_BINARY:
                    if (inMessage) {
                        throw new ProtocolException("new WebSocket message started before the previous one ended");
                    }
                    startFrame(header);
                    break;
                case WebSocketConnection.OP_CONTINUATION:
                    if (!inMessage) {
                        throw new ProtocolException("WebSocket continuation frame outside of a message");
                    }
                    startFrame(header);
                    break;
                case WebSocketConnection.OP_PING:
                    byte[] ping = connection.readControlPayload(header);
                    connection.sendFrame(WebSocketConnection.OP_PONG, ping, 0, ping.length);
                    break;
                case WebSocketConnection.OP_PONG:
                    connection.skipPayload(header);
                    break;
                case WebSocketConnection.OP_CLOSE:
                    CloseStatus status = CloseStatus.parse(connection.readControlPayload(header));
                    connection.trySendClose(status.replyPayload(), CLOSE_LOCK_WAIT_MILLIS);
                    connection.closeSocket();
                    if (status.isNormal(false)) {
                        endOfStream = true;
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
    public int available() throws IOException {
        if (closed.get() || endOfStream || failure != null || frame == null) {
            return 0;
        }
        return (int) Math.min(frame.length() - frameConsumed, connection.available());
    }

    /**
     * Closes the stream: sends a Close frame with code 1000 (best effort, unless the WebSocket already
     * ended) and closes the socket. Idempotent; may be called from any thread. Does not wait for the
     * server.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (!endOfStream && failure == null) {
            connection.trySendClose(CloseStatus.payload(CloseStatus.NORMAL), CLOSE_LOCK_WAIT_MILLIS);
        }
        connection.closeSocket();
    }
}
