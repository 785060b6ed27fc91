package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.httpfstream.testing.HttpWire;

/** Sends one exact HTTP/1.1 request on a fresh socket and reads the whole response. Test helper. */
public final class RawHttp {
    public final int status;
    /** The header fields, by name in lower case. */
    public final Map<String, String> headers;
    public final byte[] body;

    private RawHttp(int status, Map<String, String> headers, byte[] body) {
        this.status = status;
        this.headers = headers;
        this.body = body;
    }

    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    public String bodyText() {
        return new String(body, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Sends {@code GET target} (or another method) with {@code extraHeaders} lines and Connection: close. */
    public static RawHttp request(InetSocketAddress server, String method, String target,
            String... extraHeaders) throws IOException {
        StringBuilder req = new StringBuilder()
                .append(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                .append("Host: ").append(server.getHostString()).append(':').append(server.getPort())
                .append("\r\n").append("Connection: close\r\n");
        for (String h : extraHeaders) {
            req.append(h).append("\r\n");
        }
        req.append("\r\n");
        try (Socket socket = connect(server)) {
            write(socket, req.toString());
            return read(socket.getInputStream(), "HEAD".equals(method));
        }
    }

    /** A socket connected to {@code server} (within 5 s) whose reads time out after 20 s; the caller closes it. */
    public static Socket connect(InetSocketAddress server) throws IOException {
        Socket socket = new Socket();
        socket.connect(server, 5000);
        socket.setSoTimeout(20_000);
        return socket;
    }

    /** Writes {@code text} in ISO-8859-1, as HTT/1.1 heads are, and flushes. */
    public static void write(Socket socket, String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(ISO_8859_1));
        socket.getOutputStream().flush();
    }

    /** Reads a response head; for a status other than 101 and a body not chunked, also its body. */
    static RawHttp readHead(InputStream in) throws IOException {
        return read(in, false);
    }

    /** Reads a status line and the header fields, and nothing of the body, from {@code in}. */
    public static RawHttp readHeadOnly(InputStream in) throws IOException {
        Map<String, String> headers = HttpWire.readHead(in);
        int status = Integer.parseInt(headers.remove(":status"));
        return new RawHttp(status, headers, new byte[0]);
    }

    /** Reads a response head and its Content-Length body (or up to EOF) from {@code in}. */
    public static RawHttp read(InputStream in, boolean head) throws IOException {
        RawHttp h = readHeadOnly(in);
        int status = h.status;
        Map<String, String> headers = h.headers;
        byte[] body;
        String length = headers.get("content-length");
        if (head || status == 101 || status == 204 || status == 304 || "chunked".equals(headers.get("transfer-encoding"))) {
            body = new byte[0];
        } else if (length != null) {
            body = in.readNBytes(Integer.parseInt(length));
        } else {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            body = out.toByteArray();
        }
        return new RawHttp(status, headers, body);
    }

    /** Reads one chunk of a chunked body: its data, or null for the last chunk (trailers go to {@code trailers}). */
    public static byte[] readChunk(InputStream in, Map<String, String> trailers) throws IOException {
        return HttpWire.readChunk(in, trailers);
    }
}
