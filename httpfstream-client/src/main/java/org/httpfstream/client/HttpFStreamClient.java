package org.httpfstream.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * A client for httpfstream servers: appends bytes to a path, or follows a path (reads what was written
 * so far, then every new byte as the appender writes it).
 *
 * <p>Every call opens its own connection ({@code http} or {@code https}, default ports 80 and 443); the
 * returned streams own that connection and must be closed by the caller.
 *
 * <p>Immutable and thread safe; one instance may be shared freely. Create one with {@link #builder()}, or
 * use {@link #defaultClient()}.
 */
public final class HttpFStreamClient {

    /** Default for {@link Builder#connectTimeout(Duration)}. */
    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Default for {@link Builder#readTimeout(Duration)}. */
    static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(90);
    /** Default for {@link Builder#resumeTimeout(Duration)}. */
    static final Duration DEFAULT_RESUME_TIMEOUT = Duration.ofSeconds(60);
    /** Resume timeouts are capped here, so that deadlines computed from {@link System#nanoTime()} cannot overflow. */
    private static final long MAX_RESUME_TIMEOUT_NANOS = Long.MAX_VALUE / 4;
    /** How long an append's close waits for the server when there is no read timeout. */
    static final long CLOSE_WAIT_WITHOUT_READ_TIMEOUT_MILLIS = 30_000;
    /** Size of the buffer {@link #append(URI, InputStream)} reads into. */
    static final int COPY_BUFFER_SIZE = WebSocketAppendOutputStream.MAX_MESSAGE;

    /** Default for {@link Builder#appendBufferSize(int)}. */
    static final int DEFAULT_APPEND_BUFFER_SIZE = 8 * 1024 * 1024;

    private static final HttpFStreamClient DEFAULT = builder().build();

    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final Duration resumeTimeout;
    private final int appendBufferSize;
    /** The token, the https socket factory and the timeouts in the units the connections take. */
    private final Settings settings;

    private HttpFStreamClient(Builder builder) {
        this.connectTimeout = builder.connectTimeout;
        this.readTimeout = builder.readTimeout;
        this.resumeTimeout = builder.resumeTimeout;
        this.appendBufferSize = builder.appendBufferSize;
        this.settings = new Settings(builder.token,
                builder.sslContext == null ? null : builder.sslContext.getSocketFactory(),
                toMillis(connectTimeout), toMillis(readTimeout), toNanos(resumeTimeout));
    }

    /**
     * Returns the shared client with the default settings (connect timeout 10 s, read timeout 90 s, resume
     * timeout 60 s).
     *
     * @return the same instance on every call, never null
     */
    public static HttpFStreamClient defaultClient() {
        return DEFAULT;
    }

    /**
     * Returns a new builder with the default settings.
     *
     * @return a new builder, never null
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the connect timeout.
     *
     * @return the maximum time to establish a TCP connection (and TLS session); zero means no limit
     */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /**
     * Returns the read timeout.
     *
     * @return the maximum time to wait for data from the server; zero means no limit
     */
    public Duration readTimeout() {
        return readTimeout;
    }

    /**
     * Returns the resume timeout.
     *
     * @return how long a followed stream tries to reconnect after its connection failed; zero means it
     *     does not resume
     */
    public Duration resumeTimeout() {
        return resumeTimeout;
    }

    /**
     * Appends everything {@code in} produces to the file at {@code uri}. Each chunk returned by a
     * {@code read} of {@code in} is sent to the server at once (so followers see it promptly); at the end of
     * {@code in} the append is closed cleanly, which waits until the server confirms it.
     *
     * <p>Blocks until {@code in} is exhausted and the append is closed. Does not close {@code in}. If
     * reading {@code in} fails, the append is still closed cleanly (the bytes sent so far are kept) and
     * the read error is thrown.
     *
     * @param uri the file's URI, {@code http} or {@code https}
     * @param in the bytes to append; the caller keeps ownership
     * @return the number of bytes appended
     * @throws NullPointerException if {@code uri} or {@code in} is null
     * @throws IllegalArgumentException if the URI's scheme is not http or https or it has no host
     * @throws WriterConflictException if another appender is writing to the path
     * @throws IOException if connecting, reading {@code in}, or sending fails, or the server ends the
     *     append abnormally
     */
    public long append(URI uri, InputStream in) throws IOException {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(in, "in");
        long total = 0;
        try (OutputStream out = openAppend(uri)) {
            byte[] buffer = new byte[COPY_BUFFER_SIZE];
            int n;
            while ((n = in.read(buffer)) != -1) {
                if (n > 0) {
                    out.write(buffer, 0, n);
                    total += n;
                }
            }
        }
        return total;
    }

    /**
     * Opens an append to the file at {@code uri} (the server creates the file if needed). Blocks until the
     * server has accepted the append.
     *
     * <p>The returned stream sends each {@code write} to the server immediately, without buffering, as
     * one or more WebSocket messages; {@code flush} does nothing. Its {@code close} ends the append and
     * waits (up to the read timeout, or 30 s if there is none) until the server confirms that it has
     * the bytes; close is idempotent and may be called from any thread, for instance from a shutdown hook
     * while another thread is blocked producing data. {@code write} after {@code close} throws
     * {@code IOException("stream closed")}. A background daemon thread answers the server's pings, so an
     * idle append stays connected. If the server ends the append (for instance because a message was too
     * big, or on an error), later writes and {@code close} throw an IOException saying so.
     *
     * <p>The caller must close the stream. Writes are guarded by a per-stream lock; concurrent writes do
     * not interleave within a write, but their order is unspecified.
     *
     * @param uri the file's URI, {@code http} or {@code https}
     * @return the stream to write to, never null
     * @throws NullPointerException if {@code uri} is null
     * @throws IllegalArgumentException if the URI's scheme is not http or https or it has no host
     * @throws WriterConflictException if another appender is writing to the path (HTTP 403)
     * @throws NotAuthorizedException if the server refused the token (HTTP 401, or 403 with a challenge)
     * @throws NoSuchFileException if the server answered HTTP 404
     * @throws IOException if connecting or the handshake fails, or the server answers with another status
     */
    public OutputStream openAppend(URI uri) throws IOException {
        Objects.requireNonNull(uri, "uri");
        Handshake.Opened opened = Handshake.open(uri, Handshake.Verb.APPEND, null, false, settings, null);
        WebSocketConnection connection = opened.webSocket();
        // The reader thread waits for the server indefinitely: a quiet server is normal for an appender.
        try {
            connection.readTimeout(0);
        } catch (IOException e) {
            connection.closeSocket();
            throw new IOException("APPEND " + uri + ": " + e.getMessage(), e);
        }
        int readTimeoutMillis = settings.readTimeoutMillis();
        long closeWait = readTimeoutMillis == 0 ? CLOSE_WAIT_WITHOUT_READ_TIMEOUT_MILLIS : readTimeoutMillis;
        return new WebSocketAppendOutputStream(connection, "APPEND " + uri, closeWait);
    }

    /**
     * Opens an append that survives the loss of its connection: a front node killed, a network cut, a
     * server restarted. Blocks until the first server of {@code servers} that accepts the append has
     * done so (each is tried once, in order; a refusal such as another writer is thrown at once).
     *
     * <p>The append asks the server to report which bytes are committed (request header {@code
     * Stream-Append-Acks: true}; an httpfstream server answers with TEXT messages giving the committed
     * length). Every byte written and not yet reported committed is kept, at most {@link
     * Builder#appendBufferSize(int)} bytes: a {@code write} that finds the buffer full blocks until the
     * server reports commits; nothing is ever dropped. When the connection is lost, the next {@code
     * write} or {@code close} reconnects, to the next server of the list in turn (all must serve the same
     * streams: one server restarted on the same root, or front nodes of one NATS cluster), with a backoff
     * from 50 ms to 2 s, for at most {@link #resumeTimeout()} each time. It opens with {@code
     * Stream-Expected-Offset} set to the first byte it keeps; if the stream is longer (bytes committed
     * whose report was lost), it drops the bytes below that length and goes on from there: the stream
     * gets every byte exactly once, in order. A writer conflict meanwhile (the lost connection's lease
     * not yet released: until the server notices the dead connection, or the NATS lease expires) is
     * retried in the same way.
     *
     * <p>{@code write} sends at once and returns without waiting for the commit; {@code flush} does
     * nothing; {@code close} sends what is left and waits until the server confirms every byte is
     * committed (up to the read timeout, or 30 s if there is none, per connection), resuming if the
     * connection is lost meanwhile. Close is idempotent and may be called from any thread (it waits for a
     * write in progress). {@code write} after {@code close} throws {@code IOException("stream closed")}.
     * The caller must close the stream.
     *
     * <p>The append fails, and every later {@code write} and {@code close} throws an {@code IOException}
     * whose message says how many bytes of this append are committed, when reconnecting took longer than
     * the resume timeout, when the stream's length is outside the bytes kept (another writer appended),
     * or when the server refuses the bytes (for instance the stream's size limit). A server that does not
     * report commits (the original Go server) gets a plain append, as {@link #openAppend(URI)}: a lost
     * connection is then an error.
     *
     * @param servers the stream's URI on each server, {@code http} or {@code https}, at least one
     * @return the stream to write to, never null
     * @throws NullPointerException if {@code servers} or one of them is null
     * @throws IllegalArgumentException if {@code servers} is empty, or a URI's scheme is not http or
     *     https or it has no host
     * @throws WriterConflictException if another appender is writing to the path
     * @throws NotAuthorizedException if the server refused the token
     * @throws IOException if no server could be reached, or one answered with another status
     */
    public OutputStream openResumableAppend(java.util.List<URI> servers) throws IOException {
        Objects.requireNonNull(servers, "servers");
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("servers is empty");
        }
        for (URI u : servers) {
            Endpoint.of(Objects.requireNonNull(u, "servers contains null"));
        }
        int readTimeoutMillis = settings.readTimeoutMillis();
        long closeWait = readTimeoutMillis == 0 ? CLOSE_WAIT_WITHOUT_READ_TIMEOUT_MILLIS : readTimeoutMillis;
        return new ResumableAppendOutputStream(servers, settings, appendBufferSize, closeWait);
    }

    /**
     * Follows the file at {@code uri} from its start; the same as {@link #follow(URI, String) follow(uri,
     * null)}.
     *
     * @param uri the file's URI, {@code http} or {@code https}
     * @return the stream to read from, never null
     * @throws NullPointerException if {@code uri} is null
     * @throws IllegalArgumentException if the URI's scheme is not http or https or it has no host
     * @throws NoSuchFileException if the file does not exist (HTTP 404); its file is {@code uri.toString()}
     * @throws IOException if connecting or the handshake fails, or the server answers with another status
     */
    public FollowInputStream follow(URI uri) throws IOException {
        return follow(uri, null);
    }

    /**
     * Follows the file at {@code uri} from {@code offset}: the returned stream yields the file's contents
     * from that position and then, as long as an appender is writing to it, every new byte as it arrives,
     * until the appender closes (then {@code read} returns -1). Blocks until the server has answered.
     *
     * <p>{@code offset} is sent as the query parameter {@code offset} (replacing any the URI has). The
     * httpfstream server accepts a value of {@link FollowInputStream#offset()}, 16 lowercase hexadecimal
     * digits of a byte position ({@code 0000000000000400} is byte 1024), {@code -1} for the start of the
     * stream and {@code now} for its current end; it answers an offset past the end, or a malformed one,
     * with HTTP 400, which this method throws as an IOException quoting the server's reason. If
     * {@code offset} is null, no offset is sent: the stream starts at the beginning, exactly as the
     * original protocol has it. A server without offsets (the original Go server) ignores {@code offset}
     * and sends the stream from its start; {@link FollowInputStream#offset()} then returns null.
     *
     * <p>If the path has an active appender, the bytes come over a WebSocket (the server's pings are
     * answered while reading); otherwise the server sends the stored file from the offset as a plain HTTP
     * 200 response and the stream yields that body. Either way, {@code read} blocks until data arrives.
     * If the server supports offsets, a connection that ends abnormally (without a WebSocket Close frame,
     * with a socket error or the read timeout, or with Close 1001 when the server shuts down) is resumed
     * on a new connection without gap or duplicate, for up to the {@linkplain #resumeTimeout() resume
     * timeout}; see {@link FollowInputStream}. Otherwise, or when resuming fails, the stream ends with an
     * IOException rather than -1 (a {@link java.net.SocketTimeoutException} if the server sent nothing
     * for longer than the read timeout); a WebSocket Close code other than 1000 and 1001 is always such
     * an error.
     *
     * <p>The caller must close the stream; close is idempotent and may be called from any thread (a read
     * blocked in another thread then fails). {@code read} after {@code close} throws an IOException.
     * Not thread safe otherwise: read from one thread at a time.
     *
     * @param uri the file's URI, {@code http} or {@code https}
     * @param offset where to start: an offset token, or null for the start of the stream
     * @return the stream to read from, never null
     * @throws NullPointerException if {@code uri} is null
     * @throws IllegalArgumentException if the URI's scheme is not http or https or it has no host, or
     *     {@code offset} is empty
     * @throws NoSuchFileException if the file does not exist (HTTP 404); its file is {@code uri.toString()}
     * @throws java.net.ProtocolException if {@code offset} is in the httpfstream format and the server's
     *     {@code Stream-Offset} names another position
     * @throws IOException if connecting or the handshake fails, or the server answers with another status
     *     (HTTP 400 for an offset past the end or malformed)
     */
    public FollowInputStream follow(URI uri, String offset) throws IOException {
        Objects.requireNonNull(uri, "uri");
        if (offset != null && offset.isEmpty()) {
            throw new IllegalArgumentException("offset must not be empty (null means from the start)");
        }
        return FollowInputStream.open(uri, offset, settings);
    }

    /**
     * Returns whether this client sends a token.
     *
     * @return true if a token was set with {@link Builder#token(String)}
     */
    public boolean hasToken() {
        return settings.token() != null;
    }

    @Override
    public String toString() { // never shows the token
        return "HttpFStreamClient[connectTimeout=" + connectTimeout + ", readTimeout=" + readTimeout
                + ", resumeTimeout=" + resumeTimeout + (settings.token() == null ? "" : ", token=(set)") + "]";
    }

    /** Converts a timeout to socket milliseconds: 0 stays 0 (no limit), anything else is at least 1. */
    static int toMillis(Duration timeout) {
        if (timeout.isZero()) {
            return 0;
        }
        long millis;
        try {
            millis = timeout.toMillis();
        } catch (ArithmeticException e) {
            return Integer.MAX_VALUE;
        }
        return (int) Math.max(1, Math.min(millis, Integer.MAX_VALUE));
    }

    /** Converts a resume timeout to nanoseconds, capped at {@link #MAX_RESUME_TIMEOUT_NANOS}. */
    static long toNanos(Duration timeout) {
        try {
            return Math.min(timeout.toNanos(), MAX_RESUME_TIMEOUT_NANOS);
        } catch (ArithmeticException e) {
            return MAX_RESUME_TIMEOUT_NANOS;
        }
    }

    /**
     * Builds {@link HttpFStreamClient} instances. Not thread safe.
     */
    public static final class Builder {

        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration readTimeout = DEFAULT_READ_TIMEOUT;
        private Duration resumeTimeout = DEFAULT_RESUME_TIMEOUT;
        private String token;
        private SSLContext sslContext;
        private int appendBufferSize = DEFAULT_APPEND_BUFFER_SIZE;

        private Builder() {
        }

        /**
         * Sets how many bytes a resumable append ({@link HttpFStreamClient#openResumableAppend}) keeps
         * until the server reports them committed; a write that finds them all held blocks until it
         * does. Default 8 MiB.
         *
         * @param bytes the buffer's size, at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is less than 1
         */
        public Builder appendBufferSize(int bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("bytes < 1: " + bytes);
            }
            this.appendBufferSize = bytes;
            return this;
        }

        /**
         * Sets the TLS context of {@code https} connections (and so {@code wss} ones): its trust managers
         * decide which server certificates are accepted, for example a private CA's or a test's
         * self-signed certificate. The server's host name is verified against its certificate either way.
         * Default null: the JDK's default context, which trusts the JDK's CA certificates.
         *
         * @param sslContext an initialised context, or null for the default
         * @return this builder
         */
        public Builder sslContext(SSLContext sslContext) {
            this.sslContext = sslContext;
            return this;
        }

        /**
         * Sets the token sent with every request as {@code Authorization: Bearer TOKEN}, on plain HTTP and
         * on the WebSocket handshake, for a server started with a grant file. Default none. A server
         * that refuses it answers 401 or 403, thrown as {@link NotAuthorizedException}.
         *
         * @param token the token, or null or empty for none
         * @return this builder
         * @throws IllegalArgumentException if {@code token} holds a character not allowed in a header
         *     (a control character or a non-ASCII one) or a space at either end
         */
        public Builder token(String token) {
            if (token != null && !token.isEmpty()) {
                for (int i = 0; i < token.length(); i++) {
                    char c = token.charAt(i);
                    if (c < 0x20 || c >= 0x7f) {
                        throw new IllegalArgumentException("token holds a character not allowed in a header at index " + i);
                    }
                }
                if (!token.strip().equals(token)) {
                    throw new IllegalArgumentException("token starts or ends with a space");
                }
            }
            this.token = token == null || token.isEmpty() ? null : token;
            return this;
        }

        /**
         * Sets the maximum time to establish a connection (TCP, plus the TLS handshake for https).
         * Default 10 seconds.
         *
         * @param timeout the timeout; {@link Duration#ZERO} means no limit
         * @return this builder
         * @throws NullPointerException if {@code timeout} is null
         * @throws IllegalArgumentException if {@code timeout} is negative
         */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = checkTimeout(timeout, "timeout");
            return this;
        }

        /**
         * Sets the maximum time to wait for the server: for the response to a request, for each read of a
         * followed stream (the server pings idle followers, so only a dead server or connection exceeds
         * it), and for the server to confirm the end of an append. Default 90 seconds.
         *
         * @param timeout the timeout; {@link Duration#ZERO} means no limit (an append's close then waits
         *     at most 30 seconds)
         * @return this builder
         * @throws NullPointerException if {@code timeout} is null
         * @throws IllegalArgumentException if {@code timeout} is negative
         */
        public Builder readTimeout(Duration timeout) {
            this.readTimeout = checkTimeout(timeout, "timeout");
            return this;
        }

        /**
         * Sets how long a followed stream tries to reconnect after its connection ended abnormally, when
         * the server supports offsets (see {@link FollowInputStream}): once this much time has passed since
         * the failure without a successful reconnect, {@code read} fails. Default 60 seconds. A resumable
         * append ({@link HttpFStreamClient#openResumableAppend}) tries as long to reconnect each time its
         * connection is lost; other appends are never resumed.
         *
         * @param timeout the timeout; {@link Duration#ZERO} disables resuming (a failed connection is an
         *     error at once)
         * @return this builder
         * @throws NullPointerException if {@code timeout} is null
         * @throws IllegalArgumentException if {@code timeout} is negative
         */
        public Builder resumeTimeout(Duration timeout) {
            this.resumeTimeout = checkTimeout(timeout, "timeout");
            return this;
        }

        /**
         * Returns a client with this builder's settings. The builder may be reused.
         *
         * @return a new client, never null
         */
        public HttpFStreamClient build() {
            return new HttpFStreamClient(this);
        }

        private static Duration checkTimeout(Duration timeout, String name) {
            Objects.requireNonNull(timeout, name);
            if (timeout.isNegative()) {
                throw new IllegalArgumentException(name + " must not be negative: " + timeout);
            }
            return timeout;
        }
    }
}
