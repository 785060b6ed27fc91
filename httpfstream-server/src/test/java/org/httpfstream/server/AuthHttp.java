package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Base64;

/** Requests for the auth tests: one request on a fresh connection, answered by its head (and short body). */
public final class AuthHttp {
    private AuthHttp() {}

    /** The {@code Authorization} header line carrying {@code token}. */
    static String bearer(String token) {
        return "Authorization: Bearer " + token;
    }

    /** The {@code Sec-WebSocket-Protocol} header line carrying {@code token} as a browser sends it. */
    static String subprotocol(String token) {
        return "Sec-WebSocket-Protocol: httpfstream, bearer."
                + Base64.getUrlEncoder().withoutPadding().encodeToString(token.getBytes(UTF_8));
    }

    /** {@code target} with the query parameter {@code name=value} added. */
    static String withParam(String target, String name, String value) {
        return target + (target.contains("?") ? "&" : "?") + name + "=" + value;
    }

    /**
     * Sends one request with {@code body} (null: none) and reads the response head, and its body when it has
     * a Content-Length; a streaming answer (101, chunked, SSE) is cut after its head.
     */
    static RawHttp send(InetSocketAddress server, String method, String target, byte[] body, String... headers)
            throws IOException {
        StringBuilder req = new StringBuilder()
                .append(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1:").append(server.getPort()).append("\r\n");
        boolean upgrade = false;
        for (String h : headers) {
            req.append(h).append("\r\n");
            upgrade |= h.startsWith("Upgrade:");
        }
        if (!upgrade) {
            req.append("Connection: close\r\n");
        }
        if (body != null) {
            req.append("Content-Length: ").append(body.length).append("\r\n");
        }
        req.append("\r\n");
        try (Socket socket = RawHttp.connect(server)) {
            socket.getOutputStream().write(req.toString().getBytes(ISO_8859_1));
            if (body != null) {
                socket.getOutputStream().write(body);
            }
            socket.getOutputStream().flush();
            return RawHttp.read(socket.getInputStream(), "HEAD".equals(method));
        }
    }

    /** The header lines of a WebSocket upgrade, plus {@code more}. */
    static String[] upgrade(String... more) {
        String[] h = new String[4 + more.length];
        h[0] = "Upgrade: websocket";
        h[1] = "Connection: Upgrade";
        h[2] = "Sec-WebSocket-Version: 13";
        h[3] = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==";
        System.arraycopy(more, 0, h, 4, more.length);
        return h;
    }
}
