package org.httpfstream.client;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An APPEND over WebSocket that survives the loss of its connection (see {@link
 * HttpFStreamClient#openResumableAppend} for the contract). It asks the server for committed offsets
 * ({@code Stream-Append-Acks: true}); the server answers the upgrade with where the append starts
 * ({@code Stream-Next-Offset}) and then sends TEXT messages with the committed length of the stream. Every
 * byte written and not yet reported committed stays in a ring buffer of fixed size; a write that finds it
 * full blocks until the server reports commits (back-pressure: nothing is ever dropped).
 *
 * <p>When the connection is lost (reset, end of stream, no frame within the read timeout, a Close other
 * than the ones that refuse the append), the next write or {@link #close()} reconnects: to the next
 * server of the list, with a backoff from 50 ms doubling to 2 s, for at most the resume timeout. It opens
 * with {@code Stream-Expected-Offset} = the first byte it holds. A 409 says the stream is longer (the
 * server had committed bytes whose report was lost): the bytes below that length are dropped and the open
 * is tried again at once with that length, so the stream gets every byte once, without gap. A length
 * outside what the buffer holds means another writer appended meanwhile: that ends the append with an
 * error. A 403 (the dead connection's lease is not yet released) is retried like a connection failure.
 *
 * <p>A server that does not report commits (the 101 has no {@code Stream-Next-Offset}: the original Go
 * server) gets a plain append: nothing is buffered and a lost connection is an error, as with {@link
 * WebSocketAppendOutputStream}.
 *
 * <p>This class is written by hand rather than on a WebSocket library because the library would not let
 * us keep the unacknowledged bytes and resend them on another connection at a chosen offset.
 *
 * <p>Thread safety: {@code writer} serialises {@link #write} and {@link #close()} (close may come from
 * another thread and waits for a write in progress). Guarded by {@code lock}: the ring ({@code head},
 * {@code count}, {@code base}, {@code start}), {@code link}, {@code failure}, {@code tracking}; each
 * connection's reader thread takes it to record commits and the loss of its connection. Only the holder
 * of {@code writer}: {@code sent}, {@code closed}, {@code nextServer}. No socket I/O under {@code lock}.
 */
final class ResumableAppendOutputStream extends OutputStream {
    static final String APPEND_ACKS = "Stream-Append-Acks";
    static final String EXPECTED_OFFSET = "Stream-Expected-Offset";
    static final long FIRST_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final List<URI> servers;
    private final Settings settings;
    private final long closeWaitMillis;
    private final String what;
    private final ReentrantLock writer = new ReentrantLock();
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled on every commit report, lost connection and failure. */
    private final Condition changed = lock.newCondition();

    private final byte[] ring;
    /** Index in {@code ring} of the byte at offset {@code base}. Guarded by lock. */
    private int head;
    /** Bytes held, from {@code base}. Guarded by lock. */
    private int count;
    /** Stream offset of the first byte held: every byte of this append below it is committed. Guarded by lock. */
    private long base;
    /** Stream offset of the first byte of this append. Guarded by lock. */
    private long start;
    /** The current connection, null while there is none. Guarded by lock. */
    private Link link;
    /** Why the append ended, once it has failed. Guarded by lock. */
    private IOException failure;
    /** True if the server reports commits (the bytes are kept until then). Guarded by lock. */
    private boolean tracking;

    /** Stream offset up to which the bytes held were sent on {@code link}. Only the writer. */
    private long sent;
    private boolean closed;
    private int nextServer;

    /**
     * Opens the append on the first server of {@code servers} that accepts it (each tried once).
     *
     * @param bufferSize the most bytes held unacknowledged, > 0
     */
    ResumableAppendOutputStream(List<URI> servers, Settings settings, int bufferSize, long closeWaitMillis)
            throws IOException {
        this.servers = List.copyOf(servers);
        this.settings = settings;
        this.ring = new byte[bufferSize];
        this.closeWaitMillis = closeWaitMillis;
        this.what = "APPEND " + servers.get(0);
        IOException last = null;
        for (int i = 0; i < this.servers.size(); i++) {
            try {
                connect(this.servers.get(i), -1);
                nextServer = i;
                return;
            } catch (WriterConflictException | NoSuchFileException | NotAuthorizedException e) {
                throw e; // a refusal, not a dead server
            } catch (IOException e) {
                last = e;
            }
        }
        throw last;
    }

    /** One connection and its reader thread. */
    private final class Link {
        final WebSocketConnection connection;
        final URI uri;
        final CountDownLatch done = new CountDownLatch(1);
        /** Set under the connection's write lock just before our Close frame. */
        volatile boolean closeSent;
        /** The server's Close, null if none came. Set by the reader before {@code done}. */
        volatile CloseStatus close;

        Link(WebSocketConnection connection, URI uri) {
            this.connection = connection;
            this.uri = uri;
        }

        void start() {
            Thread reader = new Thread(this::read, "httpfstream-resumable-append-reader " + uri);
            reader.setDaemon(true);
            reader.start();
            try { // our ping lets the server ping us: a silent dead connection is then noticed
                connection.sendFrame(Opcode.PING, new byte[0], 0, 0);
            } catch (IOException e) {
                connection.closeSocket(); // the reader reports the loss
            }
        }

        private void read() {
            try {
                for (;;) {
                    FrameHeader h = connection.readFrameHeader();
                    if (h == null) {
                        break;
                    }
                    if (h.opcode() == Opcode.PING) {
                        byte[] ping = connection.readControlPayload(h);
                        ReentrantLock w = connection.writeLock();
                        w.lock();
                        try {
                            if (!closeSent) {
                                connection.sendFrameLocked(Opcode.PONG, ping, 0, ping.length);
                            }
                        } finally {
                            w.unlock();
                        }
                    } else if (h.opcode() == Opcode.TEXT && h.fin() && h.length() <= WebSocketConnection.MAX_CONTROL_PAYLOAD) {
                        String token = new String(connection.readControlPayload(h), StandardCharsets.US_ASCII);
                        long committed = FollowInputStream.parseOffset(token);
                        if (committed >= 0) {
                            committed(committed);
                        }
                    } else if (h.opcode() == Opcode.CLOSE) {
                        CloseStatus status = CloseStatus.parse(connection.readControlPayload(h));
                        close = status;
                        if (!closeSent) {
                            connection.trySendClose(status.replyPayload(), closeWaitMillis);
                            if (refuses(status)) {
                                fail(new IOException(what + ": the server ended the append with " + status.describe()
                                        + "; " + committedSummary()));
                            }
                        }
                        break;
                    } else {
                        connection.skipPayload(h);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // the connection is lost; the writer reconnects
            } finally {
                connection.closeSocket();
                done.countDown();
                lost(this);
            }
        }
    }

    /** True for a server Close that refuses the bytes themselves (resending them would be refused again). */
    private static boolean refuses(CloseStatus status) {
        int c = status.code();
        return c == 1002 || c == 1003 || c == 1007 || c == 1008 || c == 1009;
    }

    /** The server reports the stream committed up to {@code length}: the bytes below are dropped. */
    private void committed(long length) {
        lock.lock();
        try {
            drop(length);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Drops the bytes held below {@code length}; under lock. */
    private void drop(long length) {
        if (length <= base) {
            return;
        }
        int n = (int) Math.min(length - base, count);
        head = (head + n) % ring.length;
        count -= n;
        base += n;
    }

    private void lost(Link l) {
        lock.lock();
        try {
            if (link == l) {
                link = null;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void fail(IOException e) {
        lock.lock();
        try {
            if (failure == null) {
                failure = e;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Throws the failure, if any; under lock. */
    private void throwIfFailed() throws IOException {
        if (failure != null) {
            throw new IOException(failure.getMessage(), failure);
        }
    }

    /** How many bytes of this append are committed and how many are not; under lock. */
    private String committedSummary() {
        lock.lock();
        try {
            return (base - start) + " bytes of this append are committed (the stream is " + base + " bytes long), "
                    + count + " held bytes are not";
        } finally {
            lock.unlock();
        }
    }

    /**
     * Opens an APPEND at {@code uri} that expects the stream to be {@code expected} bytes long (-1: the
     * first open, wherever the stream ends), and makes it the current connection.
     */
    private void connect(URI uri, long expected) throws IOException {
        List<String> headers = new ArrayList<>(2);
        headers.add(APPEND_ACKS + ": true");
        if (expected >= 0) {
            headers.add(EXPECTED_OFFSET + ": " + FollowInputStream.formatOffset(expected));
        }
        Handshake.Opened opened = Handshake.open(uri, Handshake.Verb.APPEND, null, false, settings, null, headers);
        WebSocketConnection c = opened.webSocket();
        long at = FollowInputStream.parseOffset(opened.head().header(OffsetMismatchException.NEXT_OFFSET));
        Link l = new Link(c, uri);
        lock.lock();
        try {
            if (expected < 0) {
                tracking = at >= 0;
                base = Math.max(0, at);
                start = base;
            } else if (at != expected) {
                c.closeSocket();
                throw new IOException(what + ": " + uri + " accepted the append at " + at + " instead of "
                        + expected + " (no commit reports or no compare-and-append)");
            }
            c.readTimeout(tracking ? settings.readTimeoutMillis() : 0);
            link = l;
            sent = base;
        } finally {
            lock.unlock();
        }
        l.start();
    }

    /** Makes sure there is a connection: reconnects as the class comment says, or fails. Holds {@code writer}. */
    private Link ensureLink() throws IOException {
        long deadline = System.nanoTime() + settings.resumeTimeoutNanos();
        long backoff = FIRST_BACKOFF_NANOS;
        IOException last = null;
        for (;;) {
            long expected;
            lock.lock();
            try {
                throwIfFailed();
                if (link != null) {
                    return link;
                }
                if (!tracking) {
                    failure = new IOException(what + ": connection lost; the server does not report committed "
                            + "offsets, so the append cannot resume: the last bytes sent may not have been stored");
                    throwIfFailed();
                }
                expected = base;
            } finally {
                lock.unlock();
            }
            URI uri = servers.get(nextServer % servers.size());
            try {
                connect(uri, expected);
                continue;
            } catch (OffsetMismatchException m) {
                lock.lock();
                try {
                    if (m.length() < base || m.length() > base + count) {
                        failure = new IOException(what + ": cannot resume at " + uri + ": the stream is " + m.length()
                                + " bytes long, outside the bytes this append holds (" + base + " to " + (base + count)
                                + "): another writer changed it; " + committedSummary());
                        throwIfFailed();
                    }
                    drop(m.length()); // committed, but the report was lost
                } finally {
                    lock.unlock();
                }
                continue;
            } catch (NoSuchFileException | NotAuthorizedException e) {
                fail(new IOException(what + ": cannot resume at " + uri + ": " + e.getMessage() + "; "
                        + committedSummary(), e));
                continue;
            } catch (IOException e) {
                last = e;
                nextServer++;
            }
            long now = System.nanoTime();
            if (now - deadline + backoff > 0) {
                fail(new IOException(what + ": gave up resuming after " + Errors.describeMillis(
                        TimeUnit.NANOSECONDS.toMillis(settings.resumeTimeoutNanos())) + " (last: " + last.getMessage()
                        + "); " + committedSummary(), last));
                continue;
            }
            lock.lock();
            try {
                long left = backoff;
                while (left > 0 && failure == null) {
                    left = changed.awaitNanos(left); // a retry delay; woken early only by a failure
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException(what + ": interrupted while reconnecting");
            } finally {
                lock.unlock();
            }
            backoff = Math.min(backoff * 2, MAX_BACKOFF_NANOS);
        }
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    /**
     * Takes {@code len} bytes into the buffer and sends them; blocks while the buffer is full (until the
     * server reports commits) and while reconnecting.
     */
    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        writer.lock();
        try {
            if (closed) {
                throw new IOException("stream closed");
            }
            while (len > 0) {
                int n = 0;
                boolean reconnect = false;
                lock.lock();
                try {
                    throwIfFailed();
                    while (count == ring.length && link != null && failure == null) {
                        changed.await(); // full: back-pressure until commits are reported
                    }
                    throwIfFailed();
                    if (count < ring.length) {
                        n = Math.min(len, ring.length - count);
                        int at = (head + count) % ring.length;
                        int first = Math.min(n, ring.length - at);
                        System.arraycopy(b, off, ring, at, first);
                        System.arraycopy(b, off + first, ring, 0, n - first);
                        count += n;
                    } else {
                        reconnect = true; // full and no connection: the bytes held must go first
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException(what + ": interrupted while waiting for commits");
                } finally {
                    lock.unlock();
                }
                off += n;
                len -= n;
                if (reconnect) {
                    ensureLink();
                }
                sendHeld();
            }
        } finally {
            writer.unlock();
        }
    }

    /** Sends every byte held that was not sent on the current connection, reconnecting as needed. */
    private void sendHeld() throws IOException {
        byte[] chunk = new byte[WebSocketAppendOutputStream.MAX_MESSAGE];
        for (;;) {
            Link l = ensureLink();
            int n;
            lock.lock();
            try {
                if (link != l) {
                    continue;
                }
                sent = Math.max(sent, base);
                long end = base + count;
                if (sent >= end) {
                    return;
                }
                n = (int) Math.min(chunk.length, end - sent);
                int at = (int) ((head + (sent - base)) % ring.length);
                int first = Math.min(n, ring.length - at);
                System.arraycopy(ring, at, chunk, 0, first);
                System.arraycopy(ring, 0, chunk, first, n - first);
            } finally {
                lock.unlock();
            }
            try {
                l.connection.sendFrame(Opcode.TEXT, chunk, 0, n);
                sent += n;
                if (!tracking()) {
                    committed(sent); // nothing is kept for a server that does not report commits
                }
            } catch (IOException e) {
                l.connection.closeSocket();
                awaitReader(l);
                lost(l);
            }
        }
    }

    private boolean tracking() {
        lock.lock();
        try {
            return tracking;
        } finally {
            lock.unlock();
        }
    }

    private void awaitReader(Link l) throws InterruptedIOException {
        try {
            l.done.await(closeWaitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(what + ": interrupted");
        }
    }

    /** Does nothing: every write is sent at once. */
    @Override
    public void flush() {
        // nothing waits to be sent
    }

    /**
     * Ends the append once every byte is committed: sends what is held, then a Close frame, and waits for
     * the server's Close 1000 (which it sends once every byte is committed); a connection lost meanwhile is
     * resumed as in a write. Idempotent; may be called from any thread (it waits for a write in progress).
     */
    @Override
    public void close() throws IOException {
        writer.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            for (;;) {
                lock.lock();
                try {
                    throwIfFailed();
                    if (tracking && count == 0 && link == null) {
                        return; // every byte is reported committed; the session ended with the connection
                    }
                } finally {
                    lock.unlock();
                }
                sendHeld();
                Link l = ensureLink();
                ReentrantLock w = l.connection.writeLock();
                w.lock();
                try {
                    l.closeSent = true;
                    byte[] payload = CloseStatus.payload(CloseStatus.NORMAL);
                    l.connection.sendFrameLocked(Opcode.CLOSE, payload, 0, payload.length);
                } catch (IOException e) {
                    l.connection.closeSocket(); // lost: resumed below
                } finally {
                    w.unlock();
                }
                awaitReader(l);
                l.connection.closeSocket();
                CloseStatus status = l.close;
                if (status != null && status.isNormal(false)) {
                    lock.lock();
                    try {
                        drop(base + count); // Close 1000 comes once every byte is committed
                    } finally {
                        lock.unlock();
                    }
                    return;
                }
                if (status != null && !tracking()) {
                    throw new IOException(what + ": append did not end cleanly, the server closed the connection with "
                            + status.describe() + "; the last bytes may not have been stored");
                }
                lost(l); // resumed by the next round
            }
        } finally {
            lock.lock();
            try {
                if (link != null) {
                    link.connection.closeSocket();
                }
            } finally {
                lock.unlock();
            }
            writer.unlock();
        }
    }

    /** Bytes of this append reported committed so far. */
    long committed() {
        lock.lock();
        try {
            return base - start;
        } finally {
            lock.unlock();
        }
    }
}
