package org.httpfstream.client;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ProtocolException;
import java.net.Socket;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.util.HexFormat;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The bytes of a followed stream, as returned by {@link HttpFStreamClient#follow(URI, String)}: what was
 * written from the requested position on, then every new byte as the appender writes it, until the
 * appender has ended (then {@code read} returns -1).
 *
 * <p><b>Offsets.</b> A server that supports offsets tells, in the response header {@code Stream-Offset},
 * at which position of the stream the bytes it sends begin. {@link #offset()} is then the offset of the
 * next byte {@code read} will return: that start plus every byte returned to the caller so far, exact
 * even in the middle of a WebSocket message. The httpfstream server's offsets are 16 lowercase
 * hexadecimal digits of the byte position ({@code 0000000000000400} is byte 1024); a
 * {@code Stream-Offset} in any other form is treated as absent. The original Go server sends no
 * {@code Stream-Offset}; {@link #offset()} then returns null.
 *
 * <p><b>Automatic resume.</b> If the server supports offsets and the connection ends abnormally — it
 * closes without a WebSocket Close frame or in the middle of a response body, fails with a socket
 * error, sends nothing for longer than the read timeout, or the server closes the WebSocket with code
 * 1001 (going away, as a server does when it shuts down) — the stream reconnects with the query
 * parameter {@code offset=<offset()>} and goes on with the next byte: nothing is lost and nothing is
 * repeated, and a {@code read} blocked meanwhile just goes on blocking. If the appender has ended by
 * then, the server answers with the rest of the stored file (HTTP 200), which this stream yields before
 * -1. The first reconnect is attempted at once; after a failed attempt, or after a reconnect that
 * delivered no byte before it failed as well, the stream waits 100 ms, doubling up to 2 s, between
 * attempts. It gives up with an IOException that names the URI, the offset and the last cause once the
 * client's {@linkplain HttpFStreamClient.Builder#resumeTimeout(java.time.Duration) resume timeout} has
 * passed without a successful reconnect (a successful one starts the next wait afresh). A reconnect
 * answered with HTTP 404 (the stream was deleted) fails the stream with {@link NoSuchFileException};
 * one answered with another 4xx status, or with a {@code Stream-Offset} other than the one asked for
 * (or none), fails it at once; 5xx answers and connection failures are retried. Nothing is resumed when
 * the server closed the WebSocket with a code other than 1000 (end of stream) or 1001 (such as 1011 or
 * 1009), broke the protocol, or does not support offsets: {@code read} then fails as it did before
 * resuming existed.
 *
 * <p><b>Behind a proxy.</b> A proxy that does not pass the WebSocket upgrade (a plain {@code proxy_pass}
 * without the {@code Upgrade} and {@code Connection} headers) makes the server answer with HTTP 200 and
 * the bytes written so far; its header {@code Stream-Writer-Active: true} says that the append goes on.
 * Such a body is not the end of the stream: when it ends, the stream reconnects from {@link #offset()}
 * with the query parameter {@code follow} added, which asks for a live chunked body (it streams through
 * such a proxy; a server reached with the upgrade still upgrades). Every later reconnect keeps {@code
 * follow}. A live body that ends cleanly (a proxy that times out an idle response ends it with the last
 * chunk and without the server's {@code Stream-Next-Offset} trailer) is not taken for the end either:
 * the stream reconnects, and only a response with {@code Stream-Writer-Active: false} (or a WebSocket
 * Close 1000) ends it. Without offsets, or if the answer to {@code follow} is again the bytes so far
 * ({@code Content-Length} and {@code Stream-Writer-Active: true}), {@code read} fails with an
 * IOException whose message names the proxy, instead of ending early with a partial copy.
 *
 * <p><b>Errors.</b> A failed stream stays failed: later reads throw an IOException with the same
 * message. {@code read} after {@link #close()} throws {@code IOException("stream closed")}.
 *
 * <p><b>Thread safety:</b> not thread safe for reading: read from one thread at a time. {@link #offset()} and
 * {@link #close()} may be called from any thread; close makes a {@code read} blocked in another thread
 * (also one waiting to resume) fail.
 */
public final class FollowInputStream extends LatchedInputStream {

    /** The wait after the first failed reconnect attempt. */
    static final long FIRST_BACKOFF_MILLIS = 100;
    /** The longest wait between reconnect attempts. */
    static final long MAX_BACKOFF_MILLIS = 2000;
    /** Number of hexadecimal digits in the httpfstream offset format. */
    static final int OFFSET_DIGITS = 16;

    private static final HexFormat HEX = HexFormat.of();

    private final URI uri;
    private final String what;
    /** The token, the https socket factory and the timeouts; a resume timeout of 0 disables resuming. */
    private final Settings settings;
    /** Counted down by {@link #close()}, to end a wait between reconnect attempts. */
    private final CountDownLatch closeSignal = new CountDownLatch(1);

    /** The current connection's bytes; replaced by the reading thread when it resumes. */
    private volatile InputStream source;
    /** The socket of a reconnect in progress, so that close() can abort it; null otherwise. */
    private volatile Socket connecting;
    /**
     * The position of the next byte to return, or -1 if the server does not report offsets. Written only
     * by the reading thread.
     */
    private volatile long position;
    /** The {@code Stream-Next-Offset} of the current HTTP 200 body, or -1 (WebSocket, or not reported). */
    private long bodyEnd;
    /**
     * True if the current connection is an HTTP 200 body with {@code Stream-Writer-Active: true}: its end
     * is not the end of the stream. Written only by the reading thread.
     */
    private boolean liveBody;
    /** True if that body has a {@code Content-Length}: the bytes so far, not a live read. */
    private boolean snapshotBody;
    /** True once reconnects ask for a live plain-HTTP read ({@code ?follow}). Reading thread only. */
    private boolean followParam;
    /** True once the current connection has returned a byte. */
    private boolean deliveredSinceConnect;
    /** The wait before the next reconnect attempt; 0 means at once. */
    private long backoffMillis;
    /** The HTTP status with which the last reconnect attempt was refused, or 0. */
    private int rejectedStatus;

    private FollowInputStream(URI uri, Settings settings) {
        this.uri = uri;
        this.what = "FOLLOW " + uri;
        this.settings = settings;
    }

    /**
     * Sends the FOLLOW request for {@code uri} from {@code offset} and returns the stream of the response.
     *
     * @param offset the offset to start at, or null to send no offset (from the start)
     * @param settings the token, the https socket factory and the timeouts; a resume timeout of 0 disables
     *     resuming
     * @throws ProtocolException if {@code offset} is in the httpfstream format and the server reported
     *     another start
     * @throws IOException as {@link Handshake#open}
     */
    static FollowInputStream open(URI uri, String offset, Settings settings) throws IOException {
        FollowInputStream stream = new FollowInputStream(uri, settings);
        Handshake.Opened opened = Handshake.open(uri, Handshake.Verb.FOLLOW, offset, false, settings, null);
        long start = parseOffset(opened.head().header("Stream-Offset"));
        long asked = parseOffset(offset);
        if (asked >= 0 && start >= 0 && start != asked) {
            closeQuietly(opened);
            throw new ProtocolException(stream.what + ": asked for offset " + offset
                    + " but the server sent Stream-Offset " + formatOffset(start));
        }
        stream.position = start;
        stream.install(opened);
        return stream;
    }

    /**
     * Returns the offset of the next byte {@link #read()} will return: the server's start offset
     * ({@code Stream-Offset}) plus the number of bytes returned so far. After the end of the stream it is
     * the offset after the last byte, which is where a follower started later with it would continue.
     *
     * <p>Thread safe; the value read from another thread may lag behind a concurrent read.
     *
     * @return 16 lowercase hexadecimal digits of the byte position, or null if the server did not send
     *     {@code Stream-Offset} (a server without offsets, such as the original Go server, which also
     *     ignores the requested offset and sends the stream from its start)
     */
    public String offset() {
        long p = position;
        return p < 0 ? null : formatOffset(p);
    }

    /**
     * Reads up to {@code len} bytes, blocking until at least one byte is available or the stream ends;
     * resumes on a new connection meanwhile when the current one ends abnormally (see the class
     * description).
     *
     * @return the number of bytes read, or -1 once the appender has ended and every byte has been read
     * @throws NoSuchFileException if the stream was deleted while resuming (HTTP 404)
     * @throws java.net.SocketTimeoutException if the server sent nothing within the read timeout and the
     *     stream cannot be resumed
     * @throws IOException if the stream was closed, the connection ended abnormally and the stream cannot
     *     be resumed or resuming failed or timed out, the server closed with an error code, or the server
     *     broke the protocol
     */
    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        return super.read(b, off, len);
    }

    /** The bytes of the current connection; resumes on a new one when it ends abnormally. */
    @Override
    int readSome(byte[] b, int off, int len) throws IOException {
        while (true) {
            int n;
            try {
                n = source.read(b, off, len);
            } catch (IOException e) {
                if (isClosed() || !isResumable(e)) {
                    throw e;
                }
                resume(e);
                continue;
            }
            if (n >= 0) {
                if (n > 0 && position >= 0) {
                    position += n;
                    deliveredSinceConnect = true;
                }
                return n;
            }
            if (bodyEnd >= 0 && position >= 0 && position != bodyEnd) {
                if (position > bodyEnd) {
                    throw new ProtocolException(what + ": response body went past its Stream-Next-Offset "
                            + formatOffset(bodyEnd) + " to " + formatOffset(position));
                }
                resume(new EOFException(what + ": response body ended at offset " + formatOffset(position)
                        + ", before its Stream-Next-Offset " + formatOffset(bodyEnd)));
                continue;
            }
            if (!liveBody) {
                return -1;
            }
            liveBodyEnded();
        }
    }

    /** A failure is thrown as it is: the failed connection closed itself, and the message names the operation. */
    @Override
    IOException failed(IOException e) {
        return e;
    }

    /**
     * Returns the number of bytes that can be read without blocking (possibly fewer); 0 while resuming.
     */
    @Override
    int availableNow() throws IOException {
        return source.available();
    }

    /**
     * Ends the current connection (a WebSocket with Close 1000, best effort) and stops any reconnect in
     * progress.
     */
    @Override
    void closing() {
        closeSignal.countDown();
        Socket s = connecting;
        if (s != null) {
            closeQuietly(s);
        }
        closeSource();
    }

    // ---------------------------------------------------------------- resuming

    /** True if the current connection's failure {@code e} may be resumed from (when offsets are known). */
    private static boolean isResumable(IOException e) {
        if (e instanceof ServerClosedException) {
            CloseStatus status = ((ServerClosedException) e).status();
            return status != null && status.code() == CloseStatus.GOING_AWAY;
        }
        return !(e instanceof ProtocolException);
    }

    /**
     * True if a reconnect attempt that failed with {@code e} may be tried again.
     *
     * @param status the HTTP status of the response that was rejected, or 0 if there was none
     */
    private static boolean isRetryable(IOException e, int status) {
        if (status != 0) {
            return status >= 500;
        }
        return !(e instanceof ProtocolException);
    }

    /**
     * Replaces the failed connection with a new one from {@link #position}, or fails the stream.
     *
     * @param cause why the current connection ended
     * @throws IOException {@code cause} if the stream cannot be resumed; otherwise why resuming failed
     */
    private void resume(IOException cause) throws IOException {
        closeSource();
        if (position < 0 || settings.resumeTimeoutNanos() == 0) {
            throw cause;
        }
        if (deliveredSinceConnect) {
            backoffMillis = 0;
        }
        long deadline = System.nanoTime() + settings.resumeTimeoutNanos();
        IOException last = cause;
        while (true) {
            if (backoffMillis > 0) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                pause(Math.max(0, Math.min(backoffMillis, left)));
            }
            backoffMillis = backoffMillis == 0 ? FIRST_BACKOFF_MILLIS : Math.min(backoffMillis * 2, MAX_BACKOFF_MILLIS);
            try {
                reconnect();
                return;
            } catch (IOException e) {
                if (isClosed()) {
                    throw new IOException("stream closed", e);
                }
                if (!isRetryable(e, rejectedStatus)) {
                    if (e != cause) {
                        e.addSuppressed(cause);
                    }
                    throw e;
                }
                last = e;
            }
            if (System.nanoTime() - deadline >= 0) {
                String detail = last.getMessage() == null ? last.getClass().getSimpleName() : last.getMessage();
                IOException gaveUp = new IOException(what + ": could not resume at offset " + formatOffset(position)
                        + " within " + Errors.describeMillis(TimeUnit.NANOSECONDS.toMillis(settings.resumeTimeoutNanos()))
                        + "; last failure: " + detail, last);
                if (last != cause) {
                    gaveUp.addSuppressed(cause);
                }
                throw gaveUp;
            }
        }
    }

    /**
     * The current body said {@code Stream-Writer-Active: true} and has ended: the append goes on, so
     * this is not the end of the stream. Goes on with a live plain-HTTP read ({@code ?follow}) from
     * {@link #position}, or fails with a message that names the proxy.
     */
    private void liveBodyEnded() throws IOException {
        String at = position < 0 ? "" : " at offset " + formatOffset(position);
        if (snapshotBody && followParam) {
            throw new IOException(what + ": the append goes on (Stream-Writer-Active: true), but the answer"
                    + " to ?follow" + at + " was again only the bytes so far: a proxy in between drops the"
                    + " WebSocket upgrade and does not stream ?follow; pass the Upgrade and Connection"
                    + " headers through it");
        }
        IOException ended = snapshotBody
                ? new IOException(what + ": got the bytes so far" + at + " over plain HTTP (200, Stream-Writer-Active:"
                        + " true) instead of a WebSocket while the append goes on: a proxy in between probably"
                        + " dropped the upgrade (it must pass the Upgrade and Connection headers)")
                : new EOFException(what + ": the live response ended" + at + " while the append goes on"
                        + " (Stream-Writer-Active: true): cut by a proxy's read timeout?");
        if (position < 0) {
            throw new IOException(ended.getMessage() + "; the server reports no offsets to resume from");
        }
        followParam = true;
        resume(ended);
    }

    /** Waits {@code millis}, unless the stream is closed meanwhile. */
    private void pause(long millis) throws IOException {
        try {
            if (closeSignal.await(millis, TimeUnit.MILLISECONDS)) {
                throw new IOException("stream closed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(what + ": interrupted while waiting to resume at offset "
                    + formatOffset(position));
        }
    }

    /**
     * Sends the FOLLOW request from {@link #position} and makes its response the current connection.
     *
     * @throws ProtocolException if the response's {@code Stream-Offset} is not the one asked for
     */
    private void reconnect() throws IOException {
        String token = formatOffset(position);
        rejectedStatus = 0;
        Handshake.Opened opened;
        try {
            opened = Handshake.open(uri, Handshake.Verb.FOLLOW, token, followParam, settings,
                    new Handshake.Observer() {
                        @Override
                        public void socketCreated(Socket socket) {
                            connecting = socket;
                            if (isClosed()) {
                                closeQuietly(socket);
                            }
                        }

                        @Override
                        public void rejected(int status) {
                            rejectedStatus = status;
                        }
                    });
        } finally {
            connecting = null;
        }
        String start = opened.head().header("Stream-Offset");
        if (!token.equals(start)) {
            closeQuietly(opened);
            throw new ProtocolException(what + ": resumed at offset " + token + " but the server sent "
                    + (start == null ? "no Stream-Offset" : "Stream-Offset " + HttpResponseHead.printable(start, 60)));
        }
        install(opened);
        if (isClosed()) {
            closeSource();
            throw new IOException("stream closed");
        }
    }

    /** Makes {@code opened} the current connection. */
    private void install(Handshake.Opened opened) {
        if (opened.body() != null) {
            bodyEnd = parseOffset(opened.head().header("Stream-Next-Offset"));
            liveBody = "true".equalsIgnoreCase(opened.head().header("Stream-Writer-Active"));
            snapshotBody = opened.head().header("Content-Length") != null;
            source = opened.body();
        } else {
            bodyEnd = -1;
            liveBody = false;
            snapshotBody = false;
            source = new WebSocketFollowInputStream(opened.webSocket(), what, settings.readTimeoutMillis());
        }
        deliveredSinceConnect = false;
    }

    /** Closes the current connection; idempotent (both kinds of source close idempotently). */
    private void closeSource() {
        try {
            source.close();
        } catch (IOException ignored) {
            // neither kind of source throws
        }
    }

    private static void closeQuietly(Handshake.Opened opened) {
        if (opened.body() != null) {
            opened.body().close();
        } else {
            opened.webSocket().closeSocket();
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // the socket is unusable either way
        }
    }

    // ---------------------------------------------------------------- the offset format

    /** Formats byte position {@code position} (not negative) as 16 lowercase hexadecimal digits. */
    static String formatOffset(long position) {
        return HEX.toHexDigits(position);
    }

    /**
     * Parses an offset in the httpfstream format (exactly 16 lowercase hexadecimal digits).
     *
     * @return the byte position, or -1 if {@code token} is null or not in that format
     */
    static long parseOffset(String token) {
        if (token == null || token.length() != OFFSET_DIGITS) {
            return -1;
        }
        for (int i = 0; i < OFFSET_DIGITS; i++) {
            char c = token.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return -1;
            }
        }
        long value = Long.parseUnsignedLong(token, 16);
        return value < 0 ? -1 : value;
    }
}
