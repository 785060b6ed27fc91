package org.httpfstream.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The single writer's lease on one stream, and the live tail that followers read.
 *
 * <p>The file is the log: {@link #append} writes bytes to the file first and only then publishes
 * the new {@link #length()}, so a follower never sees a byte that is not in the file (with the store's
 * fsync, not before it is on stable storage: the group commit publishes it after the sync). Followers
 * are cursors over the file ({@link Follower}); the session keeps no per-follower buffer, so a
 * follower that stops reading costs nothing here and never slows the writer.
 *
 * <p>The bytes go through the stream's {@link StreamWriter}, whose lease this session holds from
 * {@link StreamStore#startAppend} until {@link #end()}. It is the file store's {@link SessionLease}:
 * {@link #append} writes with one gathering write to the page cache (the group commit forces it with
 * fsync), and followers read the file, in cleartext zero-copy.
 *
 * <p>Thread safety: {@link #append} and {@link #end} take the writer's monitor, so that an {@code
 * end()} from another thread (server shutdown) never interleaves with a write; only the writer takes
 * it in normal operation. The end length and the ended flag ({@link AbstractSessionLease}) are volatile
 * and followers read the file with positional reads, so followers never take the monitor. Listeners
 * live in a concurrent set. All methods may be called from any thread.
 */
public final class AppendSession extends AbstractSessionLease {
    private final StreamStore store;
    private final String name;
    private final Path file;
    private final StreamWriter writer;
    private final CompletableFuture<Void> endFuture = new CompletableFuture<>();

    /** One reference for the writer plus one per open subscription; the file is released at zero. */
    private final AtomicInteger refs = new AtomicInteger(1);

    /**
     * Why the session's bytes were refused after they were written (with fsync: a failed sync cut them
     * off), or null. Set under the writer's monitor.
     */
    private volatile IOException failure;

    AppendSession(StreamStore store, String name, StreamWriter writer) {
        super(writer::committed, writer::written);
        this.store = store;
        this.name = name;
        this.file = writer.file();
        this.writer = writer;
    }

    /** The request path this session was opened for, as the client gave it. */
    @Override
    public String name() {
        return name;
    }

    /** The stream's file, inside the storage root. */
    public Path file() {
        return file;
    }

    /**
     * Writes every remaining byte of {@code srcs}, in order, to the end of the file with gathering
     * writes, then publishes the new length and tells the followers once (with fsync: hands them to the
     * group commit, which does so after the sync). A writer that has several messages at hand (say,
     * every frame of one socket read) saves a system call and a round of notifications per message
     * this way. Never forces the file itself.
     *
     * @throws ClosedChannelException if the session has ended (or the stream was deleted meanwhile)
     * @throws StreamTooLargeException if the stream would pass the store's size limit (nothing of
     *     {@code srcs} is written)
     * @throws InsufficientStorageException if the bytes cannot be stored (nothing of {@code srcs} is
     *     kept), or a sync of earlier bytes failed (they were cut off); end the session then
     * @throws IOException if the file cannot be written otherwise; the bytes already committed stay
     */
    @Override
    public void append(ByteBuffer... srcs) throws IOException {
        synchronized (writer) {
            if (endStarted()) {
                throw new ClosedChannelException();
            }
            IOException f = failure;
            if (f != null) {
                throw f;
            }
            writer.write(srcs);
        }
    }

    /** With fsync: a sync of this session's bytes failed and they were cut off. Under the writer's monitor. */
    void fail(IOException cause) {
        if (failure == null) {
            failure = cause;
        }
    }

    /**
     * Ends the session: releases the writer lease at once, so a new appender may start on the path, and
     * tells followers that {@link #length()} is final once every byte of the session is committed (with
     * fsync: synced). Idempotent; safe from any thread.
     *
     * @return completes when the session's bytes are committed, exceptionally if the final sync failed;
     *     with fsync it completes on the store's sync thread
     */
    @Override
    public CompletableFuture<Void> end() {
        CompletableFuture<Void> bytes;
        synchronized (writer) {
            if (endStarted()) {
                return endFuture;
            }
            endAt(writer.release(this));
            bytes = writer.syncedFuture(); // under the lease: a failed sync that cuts them fails it
        }
        store.release(this);
        IOException failed = failure;
        CompletableFuture<Void> outcome = failed != null ? CompletableFuture.failedFuture(failed)
                : Commits.durableAfter(store.groupCommit(), bytes);
        outcome.whenComplete((v, e) -> {
            markEnded();
            store.changed(file); // the one notification path: the store's watchers include this session's followers
            releaseReference();
            if (e == null) {
                endFuture.complete(null);
            } else {
                endFuture.completeExceptionally(e);
            }
        });
        return endFuture;
    }

    /**
     * Registers {@code listener} and returns a cursor source over this session's file, or {@code null}
     * if the session has ended and its file is already released (read the file itself then). The
     * listener is called once right away if the session has already ended. The caller must {@linkplain
     * Follower#close() close} the subscription.
     */
    @Override
    public Follower follow(long from, StreamListener listener) {
        if (from < 0) {
            throw new IllegalArgumentException("from < 0: " + from);
        }
        if (!retainReference()) {
            return null;
        }
        store.watch(file, listener); // told by the store's one notification per publish
        if (ended()) {
            listener.onChange();
        }
        return new Follower(this, listener);
    }

    void unsubscribe(StreamListener listener) {
        store.unwatch(file, listener);
        releaseReference();
    }

    int read(long position, ByteBuffer dst) throws IOException {
        return writer.read(position, dst);
    }

    private boolean retainReference() {
        for (;;) {
            int r = refs.get();
            if (r == 0) {
                return false;
            }
            if (refs.compareAndSet(r, r + 1)) {
                return true;
            }
        }
    }

    private void releaseReference() {
        if (refs.decrementAndGet() == 0) {
            writer.releaseReference();
        }
    }
}
