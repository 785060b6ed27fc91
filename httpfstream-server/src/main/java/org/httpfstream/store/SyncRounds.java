package org.httpfstream.store;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The sync rounds of streams' bytes for a {@link GroupCommit}: each stream's file is synced by its own
 * round on one of the group commit's forcers; a round reads the written length, forces the file, then
 * publishes that length and completes every waiter it covers. Appends made while a round runs are
 * covered by the next one.
 *
 * <p>Thread safety: a stream's sync state is guarded by its writer's {@link StreamWriter#syncLock},
 * never held during I/O.
 */
final class SyncRounds {
    private final GroupCommit gc;

    SyncRounds(GroupCommit gc) {
        this.gc = gc;
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
                return GroupCommit.DONE;
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
                gc.forcers.execute(() -> syncRounds(writer));
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
                gc.hook.beforeSync();
                bytes = syncNow(writer, done);
            } catch (IOException | RuntimeException | InterruptedException e) {
                StreamStore.LOG.error("syncing {} failed", writer.file(), e);
                failure = e;
            }
            gc.metrics.get().syncRound(System.nanoTime() - started, bytes, done.size());
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
    long syncNow(StreamWriter writer, List<CompletableFuture<Void>> done) throws IOException {
        long length;
        try {
            length = writer.force();
            gc.rounds.incrementAndGet();
            gc.forces.incrementAndGet();
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

}
