package org.httpfstream.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * A handle on one stream of a {@link Storage}: its bytes, its single-writer lease, its followers and its
 * metadata. A handle may name a stream that does not exist (yet, or any more); handles on one stream
 * are {@linkplain Object#equals equal} and share one {@link #key()}.
 *
 * <p>Two lengths: {@link #committedLength()} is what readers may see, {@link #writtenLength()} every
 * byte appended, committed or not (where the next append goes). Readers never read past the committed
 * length.
 *
 * <p>Two views of metadata: {@link #metadata()} is the latest state, for the stream's writers; {@link
 * #publishedMetadata()} is what readers may see (a change is published once it is committed). Changes
 * to one stream's metadata are atomic ({@link #updateMetadata}); callers that read then write several
 * times keep their own lock per stream (the Durable Streams rules do).
 *
 * <p>Thread safety: every method may be called from any thread.
 */
public interface StoredStream {

    /** The stream's request path. */
    String name();

    /**
     * A value that identifies this stream within its store (for maps and lock striping): by default its
     * {@link #name()}, the request path; a store that knows a better identity (the file store: the
     * file) says so.
     */
    default Object key() {
        return name();
    }

    /** True if the stream exists (has been created and not deleted); false for a folder. */
    boolean exists() throws IOException;

    /**
     * True if the path names a folder of streams rather than a stream (the file store: a directory, even
     * an empty one), so that a reader can be told so.
     */
    boolean folder() throws IOException;

    /**
     * Bytes readers may see.
     *
     * @throws java.nio.file.NoSuchFileException if the stream does not exist
     */
    long committedLength() throws IOException;

    /**
     * The committed length if the store knows it without any I/O (the file store: while the stream's
     * writer is open), else -1. Never blocks.
     */
    long knownCommittedLength();

    /**
     * Every byte appended, committed or not.
     *
     * @throws java.nio.file.NoSuchFileException if the stream does not exist
     */
    long writtenLength() throws IOException;

    /**
     * Runs {@code action} holding the stream's single-writer lease, creating the stream first if {@code
     * create} and it does not exist. No other writer appends meanwhile; the lease is released when
     * the action returns or throws.
     *
     * @throws WriterConflictException if a long-held lease (an append session) holds it
     * @throws java.nio.file.NoSuchFileException if the stream does not exist and {@code create} is false
     * @throws NotAStreamException if the path names a folder
     */
    <T> T withLease(boolean create, LeaseAction<T> action) throws IOException;

    /** An operation run holding a stream's lease. */
    @FunctionalInterface
    interface LeaseAction<T> {
        T run(Lease lease) throws IOException;
    }

    /**
     * Takes the stream's long-held lease for an original-protocol append session, creating the stream
     * (with the file store, its parent folders) if it does not exist, and checks it with the storage's
     * {@linkplain Storage#leaseGuard lease guard}. Waits for a one-operation lease ({@link #withLease})
     * that holds it to return. The caller must {@linkplain SessionLease#end() end} the session on every
     * path out.
     *
     * @throws WriterConflictException if another session holds the lease (one writer per stream)
     * @throws NotAStreamException if the path names a folder or lies below a stream
     * @throws IOException if the lease guard refuses the session, or the stream cannot be created
     */
    SessionLease startSession() throws IOException;

    /** The session holding the stream's long-held lease, if any: the writer is live. Never blocks. */
    Optional<SessionLease> session();

    /** True while a long-held lease (an original-protocol append session) holds the stream. */
    default boolean sessionActive() {
        return session().isPresent();
    }

    /**
     * When the stream's bytes last changed, in epoch milliseconds.
     *
     * @throws java.nio.file.NoSuchFileException if the stream does not exist
     */
    long lastModified() throws IOException;

    /**
     * Reads committed bytes at {@code position} into {@code dst}, as {@link FileChannel#read(ByteBuffer,
     * long)}: returns the count read, -1 at the end. The caller does not read past the committed length.
     */
    int read(long position, ByteBuffer dst) throws IOException;

    /**
     * The zero-copy path: a channel open for reading on the stream's bytes if the store keeps them in
     * a file (the caller owns it and must close it), else empty; read through {@link #read} then.
     *
     * @throws java.nio.file.NoSuchFileException if the stream does not exist
     */
    Optional<FileChannel> openChannel() throws IOException;

    /**
     * Follows the stream, whoever appends to it, until {@code ended} says it has ended: {@code
     * listener} is told after every change. The caller closes the handle.
     *
     * @throws java.nio.file.NoSuchFileException if the stream does not exist
     */
    Follower follow(StreamListener listener, BooleanSupplier ended) throws IOException;

    /** Calls {@code listener} after every change of the stream until {@link #unwatch}. */
    void watch(StreamListener listener);

    /** Stops calling {@code listener}. */
    void unwatch(StreamListener listener);

    /** Tells the stream's watchers and followers that it changed (a closure, a deletion). */
    void changed();

    /**
     * A future that completes once the bytes up to {@code length} (every byte written so far if
     * negative) and every metadata change made before this call are committed.
     */
    CompletableFuture<Void> durable(long length);

    /**
     * A future that completes once every metadata change of this stream made before this call is
     * committed (exceptionally if that failed); another stream's failing metadata does not hold it up.
     */
    CompletableFuture<Void> barrier();

    /** The latest metadata, if the stream has any (the writers' view). */
    Optional<StreamMetadata> metadata() throws IOException;

    /** The metadata readers may see: committed changes only. */
    Optional<StreamMetadata> publishedMetadata() throws IOException;

    /**
     * Replaces the metadata; committed with the next {@link Storage#barrier()} (at once without durable
     * writes).
     */
    void putMetadata(StreamMetadata metadata) throws IOException;

    /**
     * Applies {@code change} to the latest metadata (empty if none; returning null removes it) atomically
     * with respect to every other metadata change of this stream; returns the new state.
     */
    Optional<StreamMetadata> updateMetadata(UnaryOperator<Optional<StreamMetadata>> change) throws IOException;

    /**
     * The last access to the stream that a server of a {@linkplain Storage#shared() shared} store
     * recorded ({@link #recordAccess}), in epoch milliseconds; -1 if none, or if the store is not shared
     * (the default). A sliding expiry consults it before it deletes a stream another server kept alive.
     */
    default long sharedAccess() throws IOException {
        return -1;
    }

    /**
     * Records an access at {@code millis} for the other servers of a {@linkplain Storage#shared() shared}
     * store, without waiting (a failure is dropped: the next access records again); nothing for a store
     * only this server serves (the default). Never blocks.
     */
    default void recordAccess(long millis) {
    }

    /** Forgets the metadata (a pending write of it is dropped). */
    void removeMetadata() throws IOException;

    /**
     * Makes metadata changes staged by {@link Lease#stageMetadata} committed, outside the lease, before the
     * writer answers (a no-op for a store that commits them with the bytes).
     */
    void flushMetadata() throws IOException;

    /**
     * Deletes the stream's bytes holding its lease, running {@code action} under the lease first (the
     * caller's own cleanup); the stream's writer is closed so that nothing appends to the old bytes.
     *
     * @throws WriterConflictException if a long-held lease holds it
     */
    void delete(IoAction action) throws IOException;

    /**
     * Deletes the stream's bytes whatever holds the lease (the stream expired): a session holding it
     * fails on its next append.
     */
    void discard() throws IOException;

    /** An action that may fail. */
    @FunctionalInterface
    interface IoAction {
        void run() throws IOException;
    }
}
