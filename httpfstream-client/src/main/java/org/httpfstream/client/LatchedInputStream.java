package org.httpfstream.client;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The read skeleton of the client's input streams (a followed stream, the bytes of a WebSocket FOLLOW, the
 * body of a plain HTTP response): three states that latch once reached, checked in the same order before
 * every read.
 * <ul>
 *   <li>Closed: {@code read} throws {@code IOException("stream closed")}, also a read that was blocked when
 *       another thread closed the stream.</li>
 *   <li>Failed: a stream stays failed; every later {@code read} throws an IOException with the message of
 *       the first failure (and that failure as its cause).</li>
 *   <li>Ended: once {@link #readSome} returned -1, every later {@code read} returns -1.</li>
 * </ul>
 * A subclass supplies {@link #readSome} (the bytes), {@link #failed} (what a failure becomes, and what it
 * must close), {@link #availableNow} and {@link #closing}, and may react to the end in {@link #ended()}.
 * Written here rather than taken from a library: the JDK has no such base, and the latching rules are the
 * client's documented contract.
 *
 * <p>Thread safety: reading is not thread safe (one thread at a time reads); {@link #close()} and the
 * state queries may be called from any thread. The three states are an atomic flag and two volatile
 * fields, each written once.
 */
abstract class LatchedInputStream extends InputStream {

    /** Set once by {@link #close()}. */
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set once the stream failed; later reads rethrow it. Written only by the reading thread. */
    private volatile IOException failure;
    /** True once {@link #readSome} returned -1. Written only by the reading thread. */
    private volatile boolean endOfStream;

    /**
     * Reads one byte, blocking until it is available or the stream ends.
     *
     * @return the byte (0 to 255), or -1 at the end of the stream
     * @throws IOException as {@link #read(byte[], int, int)}
     */
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
     * Reads up to {@code len} bytes, blocking until at least one byte is available or the stream ends.
     *
     * @return the number of bytes read (0 only if {@code len} is 0), or -1 at the end of the stream
     * @throws IOException if the stream was closed, has failed before, or fails now
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
            int n = readSome(b, off, len);
            if (n < 0) {
                endOfStream = true;
                ended();
            }
            return n;
        } catch (IOException e) {
            if (closed.get()) {
                throw new IOException("stream closed", e);
            }
            IOException recorded = failed(e);
            failure = recorded;
            throw recorded;
        }
    }

    /**
     * Returns the number of bytes that can be read without blocking (possibly fewer); 0 once the stream is
     * closed, failed or ended.
     */
    @Override
    public int available() throws IOException {
        if (closed.get() || endOfStream || failure != null) {
            return 0;
        }
        return availableNow();
    }

    /**
     * Closes the stream; idempotent, and may be called from any thread. Does not wait for the server.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            closing();
        }
    }

    /** True once {@link #close()} was called. */
    final boolean isClosed() {
        return closed.get();
    }

    /** True once the stream has ended or failed: its connection has nothing more to say. */
    final boolean isFinished() {
        return endOfStream || failure != null;
    }

    /**
     * Reads at least one byte of at most {@code len} (never called with 0), blocking as needed.
     *
     * @return the number of bytes read, or -1 at the end of the stream
     * @throws IOException if reading fails; passed to {@link #failed} unless the stream was closed meanwhile
     */
    abstract int readSome(byte[] b, int off, int len) throws IOException;

    /**
     * Called by the reading thread when a read failed with {@code e} while the stream was open; releases what
     * must be released and returns the exception to throw, which every later read rethrows.
     */
    abstract IOException failed(IOException e);

    /** The number of bytes readable without blocking, while the stream is open, not failed and not ended. */
    abstract int availableNow() throws IOException;

    /** Called once, by the first {@link #close()}: releases the connection. */
    abstract void closing();

    /** Called by the reading thread when {@link #readSome} first returned -1; does nothing by default. */
    void ended() {
        // nothing to release by default
    }
}
