package org.httpfstream.store.nats;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import java.io.IOException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.httpfstream.store.WriterConflictException;

/**
 * The single-writer lease across front nodes, as a compare-and-set register per stream on a lease
 * stream ({@link CasRegisters} {@code HFSL_<s>}, one per shard, R3, with the lease TTL as its {@code
 * max_age}): the last
 * message on a stream's lease subject says who holds it ({@code session <node>}, {@code op <node>} or
 * {@code free}); no message (expired) is free too. Every change is published with {@code
 * Nats-Expected-Last-Sequence} set to the lease stream's last sequence, read before the holder: any
 * change of any lease of the shard meanwhile refuses it, and the writer reads again.
 *
 * <p>Why not the KV bucket's create and update, as the research note proposed: on nats-server 2.9.10
 * their check ({@code Nats-Expected-Last-Subject-Sequence}) is only a pre-check on the stream leader,
 * not part of the replicated write (nats-server#4320), and two front nodes taking turns got the same
 * lease at once within a few hundred turns ({@code NatsStorageTest}). The stream-wide expected sequence
 * is checked against the leader's sequence of proposals, in flight ones included, so only one of two
 * concurrent changes passes. A contended shard costs retries, never a wrong grant.
 *
 * <p>Two kinds: an append session's ({@code session}, held long and renewed) and a one-operation
 * lease's ({@code op}, held for one Durable Streams request). A session held elsewhere refuses every
 * other writer; an operation held elsewhere is waited for. A front node that died frees its leases when
 * their last message ages out ({@link NatsConfig#leaseTtl()}). A lease alone is not enough (a paused
 * writer wakes up past its lease): every record is also fenced on the log ({@link NatsWriter}).
 *
 * <p>Kept leases: a node keeps a one-operation lease for {@value #KEEP_MILLIS} ms after its operation
 * ({@link NatsStream#withLease}), so that a run of operations from one node takes it once. A node that
 * finds another's one-operation lease asks for it on the namespace's ask subject ({@code
 * hfsask.<namespace>}, core NATS, the path as payload) every time it looks, a few milliseconds apart;
 * the holder gives it up when its operation in progress ends (at once if none runs), and then holds back
 * its own next take for {@value #YIELD_MILLIS} ms, so that the asker gets it. So a waiting node gets the
 * lease within the holder's operation in progress plus one look (its last ask may be lost: it asks
 * again at the next), and in any case within {@value #KEEP_MILLIS} ms of the holder's last operation.
 *
 * <p>Thread safety: stateless apart from thread-safe NATS handles.
 */
final class NatsLeases {
    /** How long a writer waits for another node's one-operation lease before it is refused. */
    static final long OP_WAIT_MILLIS = 10_000;
    static final String SESSION = "session";
    static final String OP = "op";
    static final String FREE = "free";

    /**
     * How long a node keeps a one-operation lease after its last operation on the stream, for the next
     * one (see {@link NatsStream#withLease}); released earlier when another node asks for it.
     */
    static final long KEEP_MILLIS = 100;
    /** How long a node that gave a kept lease up on request waits before it takes the lease again itself. */
    static final long YIELD_MILLIS = 20;
    /** Subject prefix of the requests for a kept lease: {@code hfsask.<namespace>}, the path as payload. */
    static final String ASK_PREFIX = "hfsask.";

    private final CasRegisters registers;
    private final String node;
    private final io.nats.client.Connection connection;
    private final String askSubject;

    NatsLeases(io.nats.client.Connection connection, JetStream js, JetStreamManagement jsm, NatsNames names,
            String namespace, String node) {
        this.registers = new CasRegisters(js, jsm, names, "HFSL", "hfsl");
        this.node = node;
        this.connection = connection;
        this.askSubject = ASK_PREFIX + namespace;
    }

    /** The subject on which the nodes of this namespace ask each other for kept leases. */
    String askSubject() {
        return askSubject;
    }

    /** A held lease: the stream's path and the sequence of the message that took it. */
    record Held(String path, long seq) {}

    /** A lease's state read at once with its shard's last sequence. */
    private record State(String holder, long seq, long last) {}

    /**
     * Takes the lease of {@code path} for {@code kind}.
     *
     * @throws WriterConflictException if a session holds it, or an operation still holds it after
     *     {@value #OP_WAIT_MILLIS} ms
     */
    Held acquire(String path, String kind) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(OP_WAIT_MILLIS);
        for (int attempt = 0;; attempt++) {
            State s = read(path);
            boolean free = s.holder().equals(FREE) || s.holder().endsWith(" " + node); // ours: a lost answer
            if (free) {
                long seq = set(path, kind + " " + node, s.last());
                if (seq > 0) {
                    return new Held(path, seq);
                }
                continue; // the shard changed meanwhile: read again
            }
            if (s.holder().startsWith(SESSION) || System.nanoTime() > deadline) {
                throw new WriterConflictException();
            }
            // Another node's one-operation lease, perhaps kept for its next operation: ask for it (it
            // is given up once that node's operation in progress ends) and look again soon.
            connection.publish(askSubject, path.getBytes(UTF_8));
            backOff(Math.min(attempt, 3));
        }
    }

    /** Renews a lease of {@code kind}; throws if it was lost (expired, or taken by another). */
    Held renew(Held held, String kind) throws IOException {
        for (;;) {
            State s = read(held.path());
            if (s.seq() != held.seq()) {
                throw new WriterConflictException("the lease of this " + (kind.equals(SESSION) ? "append session"
                        : "node") + " was lost");
            }
            long seq = set(held.path(), kind + " " + node, s.last());
            if (seq > 0) {
                return new Held(held.path(), seq);
            }
        }
    }

    /** Releases a lease this node holds; a lease lost meanwhile is left to its new holder. */
    void release(Held held) {
        try {
            for (;;) {
                State s = read(held.path());
                if (s.seq() != held.seq() || set(held.path(), FREE, s.last()) > 0) {
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            // the cluster is away, or the connection closed: the lease ages out
        }
    }

    /** Who holds {@code path}'s lease: {@code session <node>}, {@code op <node>} or {@code free}. */
    String holder(String path) throws IOException {
        return read(path).holder();
    }

    /** The holder of {@code path}'s lease and the shard's last sequence, read consistently. */
    private State read(String path) throws IOException {
        CasRegisters.Value v = registers.read(path);
        return new State(v.data() == null ? FREE : new String(v.data(), UTF_8), v.seq(), v.last());
    }

    /** Publishes {@code value} if the shard's last sequence is still {@code last}; its sequence, or 0. */
    private long set(String path, String value, long last) throws IOException {
        return registers.set(path, value.getBytes(UTF_8), last);
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
