package org.httpfstream.store.nats;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import java.io.IOException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.httpfstream.store.WriterConflictException;

/**
 * The single-writer lease across front nodes: one key per stream in the lease bucket, taken with an
 * atomic create and renewed with an update on its revision; the bucket's TTL frees the key of a front
 * node that died. Two kinds: an append session's ({@code session}, held long and renewed) and a
 * one-operation lease's ({@code op}, held for one Durable Streams request). A session held elsewhere
 * refuses every other writer; an operation held elsewhere is waited for.
 *
 * <p>A KV lease alone is not enough (TTLs may expire at different times on different replicas, a paused
 * writer wakes up past its lease): every record is also fenced on the log ({@link NatsWriter}).
 *
 * <p>Thread safety: stateless apart from the bucket handle, which is thread safe.
 */
final class NatsLeases {
    /** How long a writer waits for another node's one-operation lease before it is refused. */
    static final long OP_WAIT_MILLIS = 10_000;
    static final String SESSION = "session";
    static final String OP = "op";

    private final KeyValue bucket;
    private final String node;

    NatsLeases(KeyValue bucket, String node) {
        this.bucket = bucket;
        this.node = node;
    }

    /** A held lease: its key and revision. */
    record Held(String key, long revision) {}

    /**
     * Takes the lease of {@code key} for {@code kind}.
     *
     * @throws WriterConflictException if a session holds it, or an operation still holds it after
     *     {@value #OP_WAIT_MILLIS} ms
     */
    Held acquire(String key, String kind) throws IOException {
        byte[] value = (kind + " " + node).getBytes(UTF_8);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(OP_WAIT_MILLIS);
        for (int attempt = 0;; attempt++) {
            try {
                return new Held(key, bucket.create(key, value));
            } catch (JetStreamApiException e) {
                if (e.getApiErrorCode() != 10071) {
                    throw new IOException("taking the lease " + key + ": " + e.getMessage(), e);
                }
            }
            KeyValueEntry holder = get(key);
            if (holder != null && (new String(holder.getValue(), UTF_8).startsWith(SESSION)
                    || System.nanoTime() > deadline)) {
                throw new WriterConflictException();
            }
            backOff(attempt);
        }
    }

    /** Renews a session's lease; throws if it was lost (expired, or taken by another). */
    Held renew(Held held) throws IOException {
        try {
            return new Held(held.key(), bucket.update(held.key(), (SESSION + " " + node).getBytes(UTF_8),
                    held.revision()));
        } catch (JetStreamApiException e) {
            throw new WriterConflictException("the lease of this append session was lost: " + e.getMessage());
        }
    }

    /** Releases a lease this node holds; a lease lost meanwhile is left to its new holder. */
    void release(Held held) {
        try {
            bucket.delete(held.key(), held.revision());
        } catch (IOException | JetStreamApiException e) {
            // lost meanwhile, or the cluster is away: the bucket's TTL frees it
        }
    }

    private KeyValueEntry get(String key) throws IOException {
        try {
            KeyValueEntry e = bucket.get(key);
            return e == null || e.getOperation() != KeyValueOperation.PUT ? null : e;
        } catch (JetStreamApiException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Waits a little before trying again: another node's lease gives no event to wait on here. */
    private static void backOff(int attempt) throws IOException {
        try {
            Thread.sleep(Math.min(50, 1 + attempt) + ThreadLocalRandom.current().nextInt(3));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("waiting for a lease");
        }
    }
}
