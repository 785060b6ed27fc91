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
 * as ranges of the received buffers. This class keeps the exchange's state machine; {@link ResponseLine}
 * reads and parses the lines.
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

    /** Where the exchange stands: which bytes come next. */
    private enum State {
        /** No request outstanding. */
        IDLE,
        /** The response head's lines. */
        HEAD,
        /** A {@code Content-Length} body. */
        BODY,
        /** A chunk's size line. */
        CHUNK_SIZE,
        /** A chunk's bytes. */
        CHUNK_DATA,
        /** The CRLF after a chunk's bytes. */
        CHUNK_END,
        /** The trailer lines after the last chunk. */
        TRAILER,
        /** A body that ends with the connection. */
        UNTIL_CLOSE,
        /** The connection is closed or failing. */
        CLOSED
    }

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

    private State state = State.IDLE;
    private final ResponseLine line = new ResponseLine();
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
        return !closeAfter && state == State.IDLE && channel != null && channel.isActive();
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
        if (state != State.IDLE) {
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
        line.reset();
        state = State.HEAD;
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
            while (in.isReadable() && state != State.CLOSED) {
                switch (state) {
                    case HEAD, CHUNK_SIZE, CHUNK_END, TRAILER -> {
                        int len = line.read(in);
                        if (len == ResponseLine.TOO_LONG) {
                            fail("response line over " + ResponseLine.MAX + " bytes");
                        } else if (len >= 0) {
                            line(len, now);
                        }
                    }
                    case BODY, CHUNK_DATA -> {
                        int n = (int) Math.min(remaining, in.readableBytes());
                        int at = in.readerIndex();
                        in.skipBytes(n);
                        remaining -= n;
                        if (state == State.CHUNK_DATA && remaining == 0) {
                            state = State.CHUNK_END;
                        }
                        listener.onBody(this, in, at, n, now);
                        if (state == State.BODY && remaining == 0) {
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

    private void line(int len, long now) {
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
                long size = line.chunkSize(len);
                if (size < 0) {
                    fail("bad chunk size line: " + line.text(len));
                } else if (size == 0) {
                    state = State.TRAILER;
                } else {
                    remaining = size;
                    state = State.CHUNK_DATA;
                }
            }
            case CHUNK_END -> {
                if (len != 0) {
                    fail("no CRLF after a chunk: " + line.text(len));
                } else {
                    state = State.CHUNK_SIZE;
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
        int s = line.statusCode(len);
        if (s < 0) {
            fail((s == -1 ? "not an HTTP/1.x status line: " : "bad status line: ") + line.text(len));
            return;
        }
        status = s;
        statusLine = false;
        if (line.http10()) {
            closeAfter = true; // HTTP/1.0: closes unless it says keep-alive (not expected here)
        }
    }

    private void header(int len) {
        int name = line.headerName(len);
        if (name < 0) {
            return; // not a header: ignored
        }
        if (line.nameIs(name, NEXT_OFFSET)) {
            line.copyValue(nextOffset);
        } else if (line.nameIs(name, CURSOR)) {
            line.copyValue(cursor);
        } else if (line.nameIs(name, UP_TO_DATE)) {
            upToDate = line.valueIs(TRUE);
        } else if (line.nameIs(name, CONTENT_LENGTH)) {
            contentLength = line.decimalValue();
            if (contentLength < 0) {
                fail("bad Content-Length: " + line.valueText());
            }
        } else if (line.nameIs(name, TRANSFER_ENCODING)) {
            chunked = line.valueContains(CHUNKED);
        } else if (line.nameIs(name, CONNECTION)) {
            closeAfter |= line.valueContains(CLOSE);
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
        if (state != State.HEAD) {
            return; // the listener closed the connection
        }
        if (status == 204 || status == 304) {
            end(now);
        } else if (chunked) {
            state = State.CHUNK_SIZE;
        } else if (contentLength >= 0) {
            remaining = contentLength;
            state = State.BODY;
            if (remaining == 0) {
                end(now);
            }
        } else {
            state = State.UNTIL_CLOSE;
            closeAfter = true;
        }
    }

    private void end(long now) {
        state = State.IDLE;
        outstanding = false;
        listener.onEnd(this, now);
        if (closeAfter && state == State.IDLE) {
            channel.close();
        }
    }

    private void fail(String message) {
        if (problem == null) {
            problem = message;
        }
        state = State.CLOSED;
        channel.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (state == State.UNTIL_CLOSE) {
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
            state = State.CLOSED;
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

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
