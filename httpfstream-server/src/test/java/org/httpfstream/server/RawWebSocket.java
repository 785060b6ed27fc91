package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.ThreadLocalRandom;
import org.httpfstream.testing.WsWire;

/**
 * A WebSocket peer written by hand, so tests can misbehave on purpose: never read, never answer a
 * ping, drop TCP without a Close frame, send fragments. Test helper; not thread safe.
 */
public final class RawWebSocket implements AutoCloseable {
    public static final int CONTINUATION = 0, TEXT = 1, BINARY = 2, CLOSE = 8, PING = 9, PONG = 10;

    public final Socket socket;
    public final RawHttp response; // the handshake response; body only when the status is not 101
    private final DataInputStream in;
    private final OutputStream out;

    public record Frame(int opcode, boolean fin, byte[] payload) {
        public int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
        }

        /** A Close frame's reason: the UTF-8 text after its status code ("" if it has none). */
        public String closeReason() {
            return payload.length > 2
                    ? new String(payload, 2, payload.length - 2, java.nio.charset.StandardCharsets.UTF_8) : "";
        }
    }

    private RawWebSocket(Socket socket, RawHttp response) throws IOException {
        this.socket = socket;
        this.response = response;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    public static RawWebSocket append(InetSocketAddress server, String path) throws IOException {
        return connect(server, path, 0, "X-Verb: APPEND");
    }

    /** An APPEND the server must accept: fails the test unless the handshake is answered 101. */
    public static RawWebSocket appendAccepted(InetSocketAddress server, String path) throws IOException {
        RawWebSocket ws = append(server, path);
        if (ws.status() != 101) {
            ws.close();
            throw new AssertionError("APPEND " + path + " answered " + ws.status() + ": " + ws.response.bodyText());
        }
        return ws;
    }

    public static RawWebSocket follow(InetSocketAddress server, String path, String... headers)
            throws IOException {
        return connect(server, path, 0, headers);
    }

    /**
     * An APPEND that sends {@code frames} in the same TCP write as its upgrade request, without waiting
     * for the handshake response as RFC 6455 asks clients to.
     */
    public static RawWebSocket appendEagerly(InetSocketAddress server, String path, byte[] frames) throws IOException {
        return connect(server, path, 0, frames, "X-Verb: APPEND");
    }

    /** Opens a socket (with {@code receiveBuffer} bytes of receive buffer if > 0) and shakes hands. */
    public static RawWebSocket connect(InetSocketAddress server, String target, int receiveBuffer,
            String... headers) throws IOException {
        return connect(server, target, receiveBuffer, new byte[0], headers);
    }

    private static RawWebSocket connect(InetSocketAddress server, String target, int receiveBuffer,
            byte[] early, String... headers) throws IOException {
        Socket socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(server, 5000);
        socket.setSoTimeout(20_000);
        StringBuilder req = new StringBuilder("GET " + target + " HTTP/1.1\r\n")
                .append("Host: 127.0.0.1:").append(server.getPort()).append("\r\n")
                .append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
                .append("Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
        for (String h : headers) {
            req.append(h).append("\r\n");
        }
        byte[] head = req.append("\r\n").toString().getBytes(ISO_8859_1);
        byte[] request = java.util.Arrays.copyOf(head, head.length + early.length);
        System.arraycopy(early, 0, request, head.length, early.length);
        socket.getOutputStream().write(request);
        RawHttp response = RawHttp.readHead(socket.getInputStream());
        return new RawWebSocket(socket, response);
    }

    public int status() {
        return response.status;
    }

    public void send(int opcode, byte[] payload) throws IOException {
        send(opcode, true, payload);
    }

    public void send(int opcode, boolean fin, byte[] payload) throws IOException {
        ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
        f.write((fin ? 0x80 : 0) | opcode);
        if (payload.length < 126) {
            f.write(0x80 | payload.length);
        } else if (payload.length < 65536) {
            f.write(0x80 | 126);
            f.write(payload.length >>> 8);
            f.write(payload.length);
        } else {
            f.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                f.write((int) ((long) payload.length >>> shift));
            }
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        f.write(mask, 0, 4);
        byte[] masked = new byte[payload.length];
        for (int i = 0; i < payload.length; i++) {
            masked[i] = (byte) (payload[i] ^ mask[i & 3]);
        }
        f.write(masked, 0, masked.length);
        out.write(f.toByteArray());
        out.flush();
    }

    /** Writes {@code len} bytes of {@code bytes} as they are, in one TCP write (no Nagle delay). */
    void write(byte[] bytes, int off, int len) throws IOException {
        socket.setTcpNoDelay(true);
        out.write(bytes, off, len);
        out.flush();
    }

    public void sendClose(int code) throws IOException {
        send(CLOSE, new byte[] {(byte) (code >>> 8), (byte) code});
    }

    Frame read() throws IOException {
        WsWire.Frame f = WsWire.readFrame(in);
        return new Frame(f.opcode(), f.fin(), f.payload());
    }

    /** Reads data frames, answering pings, until {@code n} bytes arrived. */
    byte[] readData(int n) throws IOException {
        ByteArrayOutputStream data = new ByteArrayOutputStream(n);
        while (data.size() < n) {
            Frame f = read();
            if (f.opcode == PING) {
                send(PONG, f.payload);
            } else if (f.opcode == CLOSE) {
                throw new EOFException("close " + f.closeCode() + " after " + data.size() + " of " + n);
            } else if (f.opcode != PONG) {
                data.write(f.payload, 0, f.payload.length);
            }
        }
        return data.toByteArray();
    }

    /** Reads data frames, answering pings, up to the Close frame, which it returns; data goes to {@code sink}. */
    public Frame readToClose(ByteArrayOutputStream sink) throws IOException {
        for (;;) {
            Frame f = read();
            if (f.opcode == PING) {
                send(PONG, f.payload);
            } else if (f.opcode == CLOSE) {
                return f;
            } else if (f.opcode != PONG) {
                sink.write(f.payload, 0, f.payload.length);
            }
        }
    }

    /**
     * Reads to the Close frame ({@link #readToClose}); asserts that the data before it was {@code text} and
     * that its code is {@code code}.
     */
    public void assertDataThenClose(String text, int code) throws IOException {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        Frame close = readToClose(data);
        assertThat(data.toString(UTF_8)).isEqualTo(text);
        assertThat(close.closeCode()).isEqualTo(code);
    }

    /** True once the server has closed the connection (reads EOF), answering nothing meanwhile. */
    boolean closedByServer() throws IOException {
        try {
            for (;;) {
                Frame f = read();
                if (f.opcode == CLOSE) {
                    return true;
                }
            }
        } catch (EOFException e) {
            return true;
        } catch (java.net.SocketException e) {
            return true; // reset
        }
    }

    InputStream input() {
        return in;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
