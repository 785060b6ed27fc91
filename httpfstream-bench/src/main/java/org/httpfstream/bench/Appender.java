package org.httpfstream.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.zip.CRC32C;

/**
 * An APPEND WebSocket that sends {@code messages} fixed-size messages from a shared {@link Payload}:
 * as fast as the connection takes them (bounded by its write buffer), or one every {@code
 * periodNanos}, recording each send time for latency. Then it sends Close 1000 (or waits for {@link
 * #end()}), and the server's Close 1000 marks every byte as persisted. It keeps the byte count and
 * CRC32C of what it sent, which every follower must match.
 *
 * <p>Per connection; confined to its channel's event loop except {@link #start()} and {@link #end()},
 * which may be called from any thread, and the results, which are safe to read once the cohort has
 * finished.
 */
final class Appender extends Peer {
    private final Payload payload;
    private final long messages;
    private final long periodNanos;
    private final long initialDelayNanos;
    private final boolean closeWhenDone;
    private final AtomicLongArray sendTimes;
    private final CRC32C crc = new CRC32C();

    private long sent;
    private int offset;
    private boolean started;
    private ScheduledFuture<?> ticker;
    private volatile long startNanos;
    private volatile long endNanos;
    private volatile long sentBytes;
    private volatile long sentCrc;
    private volatile boolean finishedSending;

    /**
     * @param payload the message source (size, frame type)
     * @param messages number of messages to send
     * @param periodNanos 0 for as fast as possible, else the interval between messages
     * @param initialDelayNanos delay of the first message when paced
     * @param closeWhenDone send Close after the last message; if false, wait for {@link #end()}
     * @param sendTimes where to record message {@code i}'s send time (System.nanoTime), or null
     */
    Appender(Cohort cohort, int id, String path, Payload payload, long messages, long periodNanos,
            long initialDelayNanos, boolean closeWhenDone, AtomicLongArray sendTimes) {
        super(cohort, id, path, true, "X-Verb: APPEND\r\n");
        if (messages < 0) {
            throw new IllegalArgumentException("messages < 0: " + messages);
        }
        if (periodNanos < 0) {
            throw new IllegalArgumentException("periodNanos < 0: " + periodNanos);
        }
        if (sendTimes != null && sendTimes.length() < messages) {
            throw new IllegalArgumentException("sendTimes shorter than messages: " + sendTimes.length());
        }
        this.payload = payload;
        this.messages = messages;
        this.periodNanos = periodNanos;
        this.initialDelayNanos = initialDelayNanos;
        this.closeWhenDone = closeWhenDone;
        this.sendTimes = sendTimes;
    }

    @Override
    void configure(Bootstrap bootstrap) {
        // A deeper write buffer than the default 64 KiB: fewer wake-ups at full speed.
        bootstrap.option(ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(512 * 1024, 1024 * 1024));
    }

    @Override
    void onOpen() {
        if (status() != 101) {
            fail("APPEND answered " + status() + ", not 101");
        }
    }

    /** Starts sending; call once the connection has opened. Does nothing if it never connected. */
    void start() {
        if (channel == null) {
            return; // the connection failed; its cohort has the error
        }
        channel.eventLoop().execute(() -> {
            if (started || closeSent() || !channel.isActive()) {
                return;
            }
            started = true;
            startNanos = System.nanoTime();
            if (periodNanos == 0) {
                pump();
            } else {
                ticker = channel.eventLoop().scheduleAtFixedRate(this::tick, initialDelayNanos,
                        periodNanos, TimeUnit.NANOSECONDS);
            }
        });
    }

    /** Sends Close once every message is sent; for appenders made with closeWhenDone false. */
    void end() {
        if (channel == null) {
            return;
        }
        channel.eventLoop().execute(() -> {
            if (sent == messages && !closeSent() && channel.isActive()) {
                finishSending();
            } else if (sent < messages) {
                fail("end() before all " + messages + " messages were sent (" + sent + ")");
            }
        });
    }

    private void pump() {
        if (closeSent()) {
            return;
        }
        while (sent < messages && channel.isWritable()) {
            send();
        }
        channel.flush();
        if (sent == messages && closeWhenDone) {
            finishSending();
        }
    }

    private void tick() {
        if (sent < messages && channel.isActive()) {
            if (sendTimes != null) {
                sendTimes.set((int) sent, System.nanoTime());
            }
            send();
            channel.flush();
        }
        if (sent == messages || !channel.isActive()) {
            ticker.cancel(false);
            if (closeWhenDone && channel.isActive()) {
                finishSending();
            }
        }
    }

    private void send() {
        ByteBuf header = payload.frameHeader();
        channel.write(header, channel.voidPromise());
        channel.write(payload.maskedSlice(offset), channel.voidPromise());
        payload.digest(crc, offset);
        offset = payload.next(offset);
        sent++;
    }

    private void finishSending() {
        sentBytes = sent * payload.messageSize();
        sentCrc = crc.getValue();
        finishedSending = true;
        sendClose(1000);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (started && periodNanos == 0 && channel.isWritable()) {
            pump();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    void onData(ByteBuf buf, int index, int length, long nowNanos) {
        // The server sends no data to an appender; nothing to do.
    }

    @Override
    void onClose(int code, long nowNanos) {
        endNanos = nowNanos;
        if (!closeSent()) {
            fail("the server closed the APPEND with " + code + " before the appender did");
        } else if (code != 1000) {
            fail("the server answered Close " + code + ", not 1000");
        }
        super.onClose(code, nowNanos);
    }

    @Override
    void onFinish() {
        if (ticker != null) {
            ticker.cancel(false);
        }
        if (endNanos == 0 && error() == null) {
            fail("connection closed without the server's Close 1000");
        }
    }

    /** System.nanoTime of the first message. */
    long startNanos() {
        return startNanos;
    }

    /** System.nanoTime when the server's Close came: everything is persisted; 0 if it never came. */
    long endNanos() {
        return endNanos;
    }

    /** True once every message has been sent: {@link #sentBytes()} and {@link #sentCrc()} are final. */
    boolean finishedSending() {
        return finishedSending;
    }

    /** Bytes sent, final once Close was sent. */
    long sentBytes() {
        return sentBytes;
    }

    /** CRC32C of the bytes sent, final once Close was sent. */
    long sentCrc() {
        return sentCrc;
    }
}
