package org.httpfstream.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One client connection of the httpfstream protocol, written against raw bytes so that the hot path
 * allocates nothing: it sends a GET (with a WebSocket upgrade, or plain), reads the response head,
 * then either parses WebSocket frames in place (no frame objects; TEXT payloads are never checked as
 * UTF-8; frames of any size) or reads an HTTP body. Payload bytes go to {@link #onData} as ranges of
 * the received buffer. Pings are answered, Close frames are answered and end the connection.
 *
 * <p>Per connection; all state is confined to the channel's event loop, except where subclasses say
 * otherwise. Results are read by other threads after the {@link Cohort} says the connection has
 * finished, which orders them.
 */
abstract class Peer extends ChannelInboundHandlerAdapter {
    private static final String WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final int MAX_HEAD = 16 * 1024;

    /** What the connection reads next: the response head, WebSocket frames, an HTTP body, or nothing. */
    private enum Phase { HEAD, WS, BODY, DONE }

    protected final Cohort cohort;
    protected final int id;
    private final String path;
    private final boolean upgrade;
    private final String extraHeaders;
    private Runnable onSettled = () -> { };

    protected Channel channel;
    private Phase phase = Phase.HEAD;
    private String key;
    private ByteBuf head;
    private int last4;
    private int status = -1;
    private long bodyRemaining;

    private final byte[] frameHead = new byte[14];
    private int frameHeadLength;
    private int frameHeadNeeded = 2;
    private boolean inPayload;
    private int opcode;
    private long payloadRemaining;
    private byte[] control;
    private int controlLength;

    private boolean closeSent;
    private int closeCode = -1;
    private String error;
    private boolean settled;
    private volatile boolean finished;

    /**
     * @param cohort the group this connection is counted in
     * @param id the connection's number in its cohort, for error messages
     * @param path request path, starting with '/'
     * @param upgrade ask for a WebSocket upgrade; a plain GET if false
     * @param extraHeaders more request header lines, each ending in CRLF
     */
    Peer(Cohort cohort, int id, String path, boolean upgrade, String extraHeaders) {
        this.cohort = cohort;
        this.id = id;
        this.path = path;
        this.upgrade = upgrade;
        this.extraHeaders = extraHeaders;
    }

    /** Channel options for this kind of connection; called before connecting. */
    void configure(Bootstrap bootstrap) {
    }

    /** Called once, when the connection is open or has failed to open. */
    void onSettled(Runnable r) {
        this.onSettled = r;
    }

    /** The response's HTTP status, or -1 before it came. */
    final int status() {
        return status;
    }

    /** The status of the server's Close frame, 1005 if it had none, or -1 if none came. */
    final int closeCode() {
        return closeCode;
    }

    /** True once the connection has closed (or failed to open) and the cohort has counted it. */
    final boolean isFinished() {
        return finished;
    }

    /** The connection's state, for reports of connections that did not finish. */
    String describe() {
        Channel ch = channel;
        return cohort.name() + " " + id + ": status " + status + ", phase " + phase + ", close code "
                + closeCode + ", close sent " + closeSent + ", channel "
                + (ch == null ? "none" : ch.isActive() ? "active" : ch.isOpen() ? "open" : "closed")
                + (error == null ? "" : ", error " + error);
    }

    /** The first thing that went wrong, or null. */
    final String error() {
        return error;
    }

    /** Payload bytes received: {@code length} bytes of {@code buf} from {@code index}. */
    abstract void onData(ByteBuf buf, int index, int length, long nowNanos);

    /** The response head has been read; {@link #status()} is known, data may follow. */
    void onOpen() {
    }

    /** A Close frame from the server; the default answers it and closes the connection. */
    void onClose(int code, long nowNanos) {
        if (closeSent) {
            channel.close();
        } else {
            sendClose(code == 1005 ? 1000 : code).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** The connection has closed; the peer's results are final. */
    void onFinish() {
    }

    final io.netty.channel.ChannelFuture sendClose(int code) {
        closeSent = true;
        return channel.writeAndFlush(Payload.closeFrame(channel.alloc(), code));
    }

    final boolean closeSent() {
        return closeSent;
    }

    /** Records the first error and closes the connection. */
    final void fail(String message) {
        if (error == null) {
            error = message;
            cohort.error(cohort.name() + " " + id + ": " + message);
        }
        settle();
        if (channel != null) {
            channel.close();
        }
    }

    /** The connection could not be made. */
    final void connectFailed(Throwable cause) {
        fail("connect failed: " + cause);
        if (!finished) {
            finished = true;
            cohort.finished();
        }
    }

    private void settle() {
        if (!settled) {
            settled = true;
            cohort.opened();
            onSettled.run();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        StringBuilder r = new StringBuilder(256);
        String host = hostHeader(ctx);
        r.append("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n")
                .append(RequestAuth.line());
        if (upgrade) {
            byte[] nonce = new byte[16];
            ThreadLocalRandom.current().nextBytes(nonce);
            key = Base64.getEncoder().encodeToString(nonce);
            r.append("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")
                    .append("Sec-WebSocket-Key: ").append(key).append("\r\n")
                    .append("Origin: ")
                    .append(ctx.pipeline().get(io.netty.handler.ssl.SslHandler.class) != null ? "https://" : "http://")
                    .append(host).append("\r\n");
        }
        r.append(extraHeaders).append("\r\n");
        head = Unpooled.buffer(512);
        ctx.writeAndFlush(Unpooled.copiedBuffer(r, StandardCharsets.US_ASCII));
    }

    private static String hostHeader(ChannelHandlerContext ctx) {
        java.net.InetSocketAddress a = (java.net.InetSocketAddress) ctx.channel().remoteAddress();
        String h = a.getAddress().getHostAddress();
        return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + a.getPort();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            long now = System.nanoTime();
            if (phase == Phase.HEAD) {
                readHead(in);
            }
            if (phase == Phase.WS) {
                readFrames(in, now);
            } else if (phase == Phase.BODY) {
                readBody(in, now);
            }
        } finally {
            in.release();
        }
    }

    private void readHead(ByteBuf in) {
        while (in.isReadable()) {
            byte b = in.readByte();
            head.writeByte(b);
            last4 = (last4 << 8) | (b & 0xff);
            if (last4 == 0x0D0A0D0A) {
                parseHead();
                return;
            }
            if (head.readableBytes() > MAX_HEAD) {
                phase = Phase.DONE;
                fail("response head over " + MAX_HEAD + " bytes");
                return;
            }
        }
    }

    private void parseHead() {
        String text = head.toString(StandardCharsets.ISO_8859_1);
        head.release();
        head = null;
        String[] lines = text.split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        Map<String, String> headers = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
        }
        try {
            status = Integer.parseInt(statusLine[1]);
        } catch (RuntimeException e) {
            phase = Phase.DONE;
            fail("bad status line: " + lines[0]);
            return;
        }
        if (status == 101 && upgrade) {
            String accept = headers.get("sec-websocket-accept");
            if (!expectedAccept().equals(accept)) {
                phase = Phase.DONE;
                fail("bad Sec-WebSocket-Accept: " + accept);
                return;
            }
            phase = Phase.WS;
        } else if (status == 200 || status == 206) {
            if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                phase = Phase.DONE;
                fail("chunked response bodies are not supported");
                return;
            }
            String length = headers.get("content-length");
            bodyRemaining = length == null ? -1 : Long.parseLong(length);
            phase = Phase.BODY;
        } else {
            phase = Phase.DONE;
            fail("HTTP " + status + " " + (statusLine.length > 2 ? statusLine[2] : ""));
            return;
        }
        settle();
        onOpen();
        if (phase == Phase.BODY && bodyRemaining == 0) {
            endBody();
        }
    }

    private String expectedAccept() {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            byte[] d = sha1.digest((key + WS_GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void readBody(ByteBuf in, long now) {
        int n = bodyRemaining < 0 ? in.readableBytes()
                : (int) Math.min(bodyRemaining, in.readableBytes());
        if (n > 0) {
            onData(in, in.readerIndex(), n, now);
            in.skipBytes(n);
        }
        if (bodyRemaining > 0) {
            bodyRemaining -= n;
            if (bodyRemaining == 0) {
                endBody();
            }
        }
    }

    private void endBody() {
        phase = Phase.DONE;
        channel.close();
    }

    private void readFrames(ByteBuf in, long now) {
        while (phase == Phase.WS && in.isReadable()) {
            if (!inPayload) {
                frameHead[frameHeadLength++] = in.readByte();
                if (frameHeadLength == 2) {
                    int len7 = frameHead[1] & 0x7f;
                    frameHeadNeeded = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0)
                            + ((frameHead[1] & 0x80) != 0 ? 4 : 0);
                }
                if (frameHeadLength >= 2 && frameHeadLength == frameHeadNeeded) {
                    startFrame(now);
                }
            } else {
                int n = (int) Math.min(payloadRemaining, in.readableBytes());
                if (opcode >= 8) {
                    in.readBytes(control, controlLength, n);
                    controlLength += n;
                } else {
                    onData(in, in.readerIndex(), n, now);
                    in.skipBytes(n);
                }
                payloadRemaining -= n;
                if (payloadRemaining == 0) {
                    endFrame(now);
                }
            }
        }
    }

    private void startFrame(long now) {
        opcode = frameHead[0] & 0x0f;
        int len7 = frameHead[1] & 0x7f;
        long length = len7;
        if (len7 == 126) {
            length = ((frameHead[2] & 0xff) << 8) | (frameHead[3] & 0xff);
        } else if (len7 == 127) {
            length = 0;
            for (int i = 2; i < 10; i++) {
                length = (length << 8) | (frameHead[i] & 0xff);
            }
        }
        frameHeadLength = 0;
        frameHeadNeeded = 2;
        if ((frameHead[1] & 0x80) != 0) {
            phase = Phase.DONE;
            fail("the server sent a masked frame");
            return;
        }
        if (opcode >= 8) {
            if (opcode > 10 || length > 125) {
                phase = Phase.DONE;
                fail("bad control frame: opcode " + opcode + ", length " + length);
                return;
            }
            if (control == null) {
                control = new byte[125];
            }
            controlLength = 0;
        } else if (opcode > 2 || length < 0) {
            phase = Phase.DONE;
            fail("bad data frame: opcode " + opcode + ", length " + length);
            return;
        }
        payloadRemaining = length;
        if (length == 0) {
            endFrame(now);
        } else {
            inPayload = true;
        }
    }

    private void endFrame(long now) {
        inPayload = false;
        if (opcode == 0x8) {
            closeCode = controlLength >= 2
                    ? ((control[0] & 0xff) << 8) | (control[1] & 0xff) : 1005;
            phase = Phase.DONE;
            onClose(closeCode, now);
        } else if (opcode == 0x9 && !closeSent) {
            channel.writeAndFlush(Payload.controlFrame(channel.alloc(), 0xA, control, controlLength));
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (head != null) {
            head.release();
            head = null;
        }
        if (!settled) {
            fail("connection closed before the response (status " + status + ")");
        }
        if (!finished) {
            finished = true;
            try {
                onFinish();
            } finally {
                cohort.finished();
            }
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail("connection failed: " + cause);
    }
}
