package org.httpfstream.store.nats;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.httpfstream.store.Follower;
import org.httpfstream.store.NamedStream;
import org.httpfstream.store.SessionLease;
import org.httpfstream.store.StreamListener;
import org.httpfstream.store.StreamMetadata;
import org.httpfstream.store.WriterConflictException;

/**
 * A stream of the {@link NatsStorage}: a handle by path. Existence and lengths are asked of the cluster
 * ({@link #exists()}, {@link #committedLength()}: the subject's last record, then this node's view up to
 * it), so that every front node answers the same; reads and followers use this node's view.
 *
 * <p>Thread safety: immutable; the state it works on is the store's (see {@link NatsStorage}).
 */
final class NatsStream extends NamedStream<NatsStorage> {
    NatsStream(NatsStorage storage, String name) {
        super(storage, name);
    }

    @Override
    public boolean exists() throws IOException {
        return heldView() != null || storage.entry(name) != null;
    }

    /**
     * The view of the lease this node keeps on the stream, if that lease is surely still held: no other
     * node can have deleted the stream or appended to it, so its existence and lengths are this node's
     * own (no round trip). Null if none, asked for by another node, or half its TTL old (the next
     * operation renews it).
     */
    private NatsStorage.View heldView() {
        NatsStorage.Local local = storage.localIfPresent(name);
        NatsStorage.Kept k = local == null ? null : local.kept;
        if (k == null || local.asked
                || System.nanoTime() - k.renewedNanos() > storage.config.leaseTtl().toNanos() / 2) {
            return null;
        }
        NatsStorage.View v = k.view();
        return v.log().closed() || v.writer().failure() != null || storage.cachedView(name) != v ? null : v;
    }

    @Override
    public boolean folder() throws IOException {
        return name.equals("/") || storage.folder(name);
    }

    /** The current view, from the cluster's entry. */
    NatsStorage.View view() throws IOException {
        NatsStorage.Entry e = storage.entry(name);
        if (e == null) {
            throw new NoSuchFileException(name);
        }
        return storage.view(name, e);
    }

    /** The current view, this node's if it has one (no I/O), else from the cluster. */
    private NatsStorage.View anyView() throws IOException {
        NatsStorage.View v = storage.cachedView(name);
        return v != null ? v : view();
    }

    @Override
    public long committedLength() throws IOException {
        NatsStorage.View held = heldView();
        if (held != null) {
            return held.log().committed();
        }
        NatsStorage.View v = view();
        storage.catchUp(v);
        return v.log().committed();
    }

    @Override
    public long knownCommittedLength() {
        NatsStorage.View v = storage.cachedView(name);
        return v == null ? -1 : v.log().committed();
    }

    @Override
    public long writtenLength() throws IOException {
        NatsStorage.View held = heldView();
        if (held != null) {
            return Math.max(held.writer().written(), held.log().committed());
        }
        NatsStorage.View v = view();
        return Math.max(v.writer().written(), committedLength());
    }

    /**
     * Holds this node's local lease and the stream's lease on the cluster while {@code action} runs,
     * and until every append it made is acknowledged (or failed): another front node that takes the
     * lease next then finds the stream's end where these appends left it, and a reader on this node
     * reads them once this returns.
     *
     * <p>The cluster lease is kept after the operation ({@link NatsStorage#keep}) for {@link
     * NatsLeases#KEEP_MILLIS} ms, so that consecutive operations on the stream from this node cost no
     * lease round trips: the next one finds it kept, renews it if a third of the lease TTL has passed
     * since it was taken (a new token), and appends at once, the writer knowing the stream's end from its
     * own acknowledgements (no other writer can have appended while the lease was held; one that did after
     * it expired is refused by the log's fencing). Another node that wants the lease asks for it ({@link
     * NatsLeases#acquire}); this node then gives it up when its operation in progress ends. Blocks on the
     * cluster when it has to take the lease (round trips to take it, read the stream's entry and end).
     */
    @Override
    public <T> T withLease(boolean create, LeaseAction<T> action) throws IOException {
        NatsStorage.Local local = storage.local(name);
        local.lock.lock();
        try {
            if (local.session != null) {
                throw new WriterConflictException();
            }
            awaitReleased(local);
            NatsStorage.Kept k = reuse(local);
            NatsLeases.Held held;
            NatsStorage.View v = null;
            boolean keep = false;
            long renewed;
            if (k != null) {
                held = k.held();
                v = k.view();
                renewed = k.renewedNanos();
            } else {
                yieldToAsker(local);
                held = storage.leases.acquire(name, NatsLeases.OP);
                renewed = System.nanoTime();
            }
            try {
                if (k == null) {
                    NatsStorage.Entry e = create ? storage.create(name) : storage.entry(name); // under the lease
                    if (e == null) {
                        throw new NoSuchFileException(name);
                    }
                    v = storage.view(name, e);
                    v.writer().refresh(storage.lastSeq(v.log()), held.seq());
                }
                NatsLease lease = new NatsLease(storage, this, v);
                T result = action.run(lease);
                keep = !lease.entryChanged();
                return result;
            } finally {
                if (v != null) { // the lease ends once its appends are acknowledged (or failed): see withLease
                    v.writer().idle().join();
                }
                if (keep && v.writer().failure() == null && !v.log().closed()) {
                    storage.keep(local, new NatsStorage.Kept(held, v, renewed));
                } else {
                    storage.leases.release(held);
                }
            }
        } finally {
            local.lock.unlock();
        }
    }

    /**
     * The lease this node keeps on the stream, renewed if a third of the TTL has passed, or null if there
     * is none or it can no longer be used (then released, or found lost). Holding {@code local.lock}.
     */
    private NatsStorage.Kept reuse(NatsStorage.Local local) throws IOException {
        NatsStorage.Kept k = local.kept;
        if (k == null) {
            return null;
        }
        storage.dropKept(local);
        NatsStorage.View v = k.view();
        if (v.log().closed() || v.writer().failure() != null || storage.cachedView(name) != v) {
            storage.leases.release(k.held());
            return null;
        }
        long age = System.nanoTime() - k.renewedNanos();
        if (age < storage.config.leaseTtl().toNanos() / 3) {
            return k;
        }
        try {
            NatsLeases.Held renewed = storage.leases.renew(k.held(), NatsLeases.OP);
            v.writer().retoken(renewed.seq());
            return new NatsStorage.Kept(renewed, v, System.nanoTime());
        } catch (WriterConflictException lost) {
            return null; // expired meanwhile: taken afresh
        }
    }

    /** Waits out the time this node leaves the lease to another node that asked for it. */
    private static void yieldToAsker(NatsStorage.Local local) throws IOException {
        long wait = local.yieldUntil - System.nanoTime();
        if (wait > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(wait); // a hold-back, not a wait for an event
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("waiting for a lease");
            }
        }
    }

    /** Waits until this node's last session on the stream released its cluster lease. */
    static void awaitReleased(NatsStorage.Local local) throws IOException {
        try {
            local.releasing.get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            // the session failed; its lease is released or expires
        } catch (java.util.concurrent.TimeoutException e) {
            throw new WriterConflictException();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("waiting for a lease");
        }
    }

    @Override
    public SessionLease startSession() throws IOException {
        return NatsSession.start(storage, this);
    }

    /**
     * This node's session on the stream, else another front node's (read once from the cluster the first
     * time this node is asked about the stream, then kept up to date by the lease messages).
     */
    @Override
    public Optional<SessionLease> session() {
        NatsSession mine = storage.local(name).session;
        return mine != null ? Optional.of(mine) : storage.remoteSession(name);
    }

    @Override
    public long lastModified() throws IOException {
        return anyView().log().modified();
    }

    /** This node's view's bytes, from the cluster if this node has no view yet. */
    @Override
    protected NatsLog localBytes() throws IOException {
        return anyView().log();
    }

    /** Follows this node's view (made from the cluster if this node has none: one round trip). */
    @Override
    public Follower follow(StreamListener listener, BooleanSupplier ended) throws IOException {
        NatsLog log = anyView().log();
        return storage.listeners().follow(name, log::committed, log, listener, ended);
    }

    /** Completes once every byte this node handed over for the stream is acknowledged. */
    @Override
    public CompletableFuture<Void> durable(long length) {
        NatsStorage.View v = storage.cachedView(name);
        return v == null ? CompletableFuture.completedFuture(null) : v.writer().idle();
    }

    /** Complete: a metadata change returns once the cluster acknowledged it. */
    @Override
    public CompletableFuture<Void> barrier() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public Optional<StreamMetadata> metadata() throws IOException {
        byte[] data = storage.metadata.value(name);
        return data == null ? Optional.empty() : Optional.of(MetadataCodec.decode(data));
    }

    /** The latest: a change is committed when it returns. */
    @Override
    public Optional<StreamMetadata> publishedMetadata() throws IOException {
        return metadata();
    }

    @Override
    public void putMetadata(StreamMetadata metadata) throws IOException {
        StreamMetadata m = java.util.Objects.requireNonNull(metadata, "metadata");
        updateMetadata(old -> Optional.of(m));
    }

    /**
     * Applies {@code change} on the latest metadata and writes the result if nothing changed the shard's
     * registers meanwhile, again until so ({@link CasRegisters}); one change at a time on this node.
     */
    @Override
    public Optional<StreamMetadata> updateMetadata(UnaryOperator<Optional<StreamMetadata>> change)
            throws IOException {
        synchronized (storage.local(name).metadataLock) {
            for (;;) {
                CasRegisters.Value read = storage.metadata.read(name);
                Optional<StreamMetadata> next = change.apply(read.data() == null ? Optional.empty()
                        : Optional.of(MetadataCodec.decode(read.data())));
                Optional<StreamMetadata> result = next == null ? Optional.empty() : next;
                if (result.isEmpty() && read.data() == null) {
                    return result;
                }
                byte[] value = result.isEmpty() ? null : MetadataCodec.encode(result.get());
                if (storage.metadata.set(name, value, read.last()) > 0) {
                    return result;
                }
            }
        }
    }

    /** The access recorded in the access bucket (one round trip), -1 if none. */
    @Override
    public long sharedAccess() throws IOException {
        try {
            io.nats.client.api.KeyValueEntry e = storage.access.get(storage.names.key(name));
            return e == null || e.getValue() == null || e.getValue().length == 0 ? -1
                    : Long.parseLong(new String(e.getValue(), java.nio.charset.StandardCharsets.UTF_8));
        } catch (io.nats.client.JetStreamApiException | NumberFormatException e) {
            throw new IOException("reading the last access of " + name + ": " + e.getMessage(), e);
        }
    }

    /** Puts {@code millis} in the access bucket on the store's executor (last writer wins). */
    @Override
    public void recordAccess(long millis) {
        try {
            storage.blockingExecutor().orElseThrow().execute(() -> {
                try {
                    storage.access.put(storage.names.key(name),
                            Long.toString(millis).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                } catch (IOException | io.nats.client.JetStreamApiException | RuntimeException e) {
                    // dropped: the next access records again
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the store is closing
        }
    }

    @Override
    public void removeMetadata() throws IOException {
        updateMetadata(old -> Optional.empty());
    }

    /** Nothing to do: staged metadata is written at once. */
    @Override
    public void flushMetadata() {
    }

    @Override
    public void delete(IoAction action) throws IOException {
        NatsStorage.Local local = storage.local(name);
        local.lock.lock();
        try {
            if (local.session != null) {
                throw new WriterConflictException();
            }
            if (storage.entry(name) == null) {
                action.run();
                return;
            }
            awaitReleased(local);
            storage.dropKept(local); // taken over below
            NatsLeases.Held held = storage.leases.acquire(name, NatsLeases.OP);
            try {
                discard();
                action.run();
            } finally {
                storage.leases.release(held);
            }
        } finally {
            local.lock.unlock();
        }
    }

    @Override
    public void discard() throws IOException {
        NatsStorage.Entry e = storage.entry(name);
        if (e != null) {
            storage.remove(name, e);
        }
    }
}
