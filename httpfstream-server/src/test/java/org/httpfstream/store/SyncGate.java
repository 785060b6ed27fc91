package org.httpfstream.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Test support for a store with fsync: holds its metadata batches and its sync rounds apart (the
 * batch thread is the one named {@value #BATCH_THREAD}; sync rounds run on its numbered forcers), fails
 * the next metadata batches on demand, and records in order every force of a stream's bytes and every
 * metadata write, so that "before" is observed, not guessed.
 *
 * <p>Thread safety: the gates are volatile latches, the counters atomic and the event log synchronized;
 * the store's sync threads call it concurrently with the test thread.
 */
final class SyncGate implements StreamStore.SyncHook, StreamStore.FileOps {
    /** The group commit's batch thread (see {@link StreamStore}). */
    static final String BATCH_THREAD = "httpfstream-sync";

    private volatile CountDownLatch batches = new CountDownLatch(0);
    private volatile CountDownLatch rounds = new CountDownLatch(0);
    /** Metadata batches that reached the gate (held or not). */
    final AtomicInteger batchesArrived = new AtomicInteger();
    /** The next metadata batches to fail, as a failed metadata write would. */
    final AtomicInteger metadataFailures = new AtomicInteger();
    /** {@link System#nanoTime()} of every metadata batch's attempt to write. */
    final List<Long> metadataAttempts = Collections.synchronizedList(new ArrayList<>());
    /** "force NAME" for each force of a stream's bytes, "metadata" for each batch's metadata writes. */
    final List<String> events = Collections.synchronizedList(new ArrayList<>());

    private SyncGate() {
    }

    /** Installs a new, open gate as {@code store}'s sync hook and file operations. */
    static SyncGate install(StreamStore store) {
        SyncGate g = new SyncGate();
        store.syncHook(g);
        store.fileOps(g);
        return g;
    }

    void holdBatches() {
        batches = new CountDownLatch(1);
    }

    void releaseBatches() {
        batches.countDown();
    }

    void holdRounds() {
        rounds = new CountDownLatch(1);
    }

    void releaseRounds() {
        rounds.countDown();
    }

    void releaseAll() {
        releaseBatches();
        releaseRounds();
    }

    @Override
    public void beforeSync() throws InterruptedException {
        if (Thread.currentThread().getName().equals(BATCH_THREAD)) {
            batchesArrived.incrementAndGet();
            batches.await();
        } else {
            rounds.await();
        }
    }

    @Override
    public void beforeMetadataWrites() throws IOException {
        metadataAttempts.add(System.nanoTime());
        events.add("metadata");
        if (metadataFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new IOException("the metadata write failed");
        }
    }

    @Override
    public long write(Path file, FileChannel channel, ByteBuffer[] srcs) throws IOException {
        return channel.write(srcs);
    }

    @Override
    public void force(Path file, FileChannel channel) throws IOException {
        events.add("force " + file.getFileName());
        channel.force(false);
    }

    /** Polls {@code condition} until it holds, failing after 20 seconds. */
    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            LockSupport.parkNanos(Duration.ofMillis(2).toNanos()); // poll interval, not a wait for the event
        }
    }
}
