package org.httpfstream.bench;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * A Durable Streams appender: one keep-alive connection POSTing {@code size}-byte {@code text/plain}
 * bodies to one stream, one request in flight. The request head is encoded once per connection;
 * each append rewrites only the body in the connection's request buffer, so an append allocates
 * nothing. An answer other than 200 or 204 is an error.
 *
 * <p>Confined to its event loop, as {@link DsClient} says.
 */
abstract class DsAppender extends DsClient {
    private static final byte[] END_OF_HEAD = {'\r', '\n', '\r', '\n'};

    protected final int size;
    protected final byte[] body;
    /** The head; as an idempotent producer, all of it up to the value of {@code Producer-Seq}. */
    private final byte[] head;
    private final boolean producer;
    /** Where each append's latency goes: from just before its write to the end of its answer. */
    private final Histogram latency;
    private int headLength;
    /** System.nanoTime just before the write of the request in flight. */
    private long sendNanos;

    /**
     * @param producerId with it, every append is an idempotent producer's ({@code Producer-Id}, epoch
     *     0, {@code Producer-Seq} from {@link #producerSeq()}), as the protocol's client libraries send
     *     them; null for plain appends
     * @param latency where each append's latency goes: from just before its write to the end of its answer
     */
    DsAppender(Cohort cohort, String name, LoadClient client, String path, String host, int size,
            String producerId, Histogram latency) {
        super(cohort, name, client);
        this.latency = latency;
        if (size < 24) {
            throw new IllegalArgumentException("size < 24: " + size);
        }
        this.size = size;
        this.body = new byte[size];
        this.producer = producerId != null;
        String h = "POST " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + RequestAuth.line()
                + "Content-Type: text/plain\r\nContent-Length: " + size;
        this.head = DsConnection.ascii(producer
                ? h + "\r\nProducer-Id: " + producerId + "\r\nProducer-Epoch: 0\r\nProducer-Seq: "
                : h + "\r\n\r\n");
    }

    /** The {@code Producer-Seq} of the next append, for an idempotent producer. */
    long producerSeq() {
        throw new UnsupportedOperationException("not a producer");
    }

    @Override
    final void connected(DsConnection c) {
        ByteBuf b = c.requestBuffer().clear();
        b.writeBytes(head);
        headLength = b.writerIndex();
        b.writeZero(size);
        settle();
        resume();
    }

    /** A (new) connection is ready: carry on if started. */
    abstract void resume();

    /** Notes the time just before a write, from which the answer's latency is measured; returns it. */
    final long stamp() {
        sendNanos = System.nanoTime();
        return sendNanos;
    }

    /** Sends {@link #body}; call only when {@link #ready()}. */
    final void sendBody() {
        ByteBuf b = connection.requestBuffer();
        if (producer) { // the head's length changes with the sequence's digits
            b.clear().writeBytes(head);
            writeDecimal(b, producerSeq());
            b.writeBytes(END_OF_HEAD).writeBytes(body);
        } else {
            b.setBytes(headLength, body);
        }
        connection.send();
    }

    private static void writeDecimal(ByteBuf b, long n) {
        long div = 1;
        while (n / div >= 10) {
            div *= 10;
        }
        for (; div > 0; div /= 10) {
            b.writeByte((int) ('0' + n / div % 10));
        }
    }

    /** True if the current connection can take the next request now. */
    final boolean ready() {
        return !isFinished() && connection != null && connection.reusable();
    }

    @Override
    public final void onHead(DsConnection c, int status) {
        if (status != 204 && status != 200) {
            fail("POST answered " + status);
        }
    }

    @Override
    public final void onBody(DsConnection c, ByteBuf buf, int index, int length, long nowNanos) {
        // The answer to an append has nothing the benchmark needs.
    }

    /** Records the answer's latency, then lets the appender go on (unless it has finished). */
    @Override
    public final void onEnd(DsConnection c, long nowNanos) {
        if (isFinished()) {
            return;
        }
        latency.record(nowNanos - sendNanos);
        answered(nowNanos);
    }

    /** The request in flight was answered with success at {@code nowNanos}. */
    abstract void answered(long nowNanos);

    /**
     * ds-append: POSTs the next body as soon as the previous one is answered, until {@code endNanos};
     * body {@code seq} of connection {@code id} is {@link DsScenarios#appendRecord}. Records the latency
     * from just before the write to the end of the answer, and the CRC32C sum of what was
     * acknowledged.
     */
    static final class Loop extends DsAppender {
        private final int id;
        private final CRC32C crc = new CRC32C();
        private boolean started;
        private long endNanos;
        private volatile long acknowledged;
        private volatile long crcSum;
        private volatile long lastNanos;

        /**
         * @param producer whether to append as an idempotent producer (one per connection)
         * @param latency where each append's latency goes
         */
        Loop(Cohort cohort, LoadClient client, int id, String path, String host, int size, boolean producer,
                Histogram latency) {
            super(cohort, "connection " + id, client, path, host, size, producer ? "bench-" + id : null,
                    latency);
            this.id = id;
        }

        @Override
        long producerSeq() {
            return acknowledged; // one in flight: the next is the count answered so far
        }

        /** Starts appending until {@code endNanos} (System.nanoTime); call from any thread, once. */
        void start(long endNanos) {
            execute(() -> {
                started = true;
                this.endNanos = endNanos;
                resume();
            });
        }

        @Override
        void resume() {
            if (started && ready()) {
                DsScenarios.appendRecord(body, id, acknowledged);
                stamp();
                sendBody();
            }
        }

        @Override
        void answered(long nowNanos) {
            crc.reset();
            crc.update(body, 0, size);
            crcSum += crc.getValue();
            acknowledged++;
            lastNanos = nowNanos;
            if (nowNanos - endNanos >= 0) {
                finish();
            } else {
                resume(); // nothing if the connection is closing: the next one resumes
            }
        }

        /** Appends answered with success: sequences 0 to this minus 1. */
        long acknowledged() {
            return acknowledged;
        }

        /** The sum of the CRC32Cs of the acknowledged bodies. */
        long crcSum() {
            return crcSum;
        }

        /** System.nanoTime of the last answer, 0 if none. */
        long lastNanos() {
            return lastNanos;
        }
    }

    /**
     * ds-readers: POSTs body {@code seq} (of {@code messages}) when it is due, {@code seq × period}
     * after the start, or as soon as the previous one is answered if that is later (one request in
     * flight: a server slower than the period makes it fall behind). Each body carries its sequence
     * and the System.nanoTime just before its write, for the readers; see {@link
     * DsScenarios#readerRecord}. A ticker at the rate wakes it; nothing is allocated per append.
     */
    static final class Paced extends DsAppender {
        private final long messages;
        private final long periodNanos;
        private boolean started;
        private long startNanos;
        private ScheduledFuture<?> ticker;
        private volatile long appended;

        /** @param latency where each append's latency goes: just before its write to the end of its answer */
        Paced(Cohort cohort, LoadClient client, String path, String host, int size, long messages,
                long periodNanos, Histogram latency) {
            super(cohort, "appender", client, path, host, size, null, latency);
            if (periodNanos < 1) {
                throw new IllegalArgumentException("periodNanos < 1: " + periodNanos);
            }
            this.messages = messages;
            this.periodNanos = periodNanos;
        }

        /** Starts appending; call from any thread, once. */
        void start() {
            execute(() -> {
                if (isFinished() || connection == null) {
                    return;
                }
                started = true;
                startNanos = System.nanoTime();
                if (messages == 0) {
                    finish();
                    return;
                }
                ticker = connection.channel().eventLoop().scheduleAtFixedRate(this::resume, periodNanos,
                        periodNanos, TimeUnit.NANOSECONDS);
                resume();
            });
        }

        @Override
        void resume() {
            long seq = appended;
            if (started && seq < messages && ready() && System.nanoTime() - (startNanos + seq * periodNanos) >= 0) {
                DsScenarios.readerRecord(body, seq);
                DsScenarios.hex(body, 8, stamp(), 16); // the send time, as late as possible
                sendBody();
            }
        }

        @Override
        void answered(long nowNanos) {
            appended++;
            if (appended == messages) {
                finish();
            } else {
                resume(); // the next body at once if it is already due (the appender is behind)
            }
        }

        @Override
        void onFinish() {
            if (ticker != null) {
                ticker.cancel(false);
            }
        }

        /** Appends answered with success. */
        long appended() {
            return appended;
        }
    }
}
