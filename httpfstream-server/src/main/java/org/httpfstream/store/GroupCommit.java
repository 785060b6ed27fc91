package org.httpfstream.store;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
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
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
final class GroupCommit implements AutoCloseable {
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

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

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
    private final ExecutorService forcers;
    /** The metadata batch's own forcers, so that busy sync rounds never hold a batch up. */
    private final ExecutorService batchForcers;
    /** The open writer of a stream file, or null. */
    private final Function<Path, StreamWriter> writers;
    /** Who is told about the rounds and batches (the store's current {@link StoreMetrics}). */
    private final java.util.function.Supplier<StoreMetrics> metrics;
    private final AtomicLong rounds = new AtomicLong();
    private final AtomicLong forces = new AtomicLong();
    private volatile StreamStore.SyncHook hook = () -> { };

    // Guarded by this.
    private Map<Object, Deferred> deferred = new LinkedHashMap<>();
    private Set<Path> folders = new LinkedHashSet<>();
    private CompletableFuture<Void> next = new CompletableFuture<>();
    private boolean wanted;
    private boolean running;
    private boolean closed;

    GroupCommit(String name, Function<Path, StreamWriter> writers, java.util.function.Supplier<StoreMetrics> metrics) {
        this.writers = writers;
        this.metrics = metrics;
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(FORCERS, FORCERS, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, name + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        forcers = pool;
        ThreadPoolExecutor batchPool = new ThreadPoolExecutor(16, 16, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, name + "-batch-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        batchPool.allowCoreThreadTimeOut(true);
        batchForcers = batchPool;
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** {@code writer} has written bytes: makes sure a sync round of it runs (which publishes them). */
    void dirty(StreamWriter writer) {
        synchronized (writer.syncLock) {
            scheduleLocked(writer);
        }
    }

    /**
     * A future that completes once {@code writer}'s file is synced and published up to {@code length}
     * (exceptionally if the sync failed); already complete if it is. Completes on a forcer thread.
     */
    CompletableFuture<Void> synced(StreamWriter writer, long length) {
        synchronized (writer.syncLock) {
            if (writer.synced >= length) {
                return DONE;
            }
            if (length > writer.written()) { // bytes a failed sync has cut off since they were written
                return CompletableFuture.failedFuture(new InsufficientStorageException("an append",
                        new IOException("a sync failed; the bytes were cut off")));
            }
            CompletableFuture<Void> f = new CompletableFuture<>();
            writer.waiters.add(new StreamWriter.Waiter(length, f));
            scheduleLocked(writer);
            return f;
        }
    }

    private void scheduleLocked(StreamWriter writer) {
        if (!writer.syncing) {
            writer.syncing = true;
            try {
                forcers.execute(() -> syncRounds(writer));
            } catch (java.util.concurrent.RejectedExecutionException e) { // closed: the store is gone
                writer.syncing = false;
                IOException closedStore = new IOException("the store is closed");
                for (StreamWriter.Waiter w : writer.waiters) {
                    w.future().completeExceptionally(closedStore);
                }
                writer.waiters.clear();
            }
        }
    }

    /** Sync rounds of one writer, until nothing written is left unsynced. */
    private void syncRounds(StreamWriter writer) {
        for (;;) {
            List<CompletableFuture<Void>> done = new ArrayList<>();
            Throwable failure = null;
            boolean again;
            long started = System.nanoTime();
            long bytes = 0;
            try {
                hook.beforeSync();
                bytes = syncNow(writer, done);
            } catch (IOException | RuntimeException | InterruptedException e) {
                StreamStore.LOG.error("syncing {} failed", writer.file(), e);
                failure = e;
            }
            metrics.get().syncRound(System.nanoTime() - started, bytes, done.size());
            if (failure != null) { // cut back to what is synced, refusing every append above it
                writer.syncFailed(failure instanceof IOException io ? io : new IOException(failure));
            }
            synchronized (writer.syncLock) {
                again = failure == null && writer.written() > writer.synced && !writer.discarded();
                if (!again) {
                    writer.syncing = false;
                }
            }
            for (CompletableFuture<Void> f : done) {
                f.complete(null);
            }
            if (!again) {
                return;
            }
        }
    }

    /**
     * Forces {@code writer}'s file, publishes the length synced and collects the waiters it covers into
     * {@code done} (to complete outside the lock); returns how many bytes it made durable that no
     * earlier sync had. A writer deleted meanwhile counts as synced.
     */
    private long syncNow(StreamWriter writer, List<CompletableFuture<Void>> done) throws IOException {
        long length;
        try {
            length = writer.force();
            rounds.incrementAndGet();
            forces.incrementAndGet();
        } catch (ClosedChannelException e) {
            if (!writer.discarded()) {
                throw e;
            }
            length = Long.MAX_VALUE; // deleted: nothing left to make durable, nobody left to tell
        }
        if (length != Long.MAX_VALUE) {
            writer.publish(length);
        }
        long added = 0;
        synchronized (writer.syncLock) {
            if (length > writer.synced) {
                added = length == Long.MAX_VALUE ? 0 : length - writer.synced;
                writer.synced = length;
            }
            writer.waiters.removeIf(w -> {
                if (w.length() <= writer.synced) {
                    done.add(w.future());
                    return true;
                }
                return false;
            });
        }
        return added;
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
            synchronized (this) {
                if (!awaitWork(retryDelay)) {
                    return;
                }
                d = deferred;
                f = folders;
                done = next;
                deferred = new LinkedHashMap<>();
                folders = new LinkedHashSet<>();
                next = new CompletableFuture<>();
                wanted = false;
                running = true;
            }
            Throwable failure = commit(d, f);
            synchronized (this) {
                if (failure != null && closed) {
                    StreamStore.LOG.error("closing: {} metadata changes not made durable", d.size());
                } else if (failure != null) {
                    carryOver(d, f);
                }
                running = false;
            }
            retryDelay = failure == null ? 0 : nextRetryDelay(retryDelay);
            if (failure == null) {
                done.complete(null);
            } else {
                done.completeExceptionally(failure);
            }
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
     * Waits, holding this object's monitor, until there is work and {@code delayMs} has passed (at once
     * once closed); false once closed with nothing left to do.
     */
    private boolean awaitWork(long delayMs) {
        long retryAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMs);
        for (;;) {
            boolean work = wanted || !deferred.isEmpty() || !folders.isEmpty();
            long left = closed ? 0 : retryAt - System.nanoTime();
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
    private Throwable commit(Map<Object, Deferred> d, Set<Path> f) {
        if (d.isEmpty() && f.isEmpty()) {
            return null;
        }
        long started = System.nanoTime();
        try {
            hook.beforeSync();
            sync(d, f);
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
    private void carryOver(Map<Object, Deferred> d, Set<Path> f) {
        Map<Object, Deferred> merged = new LinkedHashMap<>(d);
        merged.putAll(deferred);
        deferred = merged;
        folders.addAll(f);
    }

    private void sync(Map<Object, Deferred> d, Set<Path> f) throws IOException, InterruptedException {
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
        inParallel(toSync.size(), i -> syncNow(toSync.get(i), covered));
        for (CompletableFuture<Void> c : covered) {
            c.complete(null);
        }
        hook.beforeMetadataWrites();
        List<Deferred> writes = new ArrayList<>(d.values());
        Path[] written = new Path[writes.size()];
        inParallel(writes.size(), i -> {
            written[i] = writes.get(i).write();
            forces.incrementAndGet();
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
        for (Deferred write : writes) {
            write.publish();
        }
    }

    /** One step of a batch on item {@code i}. */
    @FunctionalInterface
    private interface Step {
        void run(int i) throws IOException;
    }

    /**
     * Runs {@code step} on items 0 to {@code n - 1}: on this thread if there is one, else on the batch's
     * forcers in parallel; returns when all are done and throws the first failure.
     */
    private void inParallel(int n, Step step) throws IOException, InterruptedException {
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
