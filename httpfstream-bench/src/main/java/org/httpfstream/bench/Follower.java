package org.httpfstream.bench;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A reader of a stream: a FOLLOW WebSocket (101, then data frames, then Close 1000 when the appender
 * ends) or a plain GET (a 200 body). It counts the bytes and keeps their CRC32C, computed in place
 * over the received buffers; with a latency probe it also records, for every message whose last byte
 * arrives, the time since the appender sent it. A stalled follower stops reading after the handshake
 * until {@link #resume()}.
 *
 * <p>Per connection; confined to its channel's event loop except {@link #resume()}, which may be
 * called from any thread. Results are safe to read once the cohort has finished.
 */
final class Follower extends Peer implements Receiver {
    private final ReceivedBytes received = new ReceivedBytes();
    private final boolean stalled;
    private final Latency latency;
    private long nextBoundary;
    private int message;

    /**
     * The latency probe of a follower: the appender's messages are {@code messageSize} bytes each, and
     * message {@code i} was sent at {@code sendTimes[i]}; each latency goes to {@code histogram}.
     */
    record Latency(int messageSize, AtomicLongArray sendTimes, Histogram histogram) {
        Latency {
            if (messageSize < 1 || sendTimes == null || histogram == null) {
                throw new IllegalArgumentException("latency needs messageSize, sendTimes and a histogram: "
                        + messageSize);
            }
        }
    }

    /**
     * @param upgrade FOLLOW over WebSocket if true; a plain GET if false
     * @param binaryFrames ask for BINARY frames ({@code X-Frames: binary}); servers may ignore it
     * @param stalled read nothing after the handshake until {@link #resume()}
     * @param latency the latency probe, or null for no latency
     */
    Follower(Cohort cohort, int id, String path, boolean upgrade, boolean binaryFrames, boolean stalled,
            Latency latency) {
        super(cohort, id, path, upgrade, binaryFrames ? "X-Frames: binary\r\n" : "");
        this.stalled = stalled;
        this.latency = latency;
        this.nextBoundary = latency == null ? 0 : latency.messageSize();
    }

    @Override
    void onOpen() {
        if (stalled) {
            channel.config().setAutoRead(false);
        }
    }

    /** Starts reading again after a stall. */
    void resume() {
        if (channel == null) {
            return;
        }
        channel.eventLoop().execute(() -> {
            channel.config().setAutoRead(true);
            channel.read();
        });
    }

    @Override
    void onData(ByteBuf buf, int index, int length, long nowNanos) {
        received.add(buf, index, length);
        if (latency != null) {
            AtomicLongArray sendTimes = latency.sendTimes();
            while (received.count() >= nextBoundary) {
                if (message >= sendTimes.length()) {
                    fail("more bytes than the appender sent: " + received.count());
                    return;
                }
                long sentAt = sendTimes.get(message);
                if (sentAt == 0) {
                    fail("message " + message + " received before it was sent");
                    return;
                }
                latency.histogram().record(nowNanos - sentAt);
                message++;
                nextBoundary += latency.messageSize();
            }
        }
    }

    @Override
    String describe() {
        return super.describe() + ", " + received.count() + " bytes, message " + message;
    }

    @Override
    public ReceivedBytes received() {
        return received;
    }

    @Override
    public void report(String problem) {
        cohort.error(cohort.name() + " " + id + ": " + problem);
    }

    /**
     * Checks what this follower received: the response status, the byte count, the checksum and (for
     * WebSockets) Close 1000. Reports a mismatch to the cohort and returns false.
     */
    @Override
    public boolean verify(int expectedStatus, long expectedBytes, long expectedCrc) {
        if (error() != null) {
            return false;
        }
        String problem = status() != expectedStatus
                ? "status " + status() + ", expected " + expectedStatus
                : bytesProblem(expectedBytes, expectedCrc);
        if (problem == null && expectedStatus == 101 && closeCode() != 1000) {
            problem = "stream ended with close code " + closeCode() + ", expected 1000";
        }
        return passes(problem);
    }
}
