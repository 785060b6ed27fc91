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
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;

/**
 * This front node's publisher of one stream generation's records: every append of the node's leases
 * and sessions on the stream goes through it, one batch in flight at a time. Appends handed over while a
 * batch is in flight are gathered into the next one (a group commit), so a WebSocket appender's many
 * small frames cost one round trip per batch, not per frame; a batch is cut into records of at most
 * {@link NatsConfig#chunkBytes()}, published together (pipelined, up to {@link #MAX_RECORDS_IN_FLIGHT}
 * at a time), so a large batch costs one round trip per part, not one per record.
 *
 * <p>Fencing. The first record of a batch (its head, {@link NatsLog#HEAD}) is published with {@code
 * Nats-Expected-Last-Subject-Sequence} set to the sequence of the stream's last record as this writer
 * knows it ({@link #refresh} learns it when the writer takes the lease; then its own acknowledgements).
 * A writer that lost its lease (paused past it) and whose stream another writer appended to meanwhile is
 * refused by JetStream itself (error 10071). Debian's nats-server 2.9.10 checks that header against the
 * subject's own last sequence ({@code NatsServerBehaviourTest}), so many paths share one shard stream; but
 * only as a pre-check on the leader (nats-server#4320), so two concurrent records may both pass it. Every
 * record therefore also carries the writer's lease token ({@link NatsLog#LEASE}, growing with every new
 * lease), and every record of a batch its batch id ({@link NatsLog#BATCH}, random per batch).
 *
 * <p>Why the rest of a batch needs no expected sequence of its own: the sequence of record n + 1's
 * predecessor is record n's, known only once n is acknowledged, so fencing each record on it would mean
 * one record in flight at a time (19–30 MB/s at 256 KiB records, session 7). Instead every view
 * ({@link NatsLog}) applies a non-head record only if it continues the batch whose head was the last head
 * applied: same batch id, same lease token as the highest seen on the log, and starting exactly where the
 * view's bytes end. Otherwise it is refused, as a stale lease's record is. What a paused stale writer can
 * do with a late batch, then: (1) if another writer appended since, the head is refused by the server's
 * check, and the rest of the batch is refused by every view (their head was not applied; and the newer
 * writer's records raised the token above theirs); (2) if the head slips past the server's check
 * concurrently with a newer writer's record (#4320), the stale records that come after a record of the
 * newer lease are refused by their token, as before; (3) if nobody appended since the lease expired, the
 * whole batch lands as if it had come just before the expiry, and the next holder's first head, fenced on
 * the end it learned, is refused (it fails, and the next operation learns the end again); that was so
 * before pipelining too. A record lost in the middle of a batch (a failed publish, an election) makes
 * every later record of the batch not continue it: they are refused, the append is never committed
 * (readers never see half an append), and the writer fails. Every node applies the same records in the
 * same order by the same rule, so all agree. The writer checks that each of its records was applied (not
 * refused) before it calls an append committed.
 *
 * <p>An append is committed when JetStream acknowledged every record of its batch (replicated, on an R3
 * stream) and this node's view has applied them; its future completes then, on a NATS thread. A failure
 * fails the batch and every later append: the writer is then stale and must be refreshed by the next
 * lease holder.
 *
 * <p>Thread safety: safe from any thread. Guarded by this: {@code written}, {@code pending}, {@code
 * pendingFuture}, {@code inFlight}, {@code failure}, {@code idle}; {@code lastSeq} is raised by the
 * acknowledgements of the one batch in flight (under this) and read by the next batch's head and by
 * {@link #refresh} once the writer is idle; {@code token} is set while the writer is idle.
 */
final class NatsWriter {
    /**
     * The most records of one batch in flight: a larger group of appends is published in parts, one
     * after the other (each part's head fenced on the previous part's last record), so that no
     * acknowledgement waits behind megabytes of others past the request timeout on a loaded cluster.
     */
    static final int MAX_RECORDS_IN_FLIGHT = 16;
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

    /** Carries {@code leaseToken} from now on: the lease was renewed (a new token) while the writer is idle. */
    synchronized void retoken(long leaseToken) {
        token = leaseToken;
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
        byte[] all = concat(pending);
        long start = pendingStart;
        long end = start + all.length; // every record says where the appends end: never half of one shown
        CompletableFuture<Long> group = pendingFuture;
        pending.clear();
        int max = MAX_RECORDS_IN_FLIGHT * chunkBytes;
        boolean part = all.length > max;
        byte[] batch = part ? Arrays.copyOf(all, max) : all;
        if (part) { // the rest stays pending, in the same group: its future completes with the last part
            pending.add(Arrays.copyOfRange(all, max, all.length));
            pendingStart = start + max;
        } else {
            pendingFuture = null;
        }
        List<CompletableFuture<Long>> records = publish(batch, start, end);
        CompletableFuture.allOf(records.toArray(CompletableFuture[]::new))
                .thenCompose(v -> {
                    long last = records.stream().mapToLong(CompletableFuture::join).max().orElseThrow();
                    return log.awaitApplied(last);
                })
                .thenRun(() -> records.forEach(r -> notStale(r.join())))
                .whenComplete((v, t) -> done(group, part ? -1 : end, t));
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
        if (end >= 0) {
            f.complete(end);
        }
        synchronized (this) {
            flush();
        }
    }

    /**
     * Publishes {@code batch} as records of at most {@code chunkBytes}, all at once (pipelined): the
     * first (the head) fenced on the last sequence, every record marked with the batch's id; the futures
     * of their sequences, in order. See the class comment for why the rest need no sequence of their own.
     */
    private List<CompletableFuture<Long>> publish(byte[] batch, long start, long end) {
        String id = Long.toHexString(ThreadLocalRandom.current().nextLong());
        List<CompletableFuture<Long>> records = new ArrayList<>();
        for (int from = 0; from < batch.length; from += chunkBytes) {
            int len = Math.min(chunkBytes, batch.length - from);
            byte[] payload = from == 0 && len == batch.length ? batch : Arrays.copyOfRange(batch, from, from + len);
            CRC32C crc = new CRC32C();
            crc.update(payload);
            Headers h = new Headers().add(NatsLog.OFF, Long.toString(start + from))
                    .add(NatsLog.END, Long.toString(end)).add(NatsLog.CRC, Long.toString(crc.getValue()))
                    .add(NatsLog.LEASE, Long.toString(token)).add(NatsLog.BATCH, id);
            if (from == 0) {
                h.add(NatsLog.HEAD, "1");
            }
            records.add(publish(payload, h, from == 0));
        }
        return records;
    }

    /**
     * Publishes one record, fenced on the last sequence if {@code fenced}; completes with its sequence
     * once acknowledged.
     */
    private CompletableFuture<Long> publish(byte[] payload, Headers h, boolean fenced) {
        PublishOptions.Builder b = PublishOptions.builder().expectedStream(streamName);
        PublishOptions o = (fenced ? b.expectedLastSubjectSequence(lastSeq) : b).build();
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

    /** Fails if the view refused record {@code seq} (a stale lease's, or a batch's rest without its head). */
    private long notStale(long seq) {
        if (log.stale(seq)) {
            throw new CompletionException(new FencedException(new IOException("record " + seq
                    + " of lease " + token + " was refused by the log (an older lease, or its batch's head"
                    + " did not land before it)")));
        }
        return seq;
    }

    private long acknowledged(PublishAck ack) {
        synchronized (this) { // several records of a batch in flight: their acknowledgements race
            lastSeq = Math.max(lastSeq, ack.getSeqno());
        }
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
            long seq = publish(new byte[0], h, true).join();
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
