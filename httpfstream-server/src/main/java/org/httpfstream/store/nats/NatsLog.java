package org.httpfstream.store.nats;

import io.nats.client.Message;
import io.nats.client.impl.Headers;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32C;
import org.httpfstream.store.Follower;
import org.httpfstream.store.ForkedBytes;

/**
 * This front node's view of one generation of one stream: the records of its subject, applied in
 * order as the node's one subscription on it delivers them, into the bytes readers see. A record
 * carries its start offset ({@value #OFF}), the end offset of the append it belongs to ({@value #END})
 * and a CRC32C of its payload ({@value #CRC}); an append cut into several records becomes readable only
 * with its last one, so a reader never sees half of it. A record whose CRC does not match stops the
 * view there ({@link #failure()}): nothing after it is shown. A record that starts at the committed
 * length while part of an append lies past it drops that part: its writer died mid-append and the next
 * writer starts over from what was committed. Every record carries its writer's lease token ({@value
 * #LEASE}, the sequence of the lease's taking, which grows with every new holder): a record whose token
 * is below one already seen is a stale writer's and is ignored, so that fencing holds even where the
 * server's own expected-sequence check lets a concurrent stale record through (nats-server#4320 on
 * 2.9.10). A writer publishes a batch of records at once: only its head ({@value #HEAD}) is fenced on
 * the subject's last sequence by the server, and a record of the batch after it ({@value #BATCH}) is
 * applied only if it continues that head (same batch, same lease token as the highest seen, starting
 * where the bytes end), else refused like a stale one: {@link NatsWriter} gives the safety argument.
 * Every view applies the same records in the same order, so every front node agrees. A cut record
 * ({@value #CUT}) cuts the bytes back.
 *
 * <p>The bytes are kept in memory, grown by copying (as the memory store does), and a fork's view reads
 * below its fork point from its source's view. Every front node that touches a stream holds such a view;
 * reading records back by sequence instead is left for later (see docs/notes/nats15.md).
 *
 * <p>Thread safety: records are applied and the view changed under this object's monitor (the
 * subscription's dispatcher thread, and lease holders for {@link #reference}); readers read {@link
 * #committed} and then {@link #data} without it, which is safe because the bytes below {@code committed}
 * are in the array before it moves and a grown array is a copy holding them. Waiters are completed
 * outside the monitor.
 */
final class NatsLog implements Follower.Reader {
    static final String OFF = "Hfs-Off";
    static final String END = "Hfs-End";
    static final String CRC = "Hfs-Crc";
    static final String CUT = "Hfs-Cut";
    static final String LEASE = "Hfs-Lease";
    /** The id of the batch a record belongs to (a writer's records published together). */
    static final String BATCH = "Hfs-Batch";
    /** Marks the first record of a batch: the one fenced on the subject's last sequence. */
    static final String HEAD = "Hfs-Head";
    /** The most bytes one stream's view may hold. */
    static final long MAX_BYTES = Integer.MAX_VALUE - 8;

    final String path;
    final String generation;
    final String subject;
    private final Runnable onCommit;
    /** The bytes from {@link #base}; a larger copy replaces it as the stream grows. Written under this. */
    private volatile byte[] data = new byte[256];
    /** Bytes readers may see. Written under this. */
    private volatile long committed;
    /** Bytes applied, a partial append included. Guarded by this. */
    private long written;
    /** The sequence of the last record applied. Written under this. */
    private volatile long applied;
    /** A fork's source view, read below {@link #base}; null if none. Written under this. */
    private volatile NatsLog source;
    /** The fork point: the position of {@code data[0]}. Written under this, before {@link #committed}. */
    private volatile long base;
    /** Set once a record failed its check; the view stops there. Written under this. */
    private volatile IOException failure;
    /** True once the stream was deleted or the store closed. */
    private volatile boolean closed;
    private volatile long modified = System.currentTimeMillis();
    /** The highest lease token seen on the log: records of an older lease are stale. Guarded by this. */
    private long fence;
    /**
     * The batch whose head was the last head applied, while its records continue it; null when none may
     * be continued (after a cut, a record without batch, or a rest that did not continue). Guarded by this.
     */
    private String batch;
    /** The recent records refused as stale, by sequence (the last 1024). */
    private final java.util.concurrent.ConcurrentSkipListSet<Long> stale =
            new java.util.concurrent.ConcurrentSkipListSet<>();
    /** Futures waiting for a sequence to be applied, by sequence. Guarded by this. */
    private final TreeMap<Long, List<CompletableFuture<Void>>> waiters = new TreeMap<>();

    NatsLog(String path, String generation, String subject, Runnable onCommit) {
        this.path = path;
        this.generation = generation;
        this.subject = subject;
        this.onCommit = onCommit;
    }

    /** Applies one delivered record; called by the subscription's dispatcher, in order. */
    void onMessage(Message m) {
        long seq = m.metaData().streamSequence();
        boolean changed;
        List<CompletableFuture<Void>> done;
        synchronized (this) {
            changed = failure == null && apply(m, seq);
            applied = Math.max(applied, seq);
            done = due(seq);
        }
        if (changed) {
            onCommit.run();
        }
        done.forEach(f -> f.complete(null));
    }

    /** Applies record {@code seq}; true if the committed length changed. Holding this. */
    private boolean apply(Message m, long seq) {
        Headers h = m.getHeaders();
        if (h == null || h.getFirst(OFF) == null) {
            return false; // not ours
        }
        long off = Long.parseLong(h.getFirst(OFF));
        long token = h.getFirst(LEASE) == null ? 0 : Long.parseLong(h.getFirst(LEASE));
        if (token < fence) {
            refuse(seq); // a writer whose lease was taken over: its record slipped past the server's check
            return false;
        }
        String id = h.getFirst(BATCH);
        boolean rest = id != null && h.getFirst(HEAD) == null; // not sequence-fenced: must continue its head
        if (rest && (token != fence || !id.equals(batch))) {
            refuse(seq); // its head was refused or lost, or a newer lease or batch came between
            return false;
        }
        fence = token;
        batch = rest ? batch : null;
        if (h.getFirst(CUT) != null) {
            if (off >= base && off <= written) {
                written = off;
                committed = Math.min(committed, off);
                return true;
            }
            return false;
        }
        long end = Long.parseLong(h.getFirst(END));
        byte[] payload = m.getData() == null ? new byte[0] : m.getData();
        CRC32C crc = new CRC32C();
        crc.update(payload);
        if (Long.parseLong(h.getFirst(CRC)) != crc.getValue()) {
            failure = new IOException("record " + seq + " of " + path + " fails its CRC32C check: not shown");
            return false;
        }
        if (off == committed && written > committed && !rest) {
            written = committed; // the rest of an append whose writer died: dropped
        }
        if (off != written && rest) {
            refuse(seq); // a rest that does not continue its batch (a record of it was lost)
            return false;
        }
        if (off != written) {
            if (off + payload.length <= committed) {
                return false; // a record already applied (a retried publish)
            }
            failure = new IOException("record " + seq + " of " + path + " starts at " + off + ", not at " + written);
            return false;
        }
        put(payload);
        batch = id;
        if (written == end) {
            committed = written;
            modified = m.metaData().timestamp().toInstant().toEpochMilli();
            return true;
        }
        return false;
    }

    /** Counts record {@code seq} as refused (see {@link #stale}); holding this. */
    private void refuse(long seq) {
        stale.add(seq);
        if (stale.size() > 1024) {
            stale.pollFirst();
        }
    }

    private void put(byte[] payload) {
        int at = (int) (written - base);
        byte[] d = data;
        if (at + (long) payload.length > d.length) {
            d = ForkedBytes.grown(d, at, at + (long) payload.length, MAX_BYTES);
            data = d;
        }
        System.arraycopy(payload, 0, d, at, payload.length);
        written += payload.length;
    }

    private List<CompletableFuture<Void>> due(long seq) {
        List<CompletableFuture<Void>> done = new ArrayList<>();
        Map<Long, List<CompletableFuture<Void>>> head = waiters.headMap(seq, true);
        head.values().forEach(done::addAll);
        head.clear();
        return done;
    }

    /** A future that completes once record {@code seq} has been applied (at once if it has). */
    CompletableFuture<Void> awaitApplied(long seq) {
        synchronized (this) {
            if (applied >= seq || closed) {
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> f = new CompletableFuture<>();
            waiters.computeIfAbsent(seq, s -> new ArrayList<>()).add(f);
            return f;
        }
    }

    /** Begins this empty view with {@code source}'s first {@code length} bytes, read from it. */
    synchronized void reference(NatsLog source, long length) {
        if (written != 0 || committed != 0) {
            throw new IllegalStateException("reference on a stream of " + committed + " bytes");
        }
        this.source = source;
        this.base = length;
        this.written = length;
        this.committed = length;
    }

    long committed() {
        return committed;
    }

    /**
     * True if record {@code seq} was refused: a stale lease's (see {@link #LEASE}), or the rest of a batch
     * that does not continue its head (see {@link #BATCH}).
     */
    boolean stale(long seq) {
        return stale.contains(seq);
    }

    long modified() {
        return modified;
    }

    long applied() {
        return applied;
    }

    IOException failure() {
        return failure;
    }

    boolean closed() {
        return closed;
    }

    /** Stops the view: the stream was deleted, or the store closed. Waiters are released. */
    void close() {
        List<CompletableFuture<Void>> done = new ArrayList<>();
        synchronized (this) {
            closed = true;
            waiters.values().forEach(done::addAll);
            waiters.clear();
        }
        done.forEach(f -> f.completeExceptionally(new ClosedChannelException()));
    }

    /** Reads committed bytes at {@code position}, as {@link java.nio.channels.FileChannel#read}. */
    @Override
    public int read(long position, ByteBuffer dst) throws IOException {
        return ForkedBytes.read(position, dst, committed, base, data, source);
    }

    @Override
    public String toString() {
        return "NatsLog{" + path + "@" + generation + ", committed=" + committed + ", applied=" + applied + "}";
    }
}
