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

/**
 * Group commit for a store with fsync: writers put their bytes (and the Durable Streams operations their
 * metadata) into the page cache without waiting, then wait on a {@link #barrier()}; one sync thread
 * takes everything pending as one batch, forces each dirty file once, writes and forces the pending
 * metadata files, forces the folders whose entries changed, and only then publishes the new lengths
 * (readers see the bytes) and completes the batch's future (the appends are answered). While a batch
 * is being forced the next one gathers, so concurrent appends share one sync: durability costs latency,
 * not throughput. The files of one batch are forced in parallel ({@value #FORCERS} at most at once),
 * because the file system joins concurrent syncs into one journal commit: a batch of 64 streams takes
 * about as long as one sync, not 64 in turn (each file's sync still costs the kernel its own work).
 *
 * <p>A failed sync fails the whole batch: every waiter gets the exception (an HTTP append is answered
 * 500, its bytes may or may not survive) and nothing of the batch is published; a later batch that
 * syncs the same file publishes what it holds.
 *
 * <p>Order within a batch: bytes first, then metadata, then folders; then publication. A writer is
 * marked dirty when its bytes are written, before the metadata that describes them is handed over, so
 * a batch that holds a metadata change always holds the bytes it describes.
 *
 * <p>Thread safety: the pending batch and the flags are guarded by this object's monitor, which is
 * held only to add to or take the batch, never during I/O. The sync thread alone runs batches, one at
 * a time, in order: a batch's future completes after every earlier batch's.
 */
final class GroupCommit implements AutoCloseable {
    /** A file replaced as part of a batch (a stream's metadata). */
    interface Deferred {
        /** Writes and forces the file; returns the folder whose entry must be forced too, or null. */
        Path write() throws IOException;

        /** Runs once the whole batch is durable. */
        void publish();
    }

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    /**
     * Files forced at once by one batch, at most; more wait for a free forcer. A forcer spends its time
     * blocked in {@code fdatasync}, so many cost little CPU; they exist only while batches need them.
     */
    static final int FORCERS = 64;

    private final Thread thread;
    /** Forces the files of a batch in parallel: the file system joins concurrent syncs in one journal commit. */
    private final ExecutorService forcers;
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong forces = new AtomicLong();
    private volatile StreamStore.SyncHook hook = () -> { };

    // Guarded by this.
    private Set<StreamWriter> writers = new LinkedHashSet<>();
    private Map<Object, Deferred> deferred = new LinkedHashMap<>();
    private Set<Path> folders = new LinkedHashSet<>();
    private CompletableFuture<Void> next = new CompletableFuture<>();
    private boolean wanted;
    private boolean running;
    private boolean closed;

    GroupCommit(String name) {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(FORCERS, FORCERS, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, name + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        forcers = pool;
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Marks {@code writer} as having bytes to sync; it joins the next batch. */
    synchronized void dirty(StreamWriter writer) {
        if (writers.add(writer)) {
            notifyAll();
        }
    }

    /** Makes {@code write} part of the next batch, replacing a pending write under the same key. */
    synchronized void defer(Object key, Deferred write) {
        deferred.put(key, write);
        notifyAll();
    }

    /** Drops a pending write (its file was removed); a batch already running may still write it. */
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
     * A future that completes once everything written or deferred before this call is durable and
     * published (exceptionally if a sync failed); already complete if nothing is pending. The future
     * completes on the sync thread: hop to your own thread before doing real work.
     */
    synchronized CompletableFuture<Void> barrier() {
        if (!running && writers.isEmpty() && deferred.isEmpty() && folders.isEmpty()) {
            return DONE;
        }
        wanted = true;
        notifyAll();
        return next;
    }

    /** Batches run so far that forced at least one file or folder. */
    long batches() {
        return batches.get();
    }

    /** {@code fsync} calls made so far (files, metadata files and folders). */
    long forces() {
        return forces.get();
    }

    void hook(StreamStore.SyncHook hook) {
        this.hook = hook == null ? () -> { } : hook;
    }

    /** Runs what is pending as a last batch, then stops the sync thread. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        forcers.shutdown();
    }

    private void run() {
        for (;;) {
            Set<StreamWriter> w;
            Map<Object, Deferred> d;
            Set<Path> f;
            CompletableFuture<Void> done;
            synchronized (this) {
                while (!wanted && writers.isEmpty() && deferred.isEmpty() && folders.isEmpty()) {
                    if (closed) {
                        return;
                    }
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        closed = true; // nobody interrupts this thread but a shutdown
                    }
                }
                w = writers;
                d = deferred;
                f = folders;
                done = next;
                writers = new LinkedHashSet<>();
                deferred = new LinkedHashMap<>();
                folders = new LinkedHashSet<>();
                next = new CompletableFuture<>();
                wanted = false;
                running = true;
            }
            try {
                hook.beforeSync();
                sync(w, d, f);
                done.complete(null);
            } catch (IOException | RuntimeException | InterruptedException e) {
                StreamStore.LOG.error("group commit of {} files failed", w.size() + d.size(), e);
                done.completeExceptionally(e);
            } catch (Error e) {
                done.completeExceptionally(e);
                throw e;
            } finally {
                synchronized (this) {
                    running = false;
                }
            }
        }
    }

    private void sync(Set<StreamWriter> w, Map<Object, Deferred> d, Set<Path> f)
            throws IOException, InterruptedException {
        if (w.isEmpty() && d.isEmpty() && f.isEmpty()) {
            return;
        }
        batches.incrementAndGet();
        List<StreamWriter> writers = new ArrayList<>(w);
        long[] lengths = new long[writers.size()];
        boolean[] synced = new boolean[writers.size()];
        inParallel(writers.size(), i -> {
            StreamWriter writer = writers.get(i);
            try {
                lengths[i] = writer.force();
                forces.incrementAndGet();
                synced[i] = true;
            } catch (ClosedChannelException e) {
                if (!writer.discarded()) {
                    throw e;
                } // deleted meanwhile: nothing left to make durable
            }
        });
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
        List<Path> folders = new ArrayList<>(folderSet);
        inParallel(folders.size(), i -> {
            StreamStore.syncDirectory(folders.get(i));
            forces.incrementAndGet();
        });
        // Durable: publish the bytes before the metadata, so that a reader who sees a stream closed
        // also sees every byte written before the close.
        for (int i = 0; i < writers.size(); i++) {
            if (synced[i]) {
                writers.get(i).publish(lengths[i]);
            }
        }
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
     * Runs {@code step} on items 0 to {@code n - 1}: on this thread if there is one, else on the forcers
     * in parallel; returns when all are done and throws the first failure.
     */
    private void inParallel(int n, Step step) throws IOException, InterruptedException {
        if (n == 1) {
            step.run(0);
            return;
        }
        List<Future<?>> running = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int item = i;
            running.add(forcers.submit(() -> {
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
