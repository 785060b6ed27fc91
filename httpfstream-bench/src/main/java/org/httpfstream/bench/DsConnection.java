package org.httpfstream.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import java.nio.charset.StandardCharsets;

/**
 * One HTTP/1.1 keep-alive client connection of the Durable Streams scenarios, one request at a time,
 * parsing responses from the raw bytes so that a request and its response allocate nothing: the
 * caller writes each request into the connection's reusable buffer and {@link #send()}s it; the
 * response head is read line by line into a fixed array, and only the headers the scenarios use are
 * kept (status, framing, {@code Stream-Next-Offset}, {@code Stream-Cursor}, {@code Stream-Up-To-Date});
 * body bytes (after {@code Content-Length}, chunked or until-close framing) go to the {@link Listener}
 * as ranges of the received buffers.
 *
 * <p>Per channel, not sharable; all state is confined to the channel's event loop, and the listener
 * is called there.
 */
final class DsConnection extends ChannelInboundHandlerAdapter {
    /** What a connection reports; every method is called on the connection's event loop. */
    interface Listener {
        /** The connection is open; a request may be sent. */
        void onConnected(DsConnection c);

        /** A response head has been read: {@link #status()} and the kept headers are known. */
        void onHead(DsConnection c, int status);

        /** {@code length} body bytes of {@code buf} from {@code index}, received at {@code nowNanos}. */
        void onBody(DsConnection c, ByteBuf buf, int index, int length, long nowNanos);

        /**
         * The response is complete (its last byte came at {@code nowNanos}). The next request may be
         * sent from here if {@link #reusable()}; otherwise the connection closes after this call.
         */
        void onEnd(DsConnection c, long nowNanos);

        /**
         * The connection has closed or could not be made; {@link #inExchange()} says whether a request
         * was outstanding, {@link #problem()} what went wrong, if anything.
         */
        void onClosed(DsConnection c);
    }

    private static final int MAX_LINE = 16 * 1024;
    private static final int IDLE = 0;
    private static final int HEAD = 1;
    private static final int BODY = 2;
    private static final int CHUNK_SIZE = 3;
    private static final int CHUNK_DATA = 4;
    private static final int CHUNK_END = 5;
    private static final int TRAILER = 6;
    private static final int UNTIL_CLOSE = 7;
    private static final int CLOSED = 8;

    private static final byte[] CONTENT_LENGTH = ascii("content-length");
    private static final byte[] TRANSFER_ENCODING = ascii("transfer-encoding");
    private static final byte[] CONNECTION = ascii("connection");
    private static final byte[] NEXT_OFFSET = ascii("stream-next-offset");
    private static final byte[] CURSOR = ascii("stream-cursor");
    private static final byte[] UP_TO_DATE = ascii("stream-up-to-date");
    private static final byte[] CHUNKED = ascii("chunked");
    private static final byte[] CLOSE = ascii("close");
    private static final byte[] TRUE = ascii("true");

    private final Listener listener;
    private Channel channel;
    private ByteBuf request;

    private int state = IDLE;
    private final byte[] line = new byte[MAX_LINE];
    private int lineLength;
    private boolean statusLine;
    private int status = -1;
    private long contentLength;
    private boolean chunked;
    private boolean closeAfter;
    private boolean upToDate;
    private long remaining;
    private final Value nextOffset = new Value();
    private final Value cursor = new Value();
    private boolean outstanding;
    private String problem;
    private boolean closedReported;

    /** A connection reporting to {@code listener}; add it to a channel's pipeline (tests), or use {@link #open}. */
    DsConnection(Listener listener) {
        this.listener = listener;
    }

    /**
     * Opens a connection for {@code listener} on {@code loop} (null: any of the client's loops); the
     * listener hears {@link Listener#onConnected} or, if it cannot be made, {@link Listener#onClosed}.
     */
    static void open(LoadClient client, Listener listener, EventLoop loop) {
        DsConnection c = new DsConnection(listener);
        ChannelFuture f = client.open(c, loop);
        f.addListener(done -> {
            if (!done.isSuccess()) {
                c.problem = "connect failed: " + done.cause();
                c.reportClosed();
            }
        });
    }

    /** A response header value kept as bytes in a reused array. */
    static final class Value {
        private byte[] bytes = new byte[64];
        private int length = -1;

        /** True if the header came in the last response. */
        boolean present() {
            return length >= 0;
        }

        int length() {
            return length;
        }

        /** The value's bytes; valid up to {@link #length()}. */
        byte[] bytes() {
            return bytes;
        }

        /** Copies {@code len} bytes of {@code src} from {@code off}. */
        void set(byte[] src, int off, int len) {
            if (len > bytes.length) {
                bytes = new byte[Math.max(len, 2 * bytes.length)];
            }
            System.arraycopy(src, off, bytes, 0, len);
            length = len;
        }

        /** Copies {@code other}'s value (absent stays absent). */
        void set(Value other) {
            if (other.length < 0) {
                length = -1;
            } else {
                set(other.bytes, 0, other.length);
            }
        }

        void clear() {
            length = -1;
        }

        @Override
        public String toString() {
            return length < 0 ? "(none)" : new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
        }
    }

    /** The channel, once connected. */
    Channel channel() {
        return channel;
    }

    /** The last response's status, or -1 before its head. */
    int status() {
        return status;
    }

    /** The last response's {@code Stream-Next-Offset}. */
    Value nextOffset() {
        return nextOffset;
    }

    /** The last response's {@code Stream-Cursor}. */
    Value cursor() {
        return cursor;
    }

    /** True if the last response said {@code Stream-Up-To-Date: true}. */
    boolean upToDate() {
        return upToDate;
    }

    /** True if another request may follow the last response on this connection. */
    boolean reusable() {
        return !closeAfter && state == IDLE && channel != null && channel.isActive();
    }

    /** True while a request is outstanding (sent, its response not complete). */
    boolean inExchange() {
        return outstanding;
    }

    /** What went wrong with the connection, or null if nothing did (it was closed or ended normally). */
    String problem() {
        return problem;
    }

    /**
     * The buffer the next request is written into; what lies between index 0 and its writer index is
     * sent. It keeps its content between requests, so a request whose head does not change can be
     * sent again after rewriting only its body. Call only while no request is outstanding.
     */
    ByteBuf requestBuffer() {
        if (request.refCnt() != 1) {
            // The previous write still holds it (its response came before the write completed, which
            // the event loop's order rules out); carry on with a copy rather than change it under the
            // write.
            ByteBuf copy = channel.alloc().directBuffer(request.capacity());
            copy.writeBytes(request, 0, request.writerIndex());
            request.release();
            request = copy;
        }
        return request;
    }

    /** Sends the request buffer's bytes; the response is parsed next. */
    void send() {
        if (state != IDLE) {
            throw new IllegalStateException("a request is outstanding (state " + state + ")");
        }
        status = -1;
        contentLength = -1;
        chunked = false;
        closeAfter = false;
        upToDate = false;
        nextOffset.clear();
        cursor.clear();
        statusLine = true;
        lineLength = 0;
        state = HEAD;
        outstanding = true;
        request.readerIndex(0);
        channel.writeAndFlush(request.retain(), channel.voidPromise());
    }

    /** Closes the connection; the listener hears {@link Listener#onClosed}. */
    void close() {
        if (channel != null) {
            channel.close();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        request = ctx.alloc().directBuffer(512);
        listener.onConnected(this);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            long now = System.nanoTime();
            while (in.isReadable() && state != CLOSED) {
                switch (state) {
                    case HEAD, CHUNK_SIZE, CHUNK_END, TRAILER -> {
                        if (readLine(in)) {
                            line(now);
                        }
                    }
                    case BODY, CHUNK_DATA -> {
                        int n = (int) Math.min(remaining, in.readableBytes());
                        int at = in.readerIndex();
                        in.skipBytes(n);
                        remaining -= n;
                        if (state == CHUNK_DATA && remaining == 0) {
                            state = CHUNK_END;
                        }
                        listener.onBody(this, in, at, n, now);
                        if (state == BODY && remaining == 0) {
                            end(now);
                        }
                    }
                    case UNTIL_CLOSE -> {
                        int n = in.readableBytes();
                        int at = in.readerIndex();
                        in.skipBytes(n);
                        listener.onBody(this, in, at, n, now);
                    }
                    default -> fail("response bytes with no request outstanding");
                }
            }
        } finally {
            in.release();
        }
    }

    /** Reads up to the next LF into {@link #line}; true once a whole line (without CR LF) is there. */
    private boolean readLine(ByteBuf in) {
        int from = in.readerIndex();
        int lf = in.indexOf(from, in.writerIndex(), (byte) '\n');
        int to = lf < 0 ? in.writerIndex() : lf;
        int n = to - from;
        if (lineLength + n > MAX_LINE) {
            fail("response line over " + MAX_LINE + " bytes");
            return false;
        }
        in.getBytes(from, line, lineLength, n);
        lineLength += n;
        in.readerIndex(lf < 0 ? to : lf + 1);
        if (lf < 0) {
            return false;
        }
        if (lineLength > 0 && line[lineLength - 1] == '\r') {
            lineLength--;
        }
        return true;
    }

    private void line(long now) {
        int len = lineLength;
        lineLength = 0;
        switch (state) {
            case HEAD -> {
                if (statusLine) {
                    if (len > 0) { // tolerate blank lines before the status line
                        statusLine(len);
                    }
                } else if (len > 0) {
                    header(len);
                } else {
                    headEnd(now);
                }
            }
            case CHUNK_SIZE -> {
                long size = 0;
                int digits = 0;
                for (int i = 0; i < len && line[i] != ';' && line[i] != ' ' && line[i] != '\t'; i++) {
                    int d = Character.digit(line[i], 16);
                    if (d < 0 || ++digits > 15) {
                        fail("bad chunk size line: " + text(0, len));
                        return;
                    }
                    size = size << 4 | d;
                }
                if (digits == 0) {
                    fail("bad chunk size line: " + text(0, len));
                } else if (size == 0) {
                    state = TRAILER;
                } else {
                    remaining = size;
                    state = CHUNK_DATA;
                }
            }
            case CHUNK_END -> {
                if (len != 0) {
                    fail("no CRLF after a chunk: " + text(0, len));
                } else {
                    state = CHUNK_SIZE;
                }
            }
            case TRAILER -> {
                if (len == 0) {
                    end(now);
                } else {
                    header(len); // a trailer may carry Stream-Next-Offset
                }
            }
            default -> throw new IllegalStateException("state " + state);
        }
    }

    private void statusLine(int len) {
        if (len < 12 || !startsWith(line, len, "HTTP/1.") || line[8] != ' ') {
            fail("not an HTTP/1.x status line: " + text(0, len));
            return;
        }
        int s = 0;
        for (int i = 9; i < 12; i++) {
            int d = line[i] - '0';
            if (d < 0 || d > 9) {
                fail("bad status line: " + text(0, len));
                return;
            }
            s = s * 10 + d;
        }
        status = s;
        statusLine = false;
        if (line[7] == '0') {
            closeAfter = true; // HTTP/1.0: closes unless it says keep-alive (not expected here)
        }
    }

    private void header(int len) {
        int colon = 0;
        while (colon < len && line[colon] != ':') {
            colon++;
        }
        if (colon == len) {
            return; // not a header: ignored
        }
        int from = colon + 1;
        int to = len;
        while (from < to && (line[from] == ' ' || line[from] == '\t')) {
            from++;
        }
        while (to > from && (line[to - 1] == ' ' || line[to - 1] == '\t')) {
            to--;
        }
        if (nameIs(colon, NEXT_OFFSET)) {
            nextOffset.set(line, from, to - from);
        } else if (nameIs(colon, CURSOR)) {
            cursor.set(line, from, to - from);
        } else if (nameIs(colon, UP_TO_DATE)) {
            upToDate = equalsIgnoreCase(from, to, TRUE);
        } else if (nameIs(colon, CONTENT_LENGTH)) {
            long v = 0;
            for (int i = from; i < to; i++) {
                int d = line[i] - '0';
                if (d < 0 || d > 9 || i - from > 15) {
                    fail("bad Content-Length: " + text(from, to - from));
                    return;
                }
                v = v * 10 + d;
            }
            contentLength = v;
        } else if (nameIs(colon, TRANSFER_ENCODING)) {
            chunked = contains(from, to, CHUNKED);
        } else if (nameIs(colon, CONNECTION)) {
            closeAfter |= contains(from, to, CLOSE);
        }
    }

    private void headEnd(long now) {
        if (status < 0) {
            fail("response head without a status line");
            return;
        }
        if (status / 100 == 1) { // an interim response: the real one follows
            statusLine = true;
            status = -1;
            return;
        }
        listener.onHead(this, status);
        if (state != HEAD) {
            return; // the listener closed the connection
        }
        if (status == 204 || status == 304) {
            end(now);
        } else if (chunked) {
            state = CHUNK_SIZE;
        } else if (contentLength >= 0) {
            remaining = contentLength;
            state = BODY;
            if (remaining == 0) {
                end(now);
            }
        } else {
            state = UNTIL_CLOSE;
            closeAfter = true;
        }
    }

    private void end(long now) {
        state = IDLE;
        outstanding = false;
        listener.onEnd(this, now);
        if (closeAfter && state == IDLE) {
            channel.close();
        }
    }

    private void fail(String message) {
        if (problem == null) {
            problem = message;
        }
        state = CLOSED;
        channel.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (state == UNTIL_CLOSE) {
            end(System.nanoTime());
        }
        if (request != null) {
            request.release();
            request = null;
        }
        reportClosed();
        super.channelInactive(ctx);
    }

    private void reportClosed() {
        if (!closedReported) {
            closedReported = true;
            state = CLOSED;
            listener.onClosed(this);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (problem == null) {
            problem = "connection failed: " + cause;
        }
        ctx.close();
    }

    private boolean nameIs(int nameLength, byte[] lowerName) {
        if (nameLength != lowerName.length) {
            return false;
        }
        for (int i = 0; i < nameLength; i++) {
            if ((line[i] | 0x20) != lowerName[i] && line[i] != lowerName[i]) {
                return false;
            }
        }
        return true;
    }

    private boolean equalsIgnoreCase(int from, int to, byte[] lower) {
        return to - from == lower.length && contains(from, to, lower);
    }

    private boolean contains(int from, int to, byte[] lower) {
        outer:
        for (int i = from; i + lower.length <= to; i++) {
            for (int k = 0; k < lower.length; k++) {
                if ((line[i + k] | 0x20) != lower[k]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static boolean startsWith(byte[] b, int len, String prefix) {
        if (len < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (b[i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private String text(int from, int len) {
        return new String(line, from, Math.min(len, 200), StandardCharsets.ISO_8859_1);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
