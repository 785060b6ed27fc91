package org.httpfstream.client;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Opens the connection for one APPEND or FOLLOW request: TCP (and TLS for https), the HTTP/1.1 upgrade
 * request, and the interpretation of the response. Stateless.
 */
final class Handshake {

    /** The two request kinds, sent as {@code X-Verb}. */
    enum Verb { APPEND, FOLLOW }

    /** RFC 6455 section 1.3. */
    static final String WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    /** How many bytes of an error response body are quoted in exception messages. */
    static final int ERROR_BODY_QUOTE = 200;
    /** Longest wait for an error response body, so that a failure is reported promptly. */
    private static final int ERROR_BODY_WAIT_MILLIS = 5000;

    private static final SecureRandom RANDOM = new SecureRandom();

    private Handshake() {
    }

    /**
     * The outcome of a successful request: exactly one of the fields is non-null.
     *
     * @param webSocket the upgraded connection (status 101)
     * @param body the response body of a FOLLOW answered with status 200
     * @param head the response head (status 101 or 200), never null
     */
    record Opened(WebSocketConnection webSocket, HttpBodyInputStream body, HttpResponseHead head) {
    }

    /**
     * Observes one request, for callers that must abort it from another thread or tell its failures
     * apart. Called on the thread that sends the request.
     */
    interface Observer {
        /**
         * Called with the new, unconnected socket before anything else is done with it; closing it aborts
         * the request.
         */
        void socketCreated(Socket socket);

        /** Called with the status of a response that is not accepted, before its failure is thrown. */
        void rejected(int status);
    }

    /**
     * Connects to {@code uri} and sends the {@code verb} request; blocks until the response head has been
     * read. On success the socket's SO_TIMEOUT is the read timeout.
     *
     * @param offset the value of the query parameter {@code offset} (replacing any the URI has), or null
     *     to send the URI's query unchanged
     * @param follow with true the request also carries the query parameter {@code follow}, so that a server
     *     reached without the upgrade (a proxy dropped it) answers with a live chunked body instead of the
     *     bytes so far
     * @param settings the token (sent as {@code Authorization: Bearer} if not null), the https socket factory
     *     (the server's host name is always verified against its certificate) and the timeouts
     * @param observer told about the socket and a rejected response, or null
     * @throws IllegalArgumentException if the URI's scheme is not http or https, or it has no host
     * @throws NoSuchFileException if the server answered 404
     * @throws WriterConflictException if the server answered an APPEND with 403
     * @throws NotAuthorizedException if the server answered 401, or 403 with a {@code WWW-Authenticate}
     *     challenge
     * @throws IOException if the connection or handshake failed, or the server answered with another status
     */
    static Opened open(URI uri, Verb verb, String offset, boolean follow, Settings settings, Observer observer)
            throws IOException {
        return open(uri, verb, offset, follow, settings, observer, List.of());
    }

    /**
     * As {@link #open(URI, Verb, String, boolean, Settings, Observer)}, with {@code headers} ({@code
     * "Name: value"} lines) added to the request.
     *
     * @throws OffsetMismatchException if the server answered an APPEND with 409 and {@code
     *     Stream-Next-Offset} (its {@code Stream-Expected-Offset} was not the stream's length)
     */
    static Opened open(URI uri, Verb verb, String offset, boolean follow, Settings settings, Observer observer,
            List<String> headers) throws IOException {
        String token = settings.token();
        int connectTimeoutMillis = settings.connectTimeoutMillis();
        int readTimeoutMillis = settings.readTimeoutMillis();
        Endpoint endpoint = Endpoint.of(uri);
        String what = verb + " " + uri;
        Socket socket;
        try {
            socket = connect(endpoint, settings.tls(), connectTimeoutMillis, observer);
        } catch (SocketTimeoutException e) {
            SocketTimeoutException timeout = new SocketTimeoutException(what + ": could not connect to "
                    + endpoint.host() + ":" + endpoint.port() + " within " + Errors.describeMillis(connectTimeoutMillis));
            timeout.initCause(e);
            throw timeout;
        } catch (IOException e) {
            throw Errors.withContext(what + ": could not connect to " + endpoint.host() + ":" + endpoint.port(),
                    e, readTimeoutMillis);
        }
        Opened opened = null;
        IOException rejection = null;
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(readTimeoutMillis);
            InputStream in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            OutputStream out = socket.getOutputStream();
            String key = newKey();
            out.write(request(endpoint, verb, key, offset, follow, token, headers).getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            HttpResponseHead head = HttpResponseHead.read(in);
            if (head.status() == 101) {
                checkUpgrade(head, key);
                opened = new Opened(new WebSocketConnection(socket, in, out), null, head);
            } else if (head.status() == 200 && verb == Verb.FOLLOW) {
                opened = new Opened(null, HttpBodyInputStream.of(socket, in, head, what, readTimeoutMillis), head);
            } else {
                if (observer != null) {
                    observer.rejected(head.status());
                }
                rejection = failure(uri, verb, offset, head, quoteBody(socket, in, head, what, readTimeoutMillis));
            }
        } catch (IOException e) {
            throw Errors.withContext(what, e, readTimeoutMillis);
        } finally {
            if (opened == null) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // already failing
                }
            }
        }
        if (rejection != null) {
            throw rejection;
        }
        return opened;
    }

    private static Socket connect(Endpoint endpoint, SSLSocketFactory tlsFactory, int connectTimeoutMillis,
                                  Observer observer) throws IOException {
        Socket socket = new Socket();
        try {
            if (observer != null) {
                observer.socketCreated(socket);
            }
            socket.connect(new InetSocketAddress(endpoint.host(), endpoint.port()), connectTimeoutMillis);
            if (!endpoint.secure()) {
                return socket;
            }
            SSLSocketFactory factory = tlsFactory != null ? tlsFactory : (SSLSocketFactory) SSLSocketFactory.getDefault();
            SSLSocket tls = (SSLSocket) factory.createSocket(socket, endpoint.host(), endpoint.port(), true);
            SSLParameters parameters = tls.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            parameters.setApplicationProtocols(new String[] {"http/1.1"}); // WebSocket needs HTTP/1.1
            tls.setSSLParameters(parameters);
            tls.setSoTimeout(connectTimeoutMillis);
            tls.startHandshake();
            return tls;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** Returns a fresh {@code Sec-WebSocket-Key}: 16 random bytes, base64. */
    static String newKey() {
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        return Base64.getEncoder().encodeToString(nonce);
    }

    /** Returns the {@code Sec-WebSocket-Accept} value a server must answer {@code key} with. */
    static String acceptFor(String key) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            byte[] digest = sha1.digest((key + WEBSOCKET_GUID).getBytes(StandardCharsets.ISO_8859_1));
            return Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every Java platform", e);
        }
    }

    /** Returns the request head (ending with the empty line). */
    static String request(Endpoint endpoint, Verb verb, String key) {
        return request(endpoint, verb, key, null);
    }

    /**
     * Returns the request head (ending with the empty line), with the query parameter {@code offset} if
     * {@code offset} is not null.
     */
    static String request(Endpoint endpoint, Verb verb, String key, String offset) {
        return request(endpoint, verb, key, offset, null);
    }

    /**
     * Returns the request head (ending with the empty line), with the query parameter {@code offset} and
     * an {@code Authorization: Bearer} header for {@code token} when they are not null.
     */
    static String request(Endpoint endpoint, Verb verb, String key, String offset, String token) {
        return request(endpoint, verb, key, offset, false, token);
    }

    /**
     * Returns the request head (ending with the empty line), with the query parameters {@code offset}
     * and {@code follow} (see {@link Endpoint#requestTarget(String, boolean)}) and an {@code
     * Authorization: Bearer} header for {@code token} when they are not null.
     */
    static String request(Endpoint endpoint, Verb verb, String key, String offset, boolean follow, String token) {
        return request(endpoint, verb, key, offset, follow, token, List.of());
    }

    /** As {@link #request(Endpoint, Verb, String, String, boolean, String)}, with {@code headers} lines added. */
    static String request(Endpoint endpoint, Verb verb, String key, String offset, boolean follow, String token,
            List<String> headers) {
        StringBuilder sb = new StringBuilder(256)
                .append("GET ").append(endpoint.requestTarget(offset, follow)).append(" HTTP/1.1\r\n")
                .append("Host: ").append(endpoint.hostHeader()).append("\r\n")
                .append("Upgrade: websocket\r\n")
                .append("Connection: Upgrade\r\n")
                .append("Sec-WebSocket-Key: ").append(key).append("\r\n")
                .append("Sec-WebSocket-Version: 13\r\n")
                .append("X-Verb: ").append(verb.name()).append("\r\n");
        if (verb == Verb.FOLLOW) {
            sb.append("X-Frames: binary\r\n");
        }
        if (token != null) {
            sb.append("Authorization: Bearer ").append(token).append("\r\n");
        }
        for (String h : headers) {
            sb.append(h).append("\r\n");
        }
        return sb.append("\r\n").toString();
    }

    private static void checkUpgrade(HttpResponseHead head, String key) throws ProtocolException {
        if (!head.headerHasToken("Upgrade", "websocket")) {
            throw new ProtocolException("WebSocket handshake failed: response 101 without \"Upgrade: websocket\"");
        }
        if (!head.headerHasToken("Connection", "upgrade")) {
            throw new ProtocolException("WebSocket handshake failed: response 101 without \"Connection: Upgrade\"");
        }
        String accept = head.header("Sec-WebSocket-Accept");
        if (accept == null) {
            throw new ProtocolException("WebSocket handshake failed: response 101 without Sec-WebSocket-Accept");
        }
        if (!accept.equals(acceptFor(key))) {
            throw new ProtocolException("WebSocket handshake failed: wrong Sec-WebSocket-Accept \""
                    + HttpResponseHead.printable(accept, 60) + "\" (expected \"" + acceptFor(key) + "\")");
        }
        String extensions = head.header("Sec-WebSocket-Extensions");
        if (extensions != null && !extensions.isEmpty()) {
            throw new ProtocolException("WebSocket handshake failed: server chose extensions \""
                    + HttpResponseHead.printable(extensions, 100) + "\" that were not requested");
        }
    }

    private static IOException failure(URI uri, Verb verb, String offset, HttpResponseHead head, String body) {
        String quoted = body.isEmpty() ? "" : ": " + body;
        String at = offset == null ? "" : " at offset " + HttpResponseHead.printable(offset, 60);
        if (head.status() == 404) {
            return new NoSuchFileException(uri.toString(), null, verb + at + " failed: " + head.statusText() + quoted);
        }
        if (head.status() == 401 || head.status() == 403 && head.header("WWW-Authenticate") != null) {
            return new NotAuthorizedException(head.status(), body.startsWith("not authorised: ") ? body
                    : "not authorised: " + verb + " " + uri + " answered " + head.statusText() + quoted);
        }
        String length = head.header(OffsetMismatchException.NEXT_OFFSET);
        if (head.status() == 409 && verb == Verb.APPEND && length != null) {
            return OffsetMismatchException.of(uri, length, body);
        }
        if (head.status() == 403 && verb == Verb.APPEND) {
            return new WriterConflictException(uri, body);
        }
        return new IOException(verb + " " + uri + at + " failed: " + head.statusText() + quoted);
    }

    /**
     * Returns the first {@link #ERROR_BODY_QUOTE} bytes of the response body as printable text, with
     * "..." if there is more; empty if there is no body or it cannot be read promptly.
     */
    private static String quoteBody(Socket socket, InputStream in, HttpResponseHead head, String what,
                                    int readTimeoutMillis) {
        byte[] quote = new byte[ERROR_BODY_QUOTE + 1];
        int n = 0;
        try {
            int wait = readTimeoutMillis == 0 ? ERROR_BODY_WAIT_MILLIS : Math.min(readTimeoutMillis, ERROR_BODY_WAIT_MILLIS);
            socket.setSoTimeout(wait);
            HttpBodyInputStream body = HttpBodyInputStream.of(socket, in, head, what, wait);
            int r;
            while (n < quote.length && (r = body.read(quote, n, quote.length - n)) > 0) {
                n += r;
            }
        } catch (IOException e) {
            // quote what arrived
        }
        String text = new String(quote, 0, Math.min(n, ERROR_BODY_QUOTE), StandardCharsets.UTF_8);
        text = HttpResponseHead.printable(text, Integer.MAX_VALUE).trim();
        return n > ERROR_BODY_QUOTE ? text + "..." : text;
    }
}
