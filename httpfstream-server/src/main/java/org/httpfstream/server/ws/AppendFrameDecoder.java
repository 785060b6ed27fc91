package org.httpfstream.server.ws;

import org.httpfstream.server.routing.HttpFStreamHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;

/**
 * The appender's RFC 6455 frame decoder (server side), in place of Netty's {@code
 * WebSocket08FrameDecoder} on APPEND connections ({@link HttpFStreamHandler} puts it after the HTTP
 * codec). It never copies a payload: the data frames' bytes are unmasked in the socket read's own
 * buffer, eight at a time, and moved down over the frame headers in the same pass, so that the
 * payloads of one read lie side by side; what the read brought goes on as one retained slice of that
 * buffer (a plain {@link ByteBuf} of data bytes, in order). A frame may span reads: its bytes go on as
 * they come, and no read is held back for the rest of a frame.
 *
 * <p>Control frames go on as Netty's frame objects: {@link PingWebSocketFrame} and {@link
 * PongWebSocketFrame} (for {@link WebSocketKeepAlive}) and {@link CloseWebSocketFrame} (for {@link
 * AppendHandler}), each after the data that came before it; everything after a Close is discarded.
 *
 * <p>The rules are those Netty's decoder applies with the appender's settings: client frames must be
 * masked; no reserved bit (no extension is negotiated); no reserved opcode; control frames are final
 * and carry at most 125 bytes; a Close body is empty or a valid status code with an optional UTF-8
 * reason; continuation frames only inside a fragmented message and only they; lengths in their
 * shortest encoding; no frame larger than {@code maxFrameSize}. TEXT payloads are arbitrary bytes and
 * are never checked as UTF-8. After a violation the data before the bad frame goes on, then a {@link
 * CorruptedWebSocketFrameException} whose close status says what to answer: 1009 (frame too large),
 * 1007 (a Close reason that is not UTF-8) or 1002 (anything else); every further byte is discarded.
 *
 * <p>Per channel, not sharable; confined to the channel's event loop.
 */
public final class AppendFrameDecoder extends ChannelInboundHandlerAdapter {
    private static final int MAX_CONTROL_PAYLOAD = 125;
    private static final int OPCODE_CONTINUATION = 0x0;
    private static final int OPCODE_TEXT = 0x1;
    private static final int OPCODE_BINARY = 0x2;
    private static final int OPCODE_CLOSE = 0x8;
    private static final int OPCODE_PING = 0x9;
    private static final int OPCODE_PONG = 0xA;

    private enum State {
        /** Reading a frame header into {@link #header}. */
        HEADER,
        /** Unmasking a data frame's payload in place. */
        DATA,
        /** Collecting a control frame's payload into {@link #control}. */
        CONTROL,
        /** A Close frame came or a rule was broken: every further byte is discarded. */
        DONE
    }

    private final int maxFrameSize;

    private State state = State.HEADER;
    /** The current frame's header bytes so far (2 to 14). */
    private final byte[] header = new byte[14];
    private int headerLength;
    private int opcode;
    /** Payload bytes of the current frame not yet received. */
    private int remaining;
    /** The masking key as a little-endian int: its lowest byte masks payload byte 0. */
    private int mask;
    /** Payload bytes of the current frame received so far, modulo 4: where the mask stands. */
    private int maskPhase;
    /** True inside a fragmented data message: only continuation frames may follow. */
    private boolean fragmented;
    /** The payload of the control frame being received; null between control frames. */
    private ByteBuf control;

    /** @param maxFrameSize the largest payload accepted in one frame; larger frames get Close 1009 */
    public AppendFrameDecoder(int maxFrameSize) {
        if (maxFrameSize <= 0) {
            throw new IllegalArgumentException("maxFrameSize <= 0: " + maxFrameSize);
        }
        this.maxFrameSize = maxFrameSize;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        ByteBuf in = (ByteBuf) msg;
        try {
            decode(ctx, in);
        } finally {
            in.release();
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseControl();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        releaseControl();
        super.channelInactive(ctx);
    }

    /**
     * Decodes every byte of {@code in}; the data bytes are compacted into {@code [dataStart, out)} of
     * {@code in}, which goes on as one slice before each control frame and at the end.
     */
    private void decode(ChannelHandlerContext ctx, ByteBuf in) {
        int r = in.readerIndex();
        int end = in.writerIndex();
        int dataStart = r;
        int out = r; // never beyond r: headers and control payloads are consumed without output
        ByteBuffer view = null; // in's memory, for unmasking eight bytes at a time
        while (r < end && state != State.DONE) {
            switch (state) {
                case HEADER -> {
                    int need = headerLength < 2 ? 2 : headerSize();
                    int n = Math.min(need - headerLength, end - r);
                    in.getBytes(r, header, headerLength, n);
                    headerLength += n;
                    r += n;
                    if (headerLength < need) {
                        break; // the read ended inside the header
                    }
                    CorruptedWebSocketFrameException violation = headerRead();
                    if (violation != null) {
                        emit(ctx, in, dataStart, out);
                        fail(ctx, violation);
                        return;
                    }
                    if (headerLength == 0 && state == State.CONTROL && remaining == 0) { // an empty control frame
                        emit(ctx, in, dataStart, out);
                        dataStart = out;
                        if (!endControlFrame(ctx)) {
                            return;
                        }
                    }
                }
                case DATA -> {
                    int n = Math.min(remaining, end - r);
                    view = view != null ? view : view(in); // made once per read, at its first data byte
                    unmask(in, view, r, out, n);
                    r += n;
                    out += n;
                    remaining -= n;
                    maskPhase = (maskPhase + n) & 3;
                    if (remaining == 0) {
                        state = State.HEADER;
                    }
                }
                case CONTROL -> {
                    int n = Math.min(remaining, end - r);
                    copyControl(in, r, n);
                    r += n;
                    if (remaining == 0) {
                        emit(ctx, in, dataStart, out);
                        dataStart = out;
                        if (!endControlFrame(ctx)) {
                            return;
                        }
                    }
                }
                default -> throw new AssertionError(state);
            }
        }
        emit(ctx, in, dataStart, out);
    }

    /**
     * Checks the header read so far ({@code headerLength} bytes, at least two): the first two bytes'
     * rules once they are in, the frame's once all of it is, which starts the frame and makes {@code
     * headerLength} 0. Null if the rules hold, else what is wrong.
     */
    private CorruptedWebSocketFrameException headerRead() {
        CorruptedWebSocketFrameException violation = headerLength == 2 ? checkFirstBytes() : null;
        if (violation == null && headerLength == headerSize()) {
            violation = startFrame();
            if (violation == null) {
                headerLength = 0;
            }
        }
        return violation;
    }

    /** Unmasks {@code n} bytes of a control frame's payload at {@code r} of {@code in} into {@code control}. */
    private void copyControl(ByteBuf in, int r, int n) {
        for (int i = 0; i < n; i++) {
            control.writeByte(in.getByte(r + i) ^ (mask >>> 8 * ((maskPhase + i) & 3)));
        }
        remaining -= n;
        maskPhase = (maskPhase + n) & 3;
    }

    /** The size of the current header, known once its first two bytes are in. */
    private int headerSize() {
        int length7 = header[1] & 0x7f;
        return 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + ((header[1] & 0x80) != 0 ? 4 : 0);
    }

    /** The rules that the first two bytes decide; null if they hold, else what is wrong. */
    private CorruptedWebSocketFrameException checkFirstBytes() {
        boolean fin = (header[0] & 0x80) != 0;
        int rsv = (header[0] & 0x70) >> 4;
        int op = header[0] & 0x0f;
        int length7 = header[1] & 0x7f;
        if (rsv != 0) {
            return protocolError("RSV != 0 and no extension negotiated, RSV:" + rsv);
        }
        if ((header[1] & 0x80) == 0) {
            return protocolError("received a frame that is not masked as expected");
        }
        if (op > 7) {
            if (!fin) {
                return protocolError("fragmented control frame");
            }
            if (length7 > MAX_CONTROL_PAYLOAD) {
                return protocolError("control frame with payload length > 125 octets");
            }
            if (op != OPCODE_CLOSE && op != OPCODE_PING && op != OPCODE_PONG) {
                return protocolError("control frame using reserved opcode " + op);
            }
            if (op == OPCODE_CLOSE && length7 == 1) {
                return protocolError("received close control frame with payload len 1");
            }
        } else {
            if (op != OPCODE_CONTINUATION && op != OPCODE_TEXT && op != OPCODE_BINARY) {
                return protocolError("data frame using reserved opcode " + op);
            }
            if (!fragmented && op == OPCODE_CONTINUATION) {
                return protocolError("received continuation data frame outside fragmented message");
            }
            if (fragmented && op != OPCODE_CONTINUATION) {
                return protocolError(
                        "received non-continuation data frame while inside fragmented message");
            }
        }
        return null;
    }

    /** Takes the complete header: length, mask, next state. Null if the length is acceptable. */
    private CorruptedWebSocketFrameException startFrame() {
        int length7 = header[1] & 0x7f;
        long length;
        int p = 2;
        if (length7 == 126) {
            length = ((header[2] & 0xff) << 8) | (header[3] & 0xff);
            p = 4;
            if (length < 126) {
                return protocolError("invalid data frame length (not using minimal length encoding)");
            }
        } else if (length7 == 127) {
            length = 0;
            for (int i = 2; i < 10; i++) {
                length = (length << 8) | (header[i] & 0xff);
            }
            p = 10;
            if (length < 0) {
                return protocolError("invalid data frame length (negative length)");
            }
            if (length < 65536) {
                return protocolError("invalid data frame length (not using minimal length encoding)");
            }
        } else {
            length = length7;
        }
        if (length > maxFrameSize) {
            return new CorruptedWebSocketFrameException(WebSocketCloseStatus.MESSAGE_TOO_BIG,
                    "Max frame length of " + maxFrameSize + " has been exceeded.");
        }
        mask = (header[p] & 0xff) | (header[p + 1] & 0xff) << 8 | (header[p + 2] & 0xff) << 16
                | (header[p + 3] & 0xff) << 24;
        maskPhase = 0;
        remaining = (int) length;
        opcode = header[0] & 0x0f;
        if (opcode > 7) {
            control = Unpooled.buffer(remaining);
            state = State.CONTROL;
        } else {
            fragmented = (header[0] & 0x80) == 0;
            state = remaining == 0 ? State.HEADER : State.DATA;
        }
        return null;
    }

    /**
     * Passes the complete control frame on; false if it ended the decoding (a Close frame, or a Close
     * body that breaks a rule, which has been reported instead).
     */
    private boolean endControlFrame(ChannelHandlerContext ctx) {
        ByteBuf payload = control;
        control = null;
        state = State.HEADER;
        switch (opcode) {
            case OPCODE_PING -> ctx.fireChannelRead(new PingWebSocketFrame(payload));
            case OPCODE_PONG -> ctx.fireChannelRead(new PongWebSocketFrame(payload));
            default -> {
                state = State.DONE;
                CorruptedWebSocketFrameException violation = checkCloseBody(payload);
                if (violation != null) {
                    payload.release();
                    fail(ctx, violation);
                    return false;
                }
                ctx.fireChannelRead(new CloseWebSocketFrame(true, 0, payload));
                return false;
            }
        }
        return true;
    }

    private static CorruptedWebSocketFrameException checkCloseBody(ByteBuf body) {
        if (!body.isReadable()) {
            return null;
        }
        int code = body.getUnsignedShort(body.readerIndex());
        if (!CloseCodes.isValid(code)) {
            return protocolError("invalid close status code: " + code);
        }
        if (body.readableBytes() > 2) {
            try {
                StandardCharsets.UTF_8.newDecoder()
                        .decode(body.nioBuffer(body.readerIndex() + 2, body.readableBytes() - 2));
            } catch (CharacterCodingException e) {
                return new CorruptedWebSocketFrameException(WebSocketCloseStatus.INVALID_PAYLOAD_DATA,
                        "invalid UTF-8 in the close reason");
            }
        }
        return null;
    }

    private static CorruptedWebSocketFrameException protocolError(String reason) {
        return new CorruptedWebSocketFrameException(WebSocketCloseStatus.PROTOCOL_ERROR, reason);
    }

    /**
     * Stops decoding and tells the handlers after this one, which answer with a Close frame of the
     * violation's status once the data before it is safe (see {@link AppendHandler}).
     */
    private void fail(ChannelHandlerContext ctx, CorruptedWebSocketFrameException violation) {
        state = State.DONE;
        releaseControl();
        ctx.fireExceptionCaught(violation);
    }

    /** Passes {@code [from, to)} of {@code in} on, if it is not empty, as a slice with its own reference. */
    private static void emit(ChannelHandlerContext ctx, ByteBuf in, int from, int to) {
        if (to > from) {
            ctx.fireChannelRead(in.retainedSlice(from, to - from));
        }
    }

    /** {@code in}'s memory as one buffer whose index 0 is index 0 of {@code in}; null if there is none. */
    private static ByteBuffer view(ByteBuf in) {
        if (in.nioBufferCount() != 1) {
            return null; // a composite buffer: byte by byte
        }
        return in.nioBuffer(0, in.writerIndex());
    }

    /**
     * Unmasks {@code n} bytes at {@code src} of {@code in} into {@code dst <= src} (moving them down
     * over the headers before them) with the mask at the current phase. Moving forward eight bytes at
     * a time is safe however close {@code dst} is to {@code src}: each step reads its eight bytes
     * before it writes, and writes nothing beyond them. The loops run over slices indexed from 0, whose
     * bounds checks the JIT compiler can take out of the loop.
     */
    private void unmask(ByteBuf in, ByteBuffer view, int src, int dst, int n) {
        int m = Integer.rotateRight(mask, 8 * maskPhase);
        long m8 = (m & 0xFFFFFFFFL) | ((long) m << 32);
        if (view == null) {
            for (int i = 0; i < n; i++) {
                in.setByte(dst + i, in.getByte(src + i) ^ (int) (m8 >>> 8 * (i & 7)));
            }
            return;
        }
        ByteBuffer from = view.slice(src, n).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer to = view.slice(dst, n).order(ByteOrder.LITTLE_ENDIAN);
        int i = 0;
        for (; i <= n - 8; i += 8) {
            to.putLong(i, from.getLong(i) ^ m8);
        }
        for (; i < n; i++) {
            to.put(i, (byte) (from.get(i) ^ (m8 >>> 8 * (i & 7))));
        }
    }

    private void releaseControl() {
        if (control != null) {
            control.release();
            control = null;
        }
    }
}
