package org.httpfstream.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.AbstractThrowableAssert;
import org.httpfstream.testing.WsWire;

/**
 * A test server that speaks HTTP/1.1 and WebSocket by hand, byte by byte, so tests control exactly what
 * the client receives and see exactly what it sends. It accepts one connection per script, in order, and
 * runs each script on its own thread.
 */
final class ScriptedPeer implements AutoCloseable {

    /** Upper bound for anything a peer waits for; tests fail rather than hang. */
    static final int TIMEOUT_MILLIS = 10_000;

    /** One connection's behaviour. */
    @FunctionalInterface
    interface Script {
        void run(Connection c) throws Exception;
    }

    /** A client for scripts that may make it resume: 10 s to read, 10 s to resume. */
    static HttpFStreamClient resumingClient() {
        return HttpFStreamClient.builder()
                .readTimeout(Duration.ofSeconds(10))
                .resumeTimeout(Duration.ofSeconds(10))
                .build();
    }

    /**
     * Reads {@code text.length()} bytes of {@code in}, asserts they are {@code text} (US-ASCII), and
     * returns the assertion on what the next read throws.
     */
    static AbstractThrowableAssert<?, ? extends Throwable> assertReadsThenFails(InputStream in, String text)
            throws IOException {
        assertThat(text(in.readNBytes(text.length()))).isEqualTo(text);
        return assertThatThrownBy(in::read);
    }

    /**
     * Reads {@code text} (US-ASCII) from {@code in}, closes it twice (the second close does nothing), then
     * asserts that a read fails with "stream closed".
     */
    static void assertReadsThenClosesTwice(InputStream in, String text) throws IOException {
        assertThat(text(in.readNBytes(text.length()))).isEqualTo(text);
        in.close();
        in.close();
        assertThatThrownBy(in::read).isInstanceOf(IOException.class).hasMessage("stream closed");
    }

    /** {@code b} as US-ASCII text. */
    static String text(byte[] b) {
        return new String(b, StandardCharsets.US_ASCII);
    }

    private final ServerSocket serverSocket;
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    private ScriptedPeer(Script... scripts) throws IOException {
        serverSocket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread thread = new Thread(() -> {
            try {
                for (Script script : scripts) {
                    try (Socket socket = serverSocket.accept()) {
                        socket.setSoTimeout(TIMEOUT_MILLIS);
                        script.run(new Connection(socket));
                    }
                }
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        }, "scripted-peer");
        thread.setDaemon(true);
        thread.start();
    }

    /** Starts a peer that serves one connection per script. */
    static ScriptedPeer start(Script... scripts) throws IOException {
        return new ScriptedPeer(scripts);
    }

    int port() {
        return serverSocket.getLocalPort();
    }

    /** Returns {@code http://127.0.0.1:PORT} + {@code pathAndQuery}. */
    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port() + pathAndQuery);
    }

    /** Waits until every script has finished and rethrows the first failure of any script. */
    void awaitScripts() throws Exception {
        try {
            done.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception) {
                throw (Exception) cause;
            }
            throw (Error) cause;
        }
    }

    /** What a test checks on a followed stream of this peer. */
    @FunctionalInterface
    interface FollowCheck {
        void check(URI uri, FollowInputStream in) throws Exception;
    }

    /**
     * The skeleton of a follower's test: follows {@code pathAndQuery} on this peer with {@code client}, runs
     * {@code check} on the stream, closes it, then waits for every script ({@link #awaitScripts()}).
     */
    void follow(HttpFStreamClient client, String pathAndQuery, FollowCheck check) throws Exception {
        URI uri = uri(pathAndQuery);
        try (FollowInputStream in = client.follow(uri)) {
            check.check(uri, in);
        }
        awaitScripts();
    }

    /**
     * Follows {@code pathAndQuery} with {@code client} as {@link #follow} does, reading it to its end with
     * reads of at most {@code bufferSize} bytes, and asserts that the whole stream is {@code text} (US-ASCII).
     */
    void assertFollows(HttpFStreamClient client, String pathAndQuery, int bufferSize, String text) throws Exception {
        follow(client, pathAndQuery, (uri, in) -> assertThat(text(FollowTest.readAll(in, bufferSize))).isEqualTo(text));
    }

    @Override
    public void close() throws IOException {
        serverSocket.close();
    }

    /** An HTTP request head as received. */
    record Request(String requestLine, Map<String, String> headers) {
        String header(String name) {
            return headers.get(name);
        }
    }

    /** A WebSocket frame as received, payload unmasked. */
    record Frame(boolean fin, int rsv, int opcode, byte[] maskKey, byte[] payload) {
        boolean masked() {
            return maskKey != null;
        }

        int closeCode() {
            assertThat(opcode).as("opcode").isEqualTo(8);
            return payload.length < 2 ? -1 : ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
        }

        String text() {
            return new String(payload, StandardCharsets.ISO_8859_1);
        }
    }

    /** The peer's end of one connection. */
    static final class Connection {
        final Socket socket;
        final DataInputStream in;
        final OutputStream out;

        Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            this.out = socket.getOutputStream();
        }

        /** Reads a request head. */
        Request readRequest() throws IOException {
            String requestLine = readLine();
            Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            for (String line = readLine(); !line.isEmpty(); line = readLine()) {
                int colon = line.indexOf(':');
                headers.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
            }
            return new Request(requestLine, headers);
        }

        private String readLine() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) != '\n') {
                if (b < 0) {
                    throw new EOFException("EOF in request head");
                }
                line.write(b);
            }
            String s = line.toString(StandardCharsets.ISO_8859_1);
            assertThat(s).as("request lines end in CRLF").endsWith("\r");
            return s.substring(0, s.length() - 1);
        }

        /** Reads a request head and answers it with a correct 101 response. */
        Request upgrade() throws IOException {
            return upgrade("");
        }

        /**
         * Reads a request head and answers it with a correct 101 response that also has
         * {@code extraHeaders} (complete header lines, each ending in CRLF).
         */
        Request upgrade(String extraHeaders) throws IOException {
            Request request = readRequest();
            write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + Handshake.acceptFor(request.header("Sec-WebSocket-Key"))
                    + "\r\n" + extraHeaders + "\r\n");
            return request;
        }

        /** Reads a request and writes {@code response} as it stands. */
        void answer(String response) throws IOException {
            readRequest();
            write(response);
        }

        /** Reads a request, writes {@code response} as it stands, then waits until the client closes. */
        void answerThenEof(String response) throws IOException {
            answer(response);
            expectEof();
        }

        void write(String ascii) throws IOException {
            write(ascii.getBytes(StandardCharsets.ISO_8859_1));
        }

        void write(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        /** Sends an unmasked frame. */
        void sendFrame(boolean fin, int opcode, byte[] payload) throws IOException {
            write(frame(fin, opcode, payload, null));
        }

        /** Sends a complete unmasked TEXT message. */
        void sendText(byte[] payload) throws IOException {
            sendFrame(true, 1, payload);
        }

        void sendText(String ascii) throws IOException {
            sendText(ascii.getBytes(StandardCharsets.ISO_8859_1));
        }

        /**
         * Sends a Close frame with {@code code} and {@code reason}, reads the client's reply, then waits
         * until the client closes the connection.
         *
         * @return the client's reply
         */
        Frame closeThenEof(int code, String reason) throws IOException {
            sendClose(code, reason);
            Frame reply = readFrame();
            expectEof();
            return reply;
        }

        void sendClose(int code, String reason) throws IOException {
            byte[] r = reason.getBytes(StandardCharsets.UTF_8);
            byte[] payload = new byte[2 + r.length];
            payload[0] = (byte) (code >>> 8);
            payload[1] = (byte) code;
            System.arraycopy(r, 0, payload, 2, r.length);
            sendFrame(true, 8, payload);
        }

        /** Encodes a frame; masked with {@code maskKey} if it is not null. */
        static byte[] frame(boolean fin, int opcode, byte[] payload, byte[] maskKey) {
            ByteArrayOutputStream f = new ByteArrayOutputStream();
            f.write((fin ? 0x80 : 0) | opcode);
            int maskBit = maskKey == null ? 0 : 0x80;
            int len = payload.length;
            if (len <= 125) {
                f.write(maskBit | len);
            } else if (len <= 0xFFFF) {
                f.write(maskBit | 126);
                f.write(len >>> 8);
                f.write(len);
            } else {
                f.write(maskBit | 127);
                for (int shift = 56; shift >= 0; shift -= 8) {
                    f.write((int) ((long) len >>> shift));
                }
            }
            if (maskKey != null) {
                f.writeBytes(maskKey);
            }
            for (int i = 0; i < len; i++) {
                f.write(maskKey == null ? payload[i] : payload[i] ^ maskKey[i & 3]);
            }
            return f.toByteArray();
        }

        /** Reads one frame; fails unless the client masked it, as clients must. */
        /**
         * Upgrades an APPEND and reads the ping an appender sends first (it shows the server that the
         * appender reads, so that the server may ping it); returns the request.
         */
        Request upgradeAppend() throws IOException {
            Request request = upgrade();
            Frame ping = readFrame();
            assertThat(ping.opcode()).as("an appender's first frame").isEqualTo(0x9);
            assertThat(ping.payload()).isEmpty();
            return request;
        }

        Frame readFrame() throws IOException {
            WsWire.Frame f = WsWire.readFrame(in);
            assertThat(f.maskKey()).as("client frames are masked").isNotNull();
            return new Frame(f.fin(), f.rsv(), f.opcode(), f.maskKey(), f.payload());
        }

        /** Reads frames until a data frame arrives, collecting control frames on the way. */
        Frame readFrameSkipping(List<Frame> controlFrames) throws IOException {
            while (true) {
                Frame f = readFrame();
                if ((f.opcode() & 8) == 0) {
                    return f;
                }
                controlFrames.add(f);
            }
        }

        /** Reads the payloads of TEXT frames until {@code total} bytes have arrived; returns the frames. */
        List<Frame> readDataFrames(int total) throws IOException {
            List<Frame> frames = new ArrayList<>();
            int got = 0;
            while (got < total) {
                Frame f = readFrame();
                frames.add(f);
                got += f.payload().length;
            }
            return frames;
        }

        /** Waits until the client closes the connection (discarding anything it still sends). */
        void expectEof() throws IOException {
            try {
                while (in.read() >= 0) {
                    // discard
                }
            } catch (SocketException e) {
                // a reset is an end too
            }
        }

        /** Reads everything the client sends until it closes the connection. */
        byte[] readToEof() {
            try {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Reads some bytes, to see what the client sent first. */
        byte[] readSome(int n) throws IOException {
            byte[] bytes = new byte[n];
            in.readFully(bytes);
            return bytes;
        }

        InputStream rawIn() {
            return in;
        }
    }
}
