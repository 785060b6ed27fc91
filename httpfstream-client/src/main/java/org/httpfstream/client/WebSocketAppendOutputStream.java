package org.httpfstream.client;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bytes of an APPEND over WebSocket. Each {@code write} is sent at once as one or more complete TEXT
 * messages (at most {@link #MAX_MESSAGE} bytes each); nothing is buffered. A daemon thread reads the
 * server's frames, answers pings and notices when the server ends the WebSocket. The stream pings the
 * server once at the start: a server may ping an appender only once it has seen that it reads (the
 * original Go appender never reads, and unread pings make its socket reset on close, losing data), so
 * this first ping is what makes our server keep an idle appender's connection alive.
 *
 * <p>Writes are guarded by the connection's write lock, which the reader thread also takes to send pongs,
 * so frames never interleave. {@link #close()} may be called from any thread.
 */
final class WebSocketAppendOutputStream extends OutputStream {

    /**
     * The largest message sent; larger writes are split. Kept under the original Go server's 10 KiB write
     * buffer: it relays a bigger message to its followers as several frames, and the original Go follower
     * keeps only the first of them.
     */
    static final int MAX_MESSAGE = 8 * 1024;
    /** How long a failed write waits for the reader thread to learn why the server closed. */
    private static final long FAILURE_DETAIL_WAIT_MILLIS = 1000;

    private final WebSocketConnection connection;
    private final String what;
    private final long closeWaitMillis;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Counted down when the reader thread has stopped and {@link #ending} is set. */
    private final CountDownLatch readerDone = new CountDownLatch(1);
    /** Set (under the write lock) just before our Close frame is sent. */
    private volatile boolean closeSent;
    /** How the server side ended, set once by the reader thread; null while the connection is open. */
    private volatile Ending ending;

    /**
     * Starts the reader thread.
     *
     * @param what the operation and URI, for messages, e.g. {@code "APPEND http://h/p"}
     * @param closeWaitMillis how long {@link #close()} waits for the server to confirm the end, > 0
     */
    WebSocketAppendOutputStream(WebSocketConnection connection, String what, long closeWaitMillis) {
        this.connection = connection;
        this.what = what;
        this.closeWaitMillis = closeWaitMillis;
        Thread reader = new Thread(this::readServerFrames, "httpfstream-append-reader " + what);
        reader.setDaemon(true);
        reader.start();
        ReentrantLock lock = connection.writeLock();
        lock.lock();
        try {
            connection.sendFrameLocked(Opcode.PING, new byte[0], 0, 0);
        } catch (IOException e) {
            // The connection is gone already; the reader thread reports how it ended.
        } finally {
            lock.unlock();
        }
    }

    /**
     * How the server side of the connection ended.
     *
     * @param close the server's Close status, or null if the connection ended without a Close frame
     * @param error the read error, or null if the connection ended with a Close frame or cleanly
     * @param afterOurClose true if this happened after our Close frame was sent
     */
    private record Ending(CloseStatus close, IOException error, boolean afterOurClose) {
        /** True if every byte written before our Close frame is known to have been accepted. */
        boolean isClean() {
            if (close != null) {
                return close.isNormal(false);
            }
            // The original server drops the connection right after reading our Close frame.
            return error == null && afterOurClose;
        }

        String describe() {
            if (close != null) {
                return "server closed the connection with " + close.describe();
            }
            if (error != null) {
                return "connection failed: " + (error.getMessage() == null ? error.toString() : error.getMessage());
            }
            return "server closed the connection without a WebSocket Close frame";
        }
    }

    private void readServerFrames() {
        Ending result;
        try {
            while (true) {
                FrameHeader header = connection.readFrameHeader();
                if (header == null) {
                    result = new Ending(null, null, closeSent);
                    break;
                }
                if (header.opcode() == Opcode.PING) {
                    byte[] ping = connection.readControlPayload(header);
                    ReentrantLock lock = connection.writeLock();
                    lock.lock();
                    try {
                        if (!closeSent) {
                            connection.sendFrameLocked(Opcode.PONG, ping, 0, ping.length);
                        }
                    } finally {
                        lock.unlock();
                    }
                } else if (header.opcode() == Opcode.CLOSE) {
                    CloseStatus status = CloseStatus.parse(connection.readControlPayload(header));
                    boolean ours = closeSent;
                    result = new Ending(status, null, ours);
                    ending = result;
                    if (!ours) {
                        // The server ended the append: answer its Close, then nothing more can be sent.
                        connection.trySendClose(status.replyPayload(), closeWaitMillis);
                        connection.closeSocket();
                    }
                    break;
                } else {
                    // Pongs, and data the server has no reason to send, are ignored.
                    connection.skipPayload(header);
                }
            }
        } catch (IOException e) {
            result = new Ending(null, e, closeSent);
        } catch (RuntimeException | Error e) {
            result = new Ending(null, new IOException("reader thread failed", e), closeSent);
        }
        if (ending == null) {
            ending = result;
        }
        readerDone.countDown();
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    /**
     * Sends {@code len} bytes at once as one TEXT message (several if {@code len} exceeds 8 KiB). Blocks
     * until the bytes have been handed to the operating system, not until the server has stored them.
     *
     * @throws IOException {@code "stream closed"} after {@link #close()}; or if the server has closed the
     *     WebSocket or the connection (the message says how)
     */
    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (closed.get()) {
            throw new IOException("stream closed");
        }
        throwIfServerEnded();
        if (len == 0) {
            return;
        }
        IOException writeError = null;
        ReentrantLock lock = connection.writeLock();
        lock.lock();
        try {
            if (closed.get()) {
                throw new IOException("stream closed");
            }
            throwIfServerEnded();
            try {
                while (len > 0) {
                    int n = Math.min(len, MAX_MESSAGE);
                    connection.sendFrameLocked(Opcode.TEXT, b, off, n);
                    off += n;
                    len -= n;
                }
            } catch (IOException e) {
                writeError = e;
            }
        } finally {
            lock.unlock();
        }
        if (writeError != null) {
            if (closed.get()) {
                throw new IOException("stream closed", writeError);
            }
            // Give the reader thread a moment to see the server's Close frame, which says why.
            awaitReader(FAILURE_DETAIL_WAIT_MILLIS);
            Ending e = ending;
            connection.closeSocket();
            throw new IOException(what + ": connection lost while writing ("
                    + (e == null ? String.valueOf(writeError.getMessage()) : e.describe()) + ")", writeError);
        }
    }

    private void throwIfServerEnded() throws IOException {
        Ending e = ending;
        if (e != null) {
            throw new IOException(what + ": cannot write, " + e.describe(), e.error());
        }
    }

    /** Does nothing: every write is sent at once. */
    @Override
    public void flush() {
        // nothing is buffered
    }

    /**
     * Ends the append: sends a Close frame with code 1000, waits (up to the read timeout, or 30 s if there
     * is none) for the server to answer with its own Close frame or to drop the connection, then closes the
     * socket. Blocks while waiting. Idempotent: later calls return at once without throwing. May be called
     * from any thread.
     *
     * @throws IOException if the server closed with a code other than 1000, dropped the connection before
     *     our Close, or did not answer in time; in all these cases the last bytes written may not have been
     *     stored
     */
    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            if (ending == null) {
                sendOurClose();
            }
            if (!awaitReader(closeWaitMillis)) {
                throw new IOException(what + ": the server did not confirm the end of the append within "
                        + Errors.describeMillis(closeWaitMillis) + "; the last bytes may not have been stored");
            }
            Ending e = ending;
            if (!e.isClean()) {
                throw new IOException(what + ": append did not end cleanly, " + e.describe()
                        + "; the last bytes may not have been stored", e.error());
            }
        } finally {
            connection.closeSocket();
        }
    }

    private void sendOurClose() throws IOException {
        ReentrantLock lock = connection.writeLock();
        boolean locked;
        try {
            locked = lock.tryLock(closeWaitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            connection.closeSocket();
            throw new InterruptedIOException(what + ": interrupted while closing");
        }
        if (!locked) {
            connection.closeSocket();
            throw new IOException(what + ": could not send the WebSocket Close frame: a write has been blocked for "
                    + Errors.describeMillis(closeWaitMillis));
        }
        try {
            if (ending == null) {
                closeSent = true;
                byte[] payload = CloseStatus.payload(CloseStatus.NORMAL);
                connection.sendFrameLocked(Opcode.CLOSE, payload, 0, payload.length);
            }
        } catch (IOException e) {
            // The connection is gone; the reader thread will report how it ended.
        } finally {
            lock.unlock();
        }
    }

    private boolean awaitReader(long millis) throws InterruptedIOException {
        try {
            return readerDone.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            connection.closeSocket();
            throw new InterruptedIOException(what + ": interrupted while waiting for the server");
        }
    }
}
