package org.httpfstream.store.nats;

import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.zip.CRC32C;

/**
 * This front node's publisher of one stream generation's records: every append of the node's leases
 * and sessions on the stream goes through it, one batch of records in flight at a time. Appends handed
 * over while a batch is in flight are gathered into the next one (a group commit), so a WebSocket
 * appender's many small frames cost one round trip per batch, not per frame.
 *
 * <p>Fencing: every record is published with {@code Nats-Expected-Last-Subject-Sequence} set to the
 * sequence of the stream's last record as this writer knows it ({@link #refresh} learns it when the
 * writer takes the lease). A writer that lost its lease (paused past it) and whose stream another writer
 * appended to meanwhile is refused by JetStream itself (error 10071): its late records are never
 * interleaved. Debian's nats-server 2.9.10 checks that header against the subject's own last sequence
 * ({@code NatsServerBehaviourTest}), so many paths can share one shard stream; but only as a pre-check on
 * the leader (nats-server#4320), so two concurrent records may both pass it. Every record therefore also
 * carries the writer's lease token, and readers ignore a record of an older lease ({@link NatsLog}); the
 * writer of such a record is failed as fenced too.
 *
 * <p>An append is committed when JetStream acknowledged its last record (replicated, on an R3 stream)
 * and this node's view ({@link NatsLog}) has applied it; its future completes then, on a NATS thread.
 * A failure fails the batch and every later append: the writer is then stale and must be refreshed by
 * the next lease holder.
 *
 * <p>Thread safety: safe from any thread. Guarded by this: {@code written}, {@code pending}, {@code
 * pendingFuture}, {@code inFlight}, {@code failure}, {@code idle}; {@code lastSeq} is written by the one
 * batch in flight and read by {@link #refresh} once it is idle.
 */
final class NatsWriter {
    private final JetStream js;
    private final NatsLog log;
    private final String streamName;
    private final int chunkBytes;
    private volatile long lastSeq;
    /** The lease token of this writer's current lease, carried by every record. */
    private volatile long token;
    private long written;
    private final List<byte[]> pending = new ArrayList<>();
    private long pendingStart;
    private CompletableFuture<Long> pendingFuture;
    private boolean inFlight;
    private IOException failure;
    private CompletableFuture<Void> idle = CompletableFuture.completedFuture(null);

    NatsWriter(JetStream js, NatsLog log, String streamName, int chunkBytes) {
        this.js = js;
        this.log = log;
        this.streamName = streamName;
        this.chunkBytes = chunkBytes;
    }

    /**
     * Learns where the stream ends on the cluster, for a writer that has just taken the lease: waits
     * until nothing of this writer is in flight, then until this node's view has applied the subject's
     * last record ({@code lastSeq}, found by the caller). Clears an earlier failure.
     */
    void refresh(long subjectLastSeq, long leaseToken) throws IOException {
        idle().exceptionally(t -> null).join();
        try {
            log.awaitApplied(subjectLastSeq).get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IOException("the view of " + log.path + " did not reach record " + subjectLastSeq, e);
        }
        synchronized (this) {
            lastSeq = subjectLastSeq;
            token = leaseToken;
            written = log.committed();
            failure = null;
        }
    }

    /** The failure that stopped this writer, or null. */
    synchronized IOException failure() {
        return failure;
    }

    /** Every byte handed over, committed or not. */
    synchronized long written() {
        return written;
    }

    /** Sets where the next append goes (a fork's reference point), on an empty stream. */
    synchronized void startAt(long length) {
        written = length;
    }

    /** A future that completes once every append handed over so far is committed (or failed). */
    synchronized CompletableFuture<Void> idle() {
        return inFlight || !pending.isEmpty() ? idle : CompletableFuture.completedFuture(null);
    }

    /**
     * Hands {@code srcs} over (copied: the caller may reuse them), checking the size limit {@code max}
     * (0: none). Returns the future of the stream's length after these bytes.
     */
    synchronized CompletableFuture<Long> append(ByteBuffer[] srcs, long max, SizeCheck check) throws IOException {
        if (failure != null) {
            throw failure;
        }
        if (log.closed()) {
            throw new ClosedChannelException();
        }
        long n = 0;
        for (ByteBuffer b : srcs) {
            n += b.remaining();
        }
        check.check(written, n, max);
        byte[] copy = new byte[(int) n];
        int at = 0;
        for (ByteBuffer b : srcs) {
            int len = b.remaining();
            b.get(copy, at, len);
            at += len;
        }
        if (n == 0) {
            long end = written;
            return idle().thenApply(v -> end);
        }
        if (pending.isEmpty()) {
            pendingStart = written;
            pendingFuture = new CompletableFuture<>();
        }
        pending.add(copy);
        written += n;
        long end = written;
        CompletableFuture<Long> batch = pendingFuture;
        if (!inFlight) {
            idle = new CompletableFuture<>();
            flush();
        }
        return batch.thenApply(v -> end);
    }

    /** The size check of an append: throws to refuse it whole. */
    @FunctionalInterface
    interface SizeCheck {
        void check(long length, long append, long max) throws IOException;
    }

    /** Publishes the pending appends as one batch of records; holding this. */
    private void flush() {
        if (pending.isEmpty()) {
            inFlight = false;
            idle.complete(null);
            return;
        }
        inFlight = true;
        byte[] batch = concat(pending);
        long start = pendingStart;
        CompletableFuture<Long> f = pendingFuture;
        pending.clear();
        pendingFuture = null;
        long end = start + batch.length;
        publish(batch, start, end, 0)
                .thenCompose(seq -> log.awaitApplied(seq).thenApply(v -> seq))
                .thenApply(this::notStale)
                .whenComplete((v, t) -> done(f, end, t));
    }

    private void done(CompletableFuture<Long> f, long end, Throwable t) {
        if (t != null) {
            IOException e = failure(t);
            List<CompletableFuture<Long>> failed = new ArrayList<>();
            failed.add(f);
            synchronized (this) {
                failure = e;
                if (pendingFuture != null) {
                    failed.add(pendingFuture);
                }
                pending.clear();
                pendingFuture = null;
                inFlight = false;
                idle.complete(null);
            }
            failed.forEach(x -> x.completeExceptionally(e));
            return;
        }
        f.complete(end);
        synchronized (this) {
            flush();
        }
    }

    /** Publishes {@code batch} from {@code from} on, one record per chunk; the last record's sequence. */
    private CompletableFuture<Long> publish(byte[] batch, long start, long end, int from) {
        int len = Math.min(chunkBytes, batch.length - from);
        byte[] payload = Arrays.copyOfRange(batch, from, from + len);
        CRC32C crc = new CRC32C();
        crc.update(payload);
        Headers h = new Headers().add(NatsLog.OFF, Long.toString(start + from))
                .add(NatsLog.END, Long.toString(end)).add(NatsLog.CRC, Long.toString(crc.getValue()))
                .add(NatsLog.LEASE, Long.toString(token));
        return publish(payload, h).thenCompose(seq -> from + len < batch.length
                ? publish(batch, start, end, from + len) : CompletableFuture.completedFuture(seq));
    }

    /** Publishes one record fenced on the last sequence; completes with its sequence once acknowledged. */
    private CompletableFuture<Long> publish(byte[] payload, Headers h) {
        PublishOptions o = PublishOptions.builder().expectedStream(streamName)
                .expectedLastSubjectSequence(lastSeq).build();
        try {
            long expected = lastSeq;
            return js.publishAsync(NatsMessage.builder().subject(log.subject).headers(h).data(payload).build(), o)
                    .thenApply(this::acknowledged)
                    .exceptionally(t -> {
                        throw new CompletionException(new IOException("record at " + h.getFirst(NatsLog.OFF)
                                + " expecting " + expected + " (" + this + ")", t));
                    });
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Fails if the view refused record {@code seq} as a stale lease's. */
    private long notStale(long seq) {
        if (log.stale(seq)) {
            throw new CompletionException(new FencedException(new IOException("record " + seq
                    + " carries lease " + token + ", older than one already on the log")));
        }
        return seq;
    }

    private long acknowledged(PublishAck ack) {
        lastSeq = ack.getSeqno();
        return ack.getSeqno();
    }

    /**
     * Publishes a cut back to {@code length} (fenced like an append) and waits until this node's view
     * has applied it.
     */
    void cut(long length) throws IOException {
        idle().exceptionally(t -> null).join();
        Headers h = new Headers().add(NatsLog.OFF, Long.toString(length)).add(NatsLog.CUT, "1")
                .add(NatsLog.LEASE, Long.toString(token));
        try {
            long seq = publish(new byte[0], h).join();
            log.awaitApplied(seq).join();
            notStale(seq);
        } catch (CompletionException e) {
            throw failure(e);
        }
        synchronized (this) {
            written = length;
        }
    }

    static IOException failure(Throwable t) {
        Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        for (Throwable x = c; x != null; x = x.getCause()) {
            if (x instanceof JetStreamApiException j && j.getApiErrorCode() == 10071) {
                return new FencedException(c);
            }
        }
        return c instanceof IOException io ? io : new IOException(c.toString(), c);
    }

    private static byte[] concat(List<byte[]> parts) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] all = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    /** JetStream refused a record: another writer appended since this one last knew the stream's end. */
    static final class FencedException extends IOException {
        private static final long serialVersionUID = 1L;

        FencedException(Throwable cause) {
            super("fenced: another writer appended to the stream since this writer's lease began: "
                    + cause.getMessage(), cause);
        }
    }
}
