package org.httpfstream.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one open append channel of a stream's file, shared by every writer of that stream: a WebSocket
 * {@link AppendSession} and the Durable Streams operations write through it one at a time, so a
 * stream's file is opened once, not once per {@code POST}. The store keeps it in its writer cache
 * until it has been idle for a while (or the stream is deleted).
 *
 * <p>Two lengths: {@link #written()} is every byte in the file (what the next append goes after);
 * {@link #committed()} is what readers may see. Without fsync they are equal after each append. With
 * fsync, {@code committed} moves only when the store's {@link GroupCommit} has forced the file, so a
 * reader never sees a byte that is not on stable storage; the group commit keeps its sync state for
 * the stream here ({@link #synced}, {@link #waiters}).
 *
 * <p>An append is all or nothing: a write that fails (a full disk, an I/O error) or would pass the
 * store's size limit leaves nothing behind. What a failed write put into the file is cut off at once
 * (or, if even that fails, before the next append, and readers never see past {@link #committed()}
 * meanwhile); with fsync, a failed sync cuts the file back to what is synced and fails every append
 * above it. The end of the last whole append is kept in a {@link TailMarks.Mark}, so that a process
 * killed in the middle of a write leaves no part of it either (cut at the next start).
 *
 * <p>Thread safety: writes, the lease ({@link #session}) and {@link #closed} are guarded by this
 * object's monitor; a writer holds it for one append (or one Durable Streams operation), never while
 * waiting for anything but the file. {@code written}, {@code committed} and {@code session} are also
 * volatile so that readers and the sync thread read them without the monitor. Readers use positional
 * reads only; only a holder of the monitor moves the channel's position.
 */
final class StreamWriter {
    private final StreamStore store;
    private final Path file;
    private final FileChannel channel;
    /** One reference for the store's cache plus one per append session; the channel closes at zero. */
    private final AtomicInteger refs = new AtomicInteger(1);

    /** Bytes in the file. Written only under this object's monitor. */
    private volatile long written;
    /** Bytes readers may see: all of {@code written} without fsync, what is synced with it. */
    private volatile long committed;
    /** The WebSocket append session holding this stream's lease, or null. Guarded by this. */
    private volatile AppendSession session;
    /** No write goes through this writer any more; a new one must be opened. Written under this. */
    private volatile boolean closed;
    /** {@link System#nanoTime()} of the last use; for the idle close. */
    private volatile long lastUsedNanos = System.nanoTime();
    /** Where the last whole append ends, for a restart after a crash; null if none. Guarded by this. */
    private TailMarks.Mark mark;
    /**
     * The file holds bytes past {@link #written} that a failed write left and a failed cut could not
     * remove: the next write cuts them first. Guarded by this.
     */
    private boolean torn;

    /** Guards {@link #committed}'s updates and the sync state below (with fsync). */
    final Object syncLock = new Object();
    /** Bytes on stable storage (with fsync). Guarded by syncLock. */
    long synced;
    /** A sync round of this writer is scheduled or running. Guarded by syncLock. */
    boolean syncing;
    /** Appends waiting for their bytes to be synced. Guarded by syncLock. */
    final java.util.List<Waiter> waiters = new java.util.ArrayList<>();

    /** An append waiting until the file is synced up to {@code length}. */
    record Waiter(long length, java.util.concurrent.CompletableFuture<Void> future) {}

    private StreamWriter(StreamStore store, Path file, FileChannel channel, long length, TailMarks.Mark mark) {
        this.store = store;
        this.file = file;
        this.channel = channel;
        this.written = length;
        this.committed = length;
        this.synced = length;
        this.mark = mark;
    }

    /**
     * Opens {@code file} for appending, creating it if {@code create}; the position is at its end.
     *
     * @throws java.nio.file.NoSuchFileException if the file does not exist and {@code create} is false
     */
    static StreamWriter open(StreamStore store, Path file, boolean create) throws IOException {
        FileChannel c = create
                ? FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)
                : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS);
        try {
            long size = c.size();
            c.position(size);
            TailMarks marks = store.tailMarks();
            return new StreamWriter(store, file, c, size, marks == null ? null : marks.acquire(file, size));
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** The stream's file. */
    Path file() {
        return file;
    }

    /** Bytes in the file, synced or not: where the next append goes. */
    long written() {
        return written;
    }

    /** Bytes readers may see (with fsync: bytes on stable storage). */
    long committed() {
        return committed;
    }

    /** The WebSocket session holding the lease, or null. */
    AppendSession session() {
        return session;
    }

    long lastUsedNanos() {
        return lastUsedNanos;
    }

    /** True while writes may go through this writer. */
    boolean isOpen() {
        return !closed;
    }

    /**
     * True if nothing written waits for a sync, no session holds the lease and no torn bytes wait to be
     * cut: it may be closed.
     */
    synchronized boolean idle() {
        return !closed && session == null && committed == written && !torn;
    }

    /**
     * Runs {@code action} holding this stream's lease for its duration: no WebSocket session can start
     * or write meanwhile, and no other operation writes. The action may call {@link #write}.
     *
     * @throws WriterConflictException if a WebSocket session holds the lease
     * @throws StaleWriterException if this writer was closed; open the current one and retry
     */
    synchronized <T> T exclusive(Action<T> action) throws IOException {
        if (closed) {
            throw StaleWriterException.INSTANCE;
        }
        if (session != null) {
            throw new WriterConflictException();
        }
        lastUsedNanos = System.nanoTime();
        return action.run(this);
    }

    /** An operation run holding a writer's lease. */
    @FunctionalInterface
    interface Action<T> {
        T run(StreamWriter writer) throws IOException;
    }

    /**
     * Gives the lease to {@code s} after {@code guard} passes, or throws.
     *
     * @throws WriterConflictException if a session already holds it
     * @throws StaleWriterException if this writer was closed
     */
    synchronized void acquire(AppendSession s, StreamStore.AppendGuard guard) throws IOException {
        if (closed) {
            throw StaleWriterException.INSTANCE;
        }
        if (session != null) {
            throw new WriterConflictException();
        }
        guard.check(file);
        refs.incrementAndGet(); // the session's, released by releaseReference()
        session = s;
        lastUsedNanos = System.nanoTime();
    }

    /** Takes the lease back from {@code s}; returns the final {@link #written()} of its session. */
    synchronized long release(AppendSession s) {
        if (session == s) {
            session = null;
        }
        lastUsedNanos = System.nanoTime();
        return written;
    }

    /**
     * Writes every remaining byte of {@code srcs}, in order, at the end of the file with gathering
     * writes. Without fsync the bytes are committed at once and the followers told; with fsync they are
     * handed to the group commit, which commits them after the sync. The caller holds this object's
     * monitor (through {@link #exclusive} or as the session holding the lease).
     *
     * <p>All or nothing: if the write fails, what it wrote is cut off again and nothing of it is ever
     * visible; an append that would pass the store's size limit is refused before anything is written.
     *
     * @throws ClosedChannelException if this writer was closed (the stream deleted or expired)
     * @throws StreamTooLargeException if the stream would pass the store's size limit
     * @throws InsufficientStorageException if the bytes could not be written (a full disk)
     */
    void write(ByteBuffer[] srcs) throws IOException {
        assert Thread.holdsLock(this);
        if (closed) {
            throw new ClosedChannelException();
        }
        long remaining = Lease.remaining(srcs);
        if (remaining == 0) {
            return;
        }
        long max = store.limits().maxStreamBytes();
        if (max > 0 && written + remaining > max) {
            throw store.refused(new StreamTooLargeException(written, remaining, max));
        }
        long start = written;
        if (torn && !cutTo(start)) {
            throw store.refused(new InsufficientStorageException("an append of " + remaining + " bytes",
                    new IOException("cannot cut the bytes of an earlier failed append")));
        }
        StreamStore.FileOps ops = store.fileOps();
        long n = 0;
        try {
            while (n < remaining) {
                n += ops.write(file, channel, srcs);
            }
        } catch (IOException e) {
            StreamStore.LOG.warn("{}: an append of {} bytes failed after {}; cutting it off: {}", file, remaining,
                    n, e.toString());
            cutTo(start);
            throw store.refused(new InsufficientStorageException("an append of " + remaining + " bytes", e));
        }
        written = start + remaining;
        store.metrics().appended(remaining);
        if (mark != null) {
            mark.set(written);
        }
        lastUsedNanos = System.nanoTime();
        GroupCommit commit = store.groupCommit();
        if (commit == null) {
            publish(written);
        } else {
            commit.dirty(this);
        }
    }

    /**
     * Cuts the stream back to {@code length}, bytes a crash left that were never acknowledged (recovery,
     * before readers look): written, committed and synced go back with it. Call holding the monitor.
     *
     * @throws IOException if the file could not be cut
     */
    void cut(long length) throws IOException {
        assert Thread.holdsLock(this);
        if (length < 0 || length > written) {
            throw new IllegalArgumentException("length out of range: " + length + " of " + written);
        }
        synchronized (syncLock) {
            if (!cutTo(length)) {
                throw new IOException("cannot cut " + file + " back to " + length + " bytes");
            }
            committed = Math.min(committed, length);
            synced = Math.min(synced, length);
        }
    }

    /**
     * Makes a new, empty stream {@code length} bytes long without writing them: the file gets a hole
     * up to its last byte, which is written (a zero, never read: the fork's reads below {@code length}
     * go to its source), so the file takes one block whatever {@code length}. Followed like an append
     * (published, or synced first with fsync). Call holding the monitor (the lease).
     *
     * @throws IllegalStateException if the stream is not empty
     */
    void skipTo(long length) throws IOException {
        assert Thread.holdsLock(this);
        if (written != 0) {
            throw new IllegalStateException("skipTo on a stream of " + written + " bytes");
        }
        if (length <= 0) {
            return;
        }
        channel.position(length - 1);
        written = length - 1;
        write(new ByteBuffer[] {ByteBuffer.allocate(1)});
    }

    /**
     * Cuts the file back to {@code length} (the end of the last whole append) and puts the position
     * there; true if done. If the cut fails, the torn bytes stay past {@link #written} (never visible:
     * readers stop at {@link #committed()}) and the next write tries again. Call holding the monitor.
     */
    private boolean cutTo(long length) {
        try {
            channel.truncate(length);
            channel.position(length);
            torn = false;
            return true;
        } catch (IOException e) {
            StreamStore.LOG.error("{}: cannot cut the file back to {} bytes", file, length, e);
            torn = true;
            return false;
        } finally {
            written = length;
            if (mark != null) {
                mark.set(length);
            }
        }
    }

    /**
     * A sync of this file failed: every append not yet synced is refused. Cuts the file back to what is
     * synced (readers never saw more), fails every append waiting for a sync and the session holding
     * the lease, if any. Runs on a sync thread, holding no lock.
     */
    void syncFailed(IOException cause) {
        InsufficientStorageException refused = new InsufficientStorageException("an append", cause);
        java.util.List<Waiter> failed;
        synchronized (this) { // the lease: no write in between
            synchronized (syncLock) {
                long keep = Math.max(synced, committed); // a concurrent batch may have synced and published more
                failed = new java.util.ArrayList<>();
                waiters.removeIf(w -> w.length() > keep && failed.add(w)); // the others: that batch completes them
                if (!closed && written > keep) {
                    StreamStore.LOG.warn("{}: sync failed; cutting {} bytes of appends not synced", file,
                            written - keep);
                    cutTo(keep);
                }
            }
            AppendSession s = session;
            if (s != null) {
                s.fail(store.refused(refused));
            }
        }
        for (Waiter w : failed) {
            w.future().completeExceptionally(store.refused(refused));
        }
    }

    /**
     * Forces the file's bytes to stable storage; returns the length that is now durable (read before
     * the force, so every byte below it is covered). Runs on the sync thread.
     */
    long force() throws IOException {
        long length = written;
        long started = System.nanoTime();
        store.fileOps().force(file, channel);
        store.metrics().synced(System.nanoTime() - started);
        return length;
    }

    /**
     * With fsync: a future that completes once every byte written so far is synced, taken under the
     * lease right after a write so that a failed sync, which cuts the file back under the lease, fails
     * it. Null without fsync.
     */
    java.util.concurrent.CompletableFuture<Void> syncedFuture() {
        assert Thread.holdsLock(this);
        GroupCommit commit = store.groupCommit();
        return commit == null ? null : commit.synced(this, written);
    }

    /** True if this writer was closed by a delete or an expiry: a failed force of it is no error. */
    boolean discarded() {
        return closed;
    }

    /** Makes bytes up to {@code length} visible to readers and tells the followers. */
    void publish(long length) {
        synchronized (syncLock) { // the sync rounds and a metadata batch may both publish
            if (length > committed) {
                committed = length;
            }
        }
        store.changed(file); // one notification: watchers, followers of any kind, change listeners
    }

    int read(long position, ByteBuffer dst) throws IOException {
        return channel.read(dst, position);
    }

    /**
     * Closes this writer for writes (idle, deleted or expired): a session still holding the lease gets
     * {@link ClosedChannelException} on its next append. The channel closes when the last reference
     * goes. Call holding the monitor; the store removes it from its cache.
     */
    void closeLocked() {
        assert Thread.holdsLock(this);
        closed = true;
        if (mark != null && !torn) { // torn bytes stay marked: the next start cuts them
            mark.release();
            mark = null;
        }
    }

    /** Drops one reference; the channel closes at zero. */
    void releaseReference() {
        if (refs.decrementAndGet() == 0) {
            try {
                channel.close();
            } catch (IOException e) {
                StreamStore.LOG.warn("closing {} failed", file, e);
            }
        }
    }

    @Override
    public String toString() {
        return "StreamWriter{" + file + ", written=" + written + ", committed=" + committed + "}";
    }
}
