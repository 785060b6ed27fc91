package org.httpfstream.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A minimal blocking HTTP/1.1 keep-alive connection for the Durable Streams scenarios: one request at
 * a time, bodies by {@code Content-Length} or chunked, and a streaming body reader for SSE. Request
 * heads are built once per request in a reused buffer; bodies are written from the caller's array.
 *
 * <p>Not thread safe: one thread uses one connection.
 */
final class DsHttp implements AutoCloseable {
    /** A response: status, lower-cased headers, and the body (null for streaming reads). */
    record Response(int status, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final URI base;
    private final String hostHeader;
    private final int readTimeoutMillis;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private final ByteArrayOutputStream head = new ByteArrayOutputStream(256);
    private final StringBuilder line = new StringBuilder(128);
    /** Remaining bytes of the current chunk of a streamed body; -1 before the first chunk. */
    private long chunkLeft;
    private boolean streamEnded;

    DsHttp(URI base, int readTimeoutMillis) {
        this.base = base;
        this.readTimeoutMillis = readTimeoutMillis;
        int port = base.getPort() < 0 ? 80 : base.getPort();
        this.hostHeader = base.getHost() + ":" + port;
    }

    private void ensureOpen() throws IOException {
        if (socket == null) {
            Socket s = new Socket();
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(base.getHost(), base.getPort() < 0 ? 80 : base.getPort()), 10_000);
            s.setSoTimeout(readTimeoutMillis);
            socket = s;
            in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
            out = s.getOutputStream();
        }
    }

    /** Sends a request; {@code pathAndQuery} starts with '/'. {@code extraHeaders} are "Name: value" lines. */
    void send(String method, String pathAndQuery, String contentType, byte[] body, String... extraHeaders)
            throws IOException {
        ensureOpen();
        head.reset();
        ascii(method);
        ascii(" ");
        ascii(pathAndQuery);
        ascii(" HTTP/1.1\r\nHost: ");
        ascii(hostHeader);
        ascii("\r\n");
        if (contentType != null) {
            ascii("Content-Type: ");
            ascii(contentType);
            ascii("\r\n");
        }
        if (body != null || method.equals("POST") || method.equals("PUT")) {
            ascii("Content-Length: ");
            ascii(Integer.toString(body == null ? 0 : body.length));
            ascii("\r\n");
        }
        for (String h : extraHeaders) {
            ascii(h);
            ascii("\r\n");
        }
        ascii("\r\n");
        if (body != null) {
            head.write(body, 0, body.length);
        }
        head.writeTo(out);
        out.flush();
    }

    private void ascii(String s) {
        for (int i = 0; i < s.length(); i++) {
            head.write(s.charAt(i));
        }
    }

    /** Reads a whole response (status line, headers, body). */
    Response receive(boolean headRequest) throws IOException {
        Response r = receiveHead();
        byte[] body = readBody(r, headRequest);
        finish(r);
        return new Response(r.status, r.headers, body);
    }

    /** Sends and receives. */
    Response exchange(String method, String pathAndQuery, String contentType, byte[] body, String... headers)
            throws IOException {
        send(method, pathAndQuery, contentType, body, headers);
        return receive(method.equals("HEAD"));
    }

    /** Reads the status line and headers only; the body is then read with {@link #readStream}. */
    Response receiveHead() throws IOException {
        String status = readLine();
        while (status.isEmpty()) {
            status = readLine();
        }
        if (!status.startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP response: " + status);
        }
        int code = Integer.parseInt(status.substring(9, 12));
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h; !(h = readLine()).isEmpty(); ) {
            int colon = h.indexOf(':');
            if (colon > 0) {
                headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
            }
        }
        chunkLeft = -1;
        streamEnded = false;
        return new Response(code, headers, null);
    }

    private byte[] readBody(Response r, boolean headRequest) throws IOException {
        if (headRequest || r.status == 204 || r.status == 304 || r.status / 100 == 1) {
            return new byte[0];
        }
        String te = r.header("transfer-encoding");
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            byte[] buf = new byte[16 * 1024];
            for (int n; (n = readStream(r, buf, 0, buf.length)) >= 0; ) {
                b.write(buf, 0, n);
            }
            return b.toByteArray();
        }
        String cl = r.header("content-length");
        if (cl != null) {
            byte[] b = new byte[Integer.parseInt(cl)];
            readFully(b, 0, b.length);
            return b;
        }
        // Until the connection closes.
        byte[] b = in.readAllBytes();
        close();
        return b;
    }

    /**
     * Reads the next bytes of a streamed body (chunked or until close); -1 at its end. After the end
     * the connection is reusable if the server keeps it.
     */
    int readStream(Response r, byte[] buf, int off, int len) throws IOException {
        if (streamEnded) {
            return -1;
        }
        String te = r.header("transfer-encoding");
        if (te == null || !te.toLowerCase(Locale.ROOT).contains("chunked")) {
            int n = in.read(buf, off, len);
            if (n < 0) {
                streamEnded = true;
            }
            return n;
        }
        if (chunkLeft <= 0) {
            if (chunkLeft == 0) {
                readLine(); // CRLF after the previous chunk
            }
            String size = readLine();
            int semi = size.indexOf(';');
            chunkLeft = Long.parseLong((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
            if (chunkLeft == 0) {
                for (String t; !(t = readLine()).isEmpty(); ) {
                    // Trailers: ignored.
                }
                streamEnded = true;
                return -1;
            }
        }
        int n = in.read(buf, off, (int) Math.min(len, chunkLeft));
        if (n < 0) {
            throw new EOFException("connection closed inside a chunk");
        }
        chunkLeft -= n;
        return n;
    }

    private void finish(Response r) throws IOException {
        String c = r.header("connection");
        if (c != null && c.equalsIgnoreCase("close")) {
            close();
        }
    }

    private void readFully(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int n = in.read(b, off, len);
            if (n < 0) {
                throw new EOFException("connection closed in a body");
            }
            off += n;
            len -= n;
        }
    }

    private String readLine() throws IOException {
        line.setLength(0);
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                throw new EOFException("connection closed");
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    /** Percent-encodes an offset token for a query. */
    static String q(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // Closing anyway.
            }
            socket = null;
        }
    }
}
