package org.httpfstream.bench;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A ds-readers reader: follows one stream from a start offset and checks what it receives record by
 * record ({@link DsScenarios#readerRecord}): sequences 0, 1, 2, … each once and in order, each with its
 * filler intact; each record's latency is from its send time (carried in the record) to the arrival of
 * its last byte (the read that brought it). It finishes when it has every one of {@code messages}
 * records. Records are checked in a reused array: nothing is allocated per record.
 *
 * <p>Confined to its event loop, as {@link DsClient} says; {@link #received()} may be read at any time.
 */
abstract class DsReader extends DsClient {
    private static final byte[] OFFSET_PARAM = DsConnection.ascii("?offset=");
    private static final byte[] CURSOR_PARAM = DsConnection.ascii("&cursor=");

    private final long messages;
    private final Histogram latency;
    private final byte[] getPath;
    private final byte[] versionAndHost;
    private final byte[] pending;
    private final byte[] expected;
    private int pendingLength;
    private volatile long received;
    /** Where the next request starts: the last committed offset. */
    protected final DsConnection.Value offset = new DsConnection.Value();
    /** The last cursor the server gave, echoed in the next request. */
    protected final DsConnection.Value cursor = new DsConnection.Value();

    DsReader(Cohort cohort, String name, LoadClient client, String path, String host, String startOffset,
            int size, long messages, Histogram latency) {
        super(cohort, name, client);
        this.messages = messages;
        this.latency = latency;
        this.getPath = DsConnection.ascii("GET " + path);
        this.versionAndHost = versionAndHost(host);
        this.pending = new byte[size];
        this.expected = new byte[size];
        byte[] start = DsConnection.ascii(startOffset);
        offset.set(start, 0, start.length);
    }

    /** Writes a GET from {@link #offset} with {@code liveParam} and the cursor, ending with {@code lastHeaders}. */
    final void sendGet(DsConnection c, byte[] liveParam, byte[] lastHeaders) {
        ByteBuf b = c.requestBuffer().clear();
        b.writeBytes(getPath).writeBytes(OFFSET_PARAM);
        writeQueryValue(b, offset);
        b.writeBytes(liveParam);
        if (cursor.present()) {
            b.writeBytes(CURSOR_PARAM);
            writeQueryValue(b, cursor);
        }
        b.writeBytes(versionAndHost).writeBytes(lastHeaders);
        c.send();
    }

    /** Takes {@code length} record bytes of {@code buf} from {@code index}, received at {@code nowNanos}. */
    final void accept(ByteBuf buf, int index, int length, long nowNanos) {
        while (length > 0 && !isFinished()) {
            int n = Math.min(length, pending.length - pendingLength);
            buf.getBytes(index, pending, pendingLength, n);
            index += n;
            length -= n;
            pendingLength += n;
            if (pendingLength == pending.length) {
                record(nowNanos);
            }
        }
    }

    /** As {@link #accept(ByteBuf, int, int, long)}, from an array. */
    final void accept(byte[] b, int off, int length, long nowNanos) {
        while (length > 0 && !isFinished()) {
            int n = Math.min(length, pending.length - pendingLength);
            System.arraycopy(b, off, pending, pendingLength, n);
            off += n;
            length -= n;
            pendingLength += n;
            if (pendingLength == pending.length) {
                record(nowNanos);
            }
        }
    }

    private void record(long nowNanos) {
        pendingLength = 0;
        long next = received;
        long seq = DsScenarios.unhex(pending, 0, 8);
        long sentAt = DsScenarios.unhex(pending, 8, 16);
        if (seq != next) {
            fail("got sequence " + seq + ", expected " + next);
            return;
        }
        DsScenarios.readerRecord(expected, seq);
        if (sentAt < 0 || !Arrays.equals(pending, 24, pending.length, expected, 24, expected.length)) {
            fail("record " + seq + " is damaged: " + new String(pending, StandardCharsets.ISO_8859_1));
            return;
        }
        latency.record(nowNanos - sentAt);
        received = next + 1;
    }

    /** True once every record has come. */
    final boolean complete() {
        return received >= messages;
    }

    /** Records received in order. */
    final long received() {
        return received;
    }

    /** Bytes of an incomplete record held at the end. */
    final int strayBytes() {
        return pendingLength;
    }

    /**
     * Long-poll: {@code GET ?offset=…&live=long-poll[&cursor=…]}; a 200 carries records and
     * {@code Stream-Next-Offset}, a 204 (the wait timed out) re-polls from the offset it gives; the
     * cursor of each answer is echoed. Ready once its first request is written.
     */
    static final class LongPoll extends DsReader {
        private static final byte[] LIVE = DsConnection.ascii("&live=long-poll");
        private static final byte[] END = DsConnection.ascii("\r\n");

        LongPoll(Cohort cohort, LoadClient client, int id, String path, String host, String startOffset, int size,
                long messages, Histogram latency) {
            super(cohort, "long-poll reader " + id, client, path, host, startOffset, size, messages, latency);
        }

        @Override
        void connected(DsConnection c) {
            sendGet(c, LIVE, END);
            settle();
        }

        @Override
        public void onHead(DsConnection c, int status) {
            if (status != 200 && status != 204) {
                fail("long-poll answered " + status);
            }
        }

        @Override
        public void onBody(DsConnection c, ByteBuf buf, int index, int length, long nowNanos) {
            if (c.status() == 200) {
                accept(buf, index, length, nowNanos);
            }
        }

        @Override
        public void onEnd(DsConnection c, long nowNanos) {
            if (isFinished()) {
                return;
            }
            if (c.status() == 200 && !c.nextOffset().present()) {
                fail("200 without Stream-Next-Offset");
                return;
            }
            if (c.nextOffset().present()) {
                offset.set(c.nextOffset());
            }
            if (c.cursor().present()) {
                cursor.set(c.cursor());
            }
            if (complete()) {
                finish();
            } else if (c.reusable()) {
                sendGet(c, LIVE, END);
            } // else the connection closes and the next one polls
        }
    }

    /**
     * SSE: {@code GET ?offset=…&live=sse[&cursor=…]} with {@code Accept: text/event-stream}. The lines
     * of each event are parsed as they arrive; the {@code data:} lines of an {@code event: data} are
     * joined without separators (bodies have no newline) and taken when the event ends (its blank
     * line); an {@code event: control} commits its {@code streamNextOffset} and {@code streamCursor}.
     * When the response ends or the connection drops after it began, it reconnects from the last
     * committed offset and skips the bytes of data events it already took beyond it. Ready once the
     * response head (200) has come.
     */
    static final class Sse extends DsReader {
        private static final byte[] LIVE = DsConnection.ascii("&live=sse");
        private static final byte[] ACCEPT = DsConnection.ascii("Accept: text/event-stream\r\n\r\n");
        private static final byte[] DATA = DsConnection.ascii("data");
        private static final byte[] EVENT = DsConnection.ascii("event");
        private static final byte[] CONTROL = DsConnection.ascii("control");
        private static final byte[] NEXT_OFFSET_KEY = DsConnection.ascii("\"streamNextOffset\"");
        private static final byte[] CURSOR_KEY = DsConnection.ascii("\"streamCursor\"");
        /** Where the parser stands in an event's line: its start, its field name, or which value. */
        private enum LinePart { LINE_START, FIELD, DATA_VALUE, EVENT_VALUE, SKIP }

        private LinePart state = LinePart.LINE_START;
        private boolean lastCr;
        private boolean valueStart;
        private final byte[] field = new byte[8];
        private int fieldLength;
        private final byte[] event = new byte[16];
        private int eventLength;
        private byte[] data = new byte[16 * 1024];
        private int dataLength;
        /** Data bytes of this connection's response since its last control event. */
        private long position;
        /** Data bytes beyond the committed offset already taken (from an earlier connection). */
        private long seen;

        Sse(Cohort cohort, LoadClient client, int id, String path, String host, String startOffset, int size,
                long messages, Histogram latency) {
            super(cohort, "SSE reader " + id, client, path, host, startOffset, size, messages, latency);
        }

        @Override
        void connected(DsConnection c) {
            request(c);
        }

        private void request(DsConnection c) {
            state = LinePart.LINE_START;
            lastCr = false;
            eventLength = 0;
            dataLength = 0;
            position = 0;
            sendGet(c, LIVE, ACCEPT);
        }

        @Override
        boolean mayReconnect(DsConnection c) {
            return c.status() == 200; // a dropped response resumes; a refused one does not
        }

        @Override
        public void onHead(DsConnection c, int status) {
            if (status != 200) {
                fail("SSE answered " + status);
            } else {
                settle();
            }
        }

        @Override
        public void onEnd(DsConnection c, long nowNanos) {
            if (!isFinished() && c.reusable()) {
                request(c); // the server ended the response but kept the connection
            }
        }

        @Override
        public void onBody(DsConnection c, ByteBuf buf, int index, int length, long nowNanos) {
            int i = index;
            int end = index + length;
            while (i < end && !isFinished()) {
                switch (state) {
                    case LINE_START -> i = lineStart(buf, i, nowNanos);
                    case FIELD -> i = fieldByte(buf, i);
                    default -> i = value(buf, i, end);
                }
            }
        }

        /** At the start of a line at {@code i}: a blank line ends the event; returns where to go on. */
        private int lineStart(ByteBuf buf, int i, long nowNanos) {
            byte b = buf.getByte(i);
            if (lastCr && b == '\n') { // the LF of a CR LF
                lastCr = false;
                return i + 1;
            } else if (b == '\r' || b == '\n') { // a blank line: the event ends
                lastCr = b == '\r';
                dispatch(nowNanos);
                return i + 1;
            } else {
                lastCr = false;
                fieldLength = 0;
                state = LinePart.FIELD;
                return i;
            }
        }

        /** One byte of a field name at {@code i}; the colon chooses how its value is read. */
        private int fieldByte(ByteBuf buf, int i) {
            byte b = buf.getByte(i);
            if (b == ':') {
                valueStart = true;
                if (fieldIs(DATA)) {
                    state = LinePart.DATA_VALUE;
                } else if (fieldIs(EVENT)) {
                    eventLength = 0;
                    state = LinePart.EVENT_VALUE;
                } else {
                    state = LinePart.SKIP; // a comment, id or retry
                }
            } else if (b == '\r' || b == '\n') { // a field without a value
                lastCr = b == '\r';
                if (fieldIs(EVENT)) {
                    eventLength = 0;
                }
                state = LinePart.LINE_START;
            } else if (fieldLength < field.length) {
                field[fieldLength++] = b;
            } else {
                fieldLength = field.length + 1; // too long to be one we know
            }
            return i + 1;
        }

        /** A field's value from {@code i} up to the end of the line or {@code end}; returns where to go on. */
        private int value(ByteBuf buf, int i, int end) {
            int eol = buf.forEachByte(i, end - i, ByteProcessor.FIND_CRLF);
            int to = eol < 0 ? end : eol;
            if (valueStart && to > i) {
                valueStart = false;
                if (buf.getByte(i) == ' ') { // one space after the colon is not part of the value
                    i++;
                }
            }
            if (state == LinePart.DATA_VALUE) {
                appendData(buf, i, to - i);
            } else if (state == LinePart.EVENT_VALUE) {
                int n = Math.min(to - i, event.length - eventLength);
                buf.getBytes(i, event, eventLength, n);
                eventLength += n;
            }
            if (eol < 0) {
                return end;
            }
            lastCr = buf.getByte(eol) == '\r';
            state = LinePart.LINE_START;
            return eol + 1;
        }

        private boolean fieldIs(byte[] name) {
            return fieldLength == name.length && Arrays.equals(field, 0, fieldLength, name, 0, name.length);
        }

        private void appendData(ByteBuf buf, int index, int length) {
            if (dataLength + length > data.length) {
                data = Arrays.copyOf(data, Math.max(2 * data.length, dataLength + length));
            }
            buf.getBytes(index, data, dataLength, length);
            dataLength += length;
        }

        private void dispatch(long nowNanos) {
            if (eventLength == DATA.length && Arrays.equals(event, 0, eventLength, DATA, 0, DATA.length)) {
                int skip = (int) Math.max(0, Math.min(dataLength, seen - position));
                if (dataLength > skip) {
                    accept(data, skip, dataLength - skip, nowNanos);
                }
                position += dataLength;
                seen = Math.max(seen, position);
                if (complete()) {
                    finish();
                }
            } else if (eventLength == CONTROL.length
                    && Arrays.equals(event, 0, eventLength, CONTROL, 0, CONTROL.length)) {
                if (!DsScenarios.jsonString(data, dataLength, NEXT_OFFSET_KEY, offset)) {
                    fail("control event without streamNextOffset: "
                            + new String(data, 0, Math.min(dataLength, 200), StandardCharsets.UTF_8));
                    return;
                }
                DsScenarios.jsonString(data, dataLength, CURSOR_KEY, cursor);
                position = 0;
                seen = 0;
            }
            eventLength = 0;
            dataLength = 0;
        }
    }
}
