package org.httpfstream.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Group commit for a store with fsync. Writers put their bytes (and the Durable Streams operations their
 * metadata) into the page cache without waiting, then wait for a future; nothing forces on a writer's
 * thread.
 *
 * <p>Bytes: each stream's file is synced by its own sync round, on one of the forcer threads: a round
 * reads the file's written length, forces the file, then publishes that length to readers and
 * completes every waiter it covers. While a round runs, later appends to the same stream gather and
 * the next round covers them all: concurrent appends to a stream share one sync, so durability costs
 * latency, not throughput. Different streams sync independently and in parallel ({@value #FORCERS}
 * at once at most), and the file system joins concurrent syncs into its journal commits, so a
 * stream's append never waits for another stream's sync.
 *
 * <p>Metadata and new folder entries: one sync thread takes every pending change as a batch, first
 * syncs the bytes of the streams whose metadata changed (so metadata is never durable before the bytes
 * it describes), then writes and forces the metadata files, forces the folders whose entries changed,
 * and only then publishes the metadata and completes the batch's future ({@link #barrier()}).
 * Publication order: a stream's bytes before its metadata, so a reader who sees a stream closed also
 * sees every byte written before the close.
 *
 * <p>A failed sync of a stream's bytes refuses every append not yet synced: the file is cut back to
 * what is synced, under the stream's lease ({@link StreamWriter#syncFailed}), and their waiters fail
 * with {@link InsufficientStorageException} (an HTTP append is answered 507), so none of their bytes
 * is ever visible and the next append goes where the last synced one ended. Waiters are registered
 * under the lease right after the write ({@link StreamWriter#syncedFuture()}), so none can miss the
 * cut. A failed
 * metadata batch is not dropped: its changes and folders are carried into the next batch, which
 * retries them after a pause ({@value #MIN_RETRY_DELAY_MS} ms, doubling up to {@value
 * #MAX_RETRY_DELAY_MS} ms while batches keep failing). So a change the writers see is always durable
 * or in a running or pending batch, and an answer that depends on it, given once a {@link #barrier()}
 * taken after it was read completes, never claims a state that is not durable: the barrier fails
 * until a batch that holds the change succeeds. (Dropping or undoing it would be wrong: the batch synced its streams' bytes before its
 * metadata writes failed, so those bytes stay, and the state describing them must follow.) A batch
 * failing once the group commit is closing is not retried.
 *
 * <p>Thread safety: the pending batch and its flags are guarded by this object's monitor; a stream's
 * sync state by its writer's {@link StreamWriter#syncLock}. Neither is held during I/O.
 */
public final class GroupCommit implements AutoCloseable {
    /** A file replaced as part of a batch (a stream's metadata). */
    interface Deferred {
        /** The stream file this change describes: its bytes are synced first. */
        Path stream();

        /**
         * Writes and forces the file; returns the folder whose entry must be forced too, or null. Called
         * again by the next batch if this one fails.
         */
        Path write() throws IOException;

        /** Runs once the whole batch is durable. */
        void publish();
    }

    static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    /**
     * Files forced at once, at most; more wait for a free forcer. A forcer spends its time blocked in
     * {@code fdatasync}, so many cost little CPU; they exist only while there is work.
     */
    static final int FORCERS = 64;

    /** The pause before the first retry of a failed metadata batch. */
    static final long MIN_RETRY_DELAY_MS = 10;

    /** The longest pause between retries of failing metadata batches. */
    static final long MAX_RETRY_DELAY_MS = 1000;

    private final Thread thread;
    final ExecutorService forcers;
    /** The metadata batch's own forcers, so that busy sync rounds never hold a batch up. */
    private final ExecutorService batchForcers;
    /** The open writer of a stream file, or null. */
    private final Function<Path, StreamWriter> writers;
    /** Who is told about the rounds and batches (the store's current {@link StoreMetrics}). */
    final java.util.function.Supplier<StoreMetrics> metrics;
    final AtomicLong rounds = new AtomicLong();
    final AtomicLong forces = new AtomicLong();
    private final SyncRounds syncs = new SyncRounds(this);
    volatile StreamStore.SyncHook hook = () -> { };

    // Guarded by this.
    private Map<Object, Deferred> deferred = new LinkedHashMap<>();
    /** Changes whose own write failed, retried after {@link #retryAt} unless a barrier wants them now. */
    private Map<Object, Deferred> retrying = new LinkedHashMap<>();
    private long retryAt;
    /** The last batch failed whole: the next waits for the pause. */
    private boolean pausedAll;
    /** Waiters for one stream's pending changes ({@link #barrier(Object)}), and for the running batch's. */
    private Map<Object, CompletableFuture<Void>> keyed = new LinkedHashMap<>();
    private Map<Object, CompletableFuture<Void>> runningKeyed = new LinkedHashMap<>();
    /** The streams whose changes the running batch writes. */
    private Set<Object> runningKeys = Set.of();
    private Set<Path> folders = new LinkedHashSet<>();
    private CompletableFuture<Void> next = new CompletableFuture<>();
    private boolean wanted;
    private boolean running;
    private boolean closed;

    GroupCommit(String name, Function<Path, StreamWriter> writers, java.util.function.Supplier<StoreMetrics> metrics) {
        this.writers = writers;
        this.metrics = metrics;
        forcers = DaemonThreads.pool(FORCERS, 0, DaemonThreads.numbered(name));
        batchForcers = DaemonThreads.pool(16, 0, DaemonThreads.numbered(name + "-batch"));
        thread = DaemonThreads.named(name).newThread(this::run);
        thread.start();
    }

    /** {@code writer} has written bytes: makes sure a sync round of it runs (which publishes them). */
    void dirty(StreamWriter writer) {
        syncs.dirty(writer);
    }

    /**
     * A future that completes once {@code writer}'s file is synced and published up to {@code length}
     * (exceptionally if the sync failed); already complete if it is. Completes on a forcer thread.
     */
    CompletableFuture<Void> synced(StreamWriter writer, long length) {
        return syncs.synced(writer, length);
    }

    /** Makes {@code write} part of the next batch, replacing a pending write under the same key. */
    synchronized void defer(Object key, Deferred write) {
        deferred.put(key, write);
        notifyAll();
    }

    /**
     * Drops a pending write (its file was removed); a batch already running may still write it, or carry
     * it over if it fails: {@link Deferred#write()} checks that its file still exists.
     */
    synchronized void cancel(Object key) {
        deferred.remove(key);
    }

    /** Makes forcing {@code folder} (a new entry in it) part of the next batch. */
    synchronized void folder(Path folder) {
        if (folders.add(folder)) {
            notifyAll();
        }
    }

    /**
     * A future that completes once every metadata change and new folder entry handed over before this
     * call is durable and published (exceptionally if a sync failed); already complete if nothing is
     * pending. Bytes are waited for with {@link #synced}. Completes on the sync thread.
     */
    synchronized CompletableFuture<Void> barrier() {
        if (!running && deferred.isEmpty() && folders.isEmpty()) {
            return DONE;
        }
        wanted = true;
        notifyAll();
        return next;
    }

    /**
     * As {@link #barrier()} for the changes of one stream ({@code key}) and the pending folder entries
     * only: a stream whose metadata keeps failing to write does not fail it.
     */
    synchronized CompletableFuture<Void> barrier(Object key) {
        if (!folders.isEmpty()) {
            return barrier();
        }
        if (deferred.containsKey(key) || retrying.containsKey(key)) {
            wanted = true;
            notifyAll();
            return keyed.computeIfAbsent(key, k -> new CompletableFuture<>());
        }
        return runningKeys.contains(key) ? runningKeyed.computeIfAbsent(key, k -> new CompletableFuture<>()) : DONE;
    }

    /** Sync rounds and metadata batches so far that forced anything. */
    long batches() {
        return rounds.get();
    }

    /** {@code fsync} calls made so far (files, metadata files and folders). */
    long forces() {
        return forces.get();
    }

    void hook(StreamStore.SyncHook hook) {
        this.hook = hook == null ? () -> { } : hook;
    }

    /** Runs what is pending as a last batch, lets the running sync rounds finish, then stops. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        try {
            thread.join();
            batchForcers.shutdown();
            forcers.shutdown();
            forcers.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        long retryDelay = 0; // after failed batches: the pause before the next one
        for (;;) {
            Map<Object, Deferred> d;
            Set<Path> f;
            CompletableFuture<Void> done;
            Map<Object, CompletableFuture<Void>> waiting;
            synchronized (this) {
                if (!awaitWork(retryDelay)) {
                    return;
                }
                d = takeBatch();
                f = folders;
                done = next;
                folders = new LinkedHashSet<>();
                next = new CompletableFuture<>();
                wanted = false;
                running = true;
            }
            Map<Object, IOException> failed = new java.util.concurrent.ConcurrentHashMap<>();
            Throwable failure = commit(d, f, failed);
            if (failure == null && !failed.isEmpty()) {
                failure = failed.values().iterator().next();
            }
            synchronized (this) {
                if (failure != null && closed) {
                    StreamStore.LOG.error("closing: {} metadata changes not made durable", d.size());
                } else if (failure != null) {
                    carryOver(d, f, failed);
                }
                running = false;
                waiting = runningKeyed; // settled outside the monitor: no barrier adds to it any more
                runningKeyed = new LinkedHashMap<>();
                runningKeys = Set.of();
            }
            retryDelay = failure == null ? 0 : nextRetryDelay(retryDelay);
            settle(done, waiting, failure, failed);
            if (failure instanceof Error e) {
                throw e;
            }
        }
    }

    /** The pause (ms) before retrying a failed batch, given the pause before it (0 if none): doubling, bounded. */
    static long nextRetryDelay(long previousMs) {
        return Math.min(MAX_RETRY_DELAY_MS, Math.max(MIN_RETRY_DELAY_MS, previousMs * 2));
    }

    /**
     * The next batch, under this object's monitor: every pending change, and the failed ones to retry
     * if their pause is over or a barrier waits; moves their keyed waiters to the running batch.
     */
    private Map<Object, Deferred> takeBatch() {
        pausedAll = false;
        Map<Object, Deferred> d = deferred;
        deferred = new LinkedHashMap<>();
        if (!retrying.isEmpty() && (wanted || closed || System.nanoTime() - retryAt >= 0)) {
            Map<Object, Deferred> all = new LinkedHashMap<>(retrying);
            all.putAll(d); // a newer change of the same stream carries the failed one
            d = all;
            retrying = new LinkedHashMap<>();
        }
        Map<Object, CompletableFuture<Void>> moved = new LinkedHashMap<>();
        for (Object key : d.keySet()) {
            CompletableFuture<Void> w = keyed.remove(key);
            if (w != null) {
                moved.put(key, w);
            }
        }
        runningKeyed = moved;
        runningKeys = d.keySet();
        return d;
    }

    /** Completes the batch's futures: each stream's by its own outcome, the whole batch's by all. */
    private static void settle(CompletableFuture<Void> done, Map<Object, CompletableFuture<Void>> waiting,
            Throwable failure, Map<Object, IOException> failed) {
        for (Map.Entry<Object, CompletableFuture<Void>> w : waiting.entrySet()) {
            Throwable own = failed.isEmpty() ? failure : failed.get(w.getKey());
            if (own == null) {
                w.getValue().complete(null);
            } else {
                w.getValue().completeExceptionally(own);
            }
        }
        if (failure == null) {
            done.complete(null);
        } else {
            done.completeExceptionally(failure);
        }
    }

    /**
     * Waits, holding this object's monitor, until there is work and {@code delayMs} has passed (at once
     * once closed); false once closed with nothing left to do.
     */
    private boolean awaitWork(long delayMs) {
        retryAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMs);
        for (;;) {
            boolean fresh = wanted || !deferred.isEmpty() || !folders.isEmpty();
            boolean work = fresh || !retrying.isEmpty();
            // After a whole batch failed, everything pauses; after one stream's write failed, only its retry.
            long left = closed || fresh && !pausedAll ? 0 : retryAt - System.nanoTime();
            if (work && left <= 0) {
                return true;
            }
            if (!work && closed) {
                return false;
            }
            try {
                if (work) {
                    wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } else {
                    wait();
                }
            } catch (InterruptedException e) {
                closed = true; // nobody interrupts this thread but a shutdown
            }
        }
    }

    /** Runs a batch; returns null once it is durable and published, else its failure. */
    private Throwable commit(Map<Object, Deferred> d, Set<Path> f, Map<Object, IOException> failed) {
        if (d.isEmpty() && f.isEmpty()) {
            return null;
        }
        long started = System.nanoTime();
        try {
            hook.beforeSync();
            sync(d, f, failed);
            return null;
        } catch (IOException | RuntimeException | InterruptedException | Error e) {
            StreamStore.LOG.error("group commit of {} metadata files failed", d.size(), e);
            return e;
        } finally {
            metrics.get().metadataBatch(System.nanoTime() - started, d.size() + f.size());
        }
    }

    /**
     * Puts a failed batch's changes back into the pending batch, under this object's monitor. A change
     * made since under the same key stays: it was made on top of the failed one (writers build on the
     * latest state), so it carries it.
     */
    private void carryOver(Map<Object, Deferred> d, Set<Path> f, Map<Object, IOException> failed) {
        if (failed.isEmpty()) { // the whole batch failed: all of it again, after the pause
            pausedAll = true;
            Map<Object, Deferred> merged = new LinkedHashMap<>(d);
            merged.putAll(deferred);
            deferred = merged;
            folders.addAll(f);
            return;
        }
        for (Object key : failed.keySet()) { // only the streams whose own write failed wait for a retry
            if (!deferred.containsKey(key)) {
                retrying.put(key, d.get(key));
            }
        }
    }

    private void sync(Map<Object, Deferred> d, Set<Path> f, Map<Object, IOException> failed)
            throws IOException, InterruptedException {
        rounds.incrementAndGet();
        // The bytes the metadata describes first.
        Set<StreamWriter> streams = new LinkedHashSet<>();
        for (Deferred write : d.values()) {
            StreamWriter w = writers.apply(write.stream());
            if (w != null) {
                streams.add(w);
            }
        }
        List<StreamWriter> toSync = new ArrayList<>(streams);
        List<CompletableFuture<Void>> covered = java.util.Collections.synchronizedList(new ArrayList<>());
        Map<Path, IOException> unsynced = new java.util.concurrent.ConcurrentHashMap<>();
        inParallel(toSync.size(), i -> {
            try {
                syncs.syncNow(toSync.get(i), covered);
            } catch (IOException e) { // that stream's metadata waits; the others go on
                unsynced.put(toSync.get(i).file(), e);
            }
        });
        for (CompletableFuture<Void> c : covered) {
            c.complete(null);
        }
        hook.beforeMetadataWrites();
        List<Map.Entry<Object, Deferred>> writes = new ArrayList<>(d.entrySet());
        Path[] written = new Path[writes.size()];
        inParallel(writes.size(), i -> {
            Deferred write = writes.get(i).getValue();
            try {
                IOException bytes = unsynced.get(write.stream());
                if (bytes != null) {
                    throw bytes;
                }
                hook.beforeMetadataWrite(write.stream());
                written[i] = write.write();
                forces.incrementAndGet();
            } catch (IOException e) {
                StreamStore.LOG.error("writing the metadata of {} failed; retrying it alone", write.stream(), e);
                failed.put(writes.get(i).getKey(), e);
            }
        });
        Set<Path> folderSet = new LinkedHashSet<>(f);
        for (Path folder : written) {
            if (folder != null) {
                folderSet.add(folder);
            }
        }
        List<Path> folderList = new ArrayList<>(folderSet);
        inParallel(folderList.size(), i -> {
            StreamStore.syncDirectory(folderList.get(i));
            forces.incrementAndGet();
        });
        for (Map.Entry<Object, Deferred> write : writes) {
            if (!failed.containsKey(write.getKey())) {
                write.getValue().publish();
            }
        }
    }

    /**
     * Runs {@code step} on items 0 to {@code n - 1}: on this thread if there is one, else on the batch's
     * forcers in parallel; returns when all are done and throws the first failure.
     */
    private void inParallel(int n, BatchStep step) throws IOException, InterruptedException {
        if (n == 0) {
            return;
        }
        if (n == 1) {
            step.run(0);
            return;
        }
        List<Future<?>> running = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int item = i;
            running.add(batchForcers.submit(() -> {
                step.run(item);
                return null;
            }));
        }
        IOException failure = null;
        for (Future<?> r : running) {
            try {
                r.get();
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
