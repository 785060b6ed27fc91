package org.httpfstream.durable;

import static org.httpfstream.durable.DurableStreamException.Reason.CONFLICT;
import static org.httpfstream.durable.DurableStreamException.Reason.GONE;
import static org.httpfstream.durable.DurableStreamException.Reason.NOT_FOUND;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import org.httpfstream.store.FileStorage;
import org.httpfstream.store.Follower;
import org.httpfstream.store.InsufficientStorageException;
import org.httpfstream.store.Storage;
import org.httpfstream.store.StoreLimits;
import org.httpfstream.store.StoredStream;
import org.httpfstream.store.StreamClosedException;
import org.httpfstream.store.StreamListener;
import org.httpfstream.store.StreamMetadata;
import org.httpfstream.store.StreamStore;
import org.httpfstream.store.StreamTooLargeException;
import org.httpfstream.store.WriterConflictException;

/**
 * The Durable Streams protocol's operations over a {@link Storage}: create ({@link Creation}), append
 * with {@code Stream-Seq} and idempotent producers ({@link Appending}, {@link Producers}), close,
 * delete, forks ({@link Forks}), expiry ({@link Expiry}), metadata and catch-up reads ({@link Reads}).
 * With the {@link FileStorage} the bytes stay in the store's plain files, so every stream can also be
 * appended and followed over the original WebSocket protocol.
 *
 * <p>Single writer: every append, close and delete holds the stream's lease ({@link
 * StoredStream#withLease}) for its duration, so it never interleaves with another append; while a
 * WebSocket append session holds the lease, they are refused ({@link
 * WriterConflictException}). A closed stream refuses new WebSocket append sessions
 * too ({@link StreamClosedException}).
 *
 * <p>Durability: the mutating operations return futures. Without durable writes they are complete on
 * return. With them each completes, on the store's own thread, once the operation's bytes and metadata
 * are committed (and an error that depends on the stream's state, once that state is): the caller
 * answers then. Readers see only what is committed ({@link StoredStream#publishedMetadata}).
 *
 * <p>Limits: an append past the store's {@linkplain StoreLimits#maxStreamBytes size limit} is refused
 * whole ({@link StreamTooLargeException}); one that cannot be stored is refused with {@link
 * InsufficientStorageException} and leaves nothing (a producer's retry then stores it once). At most
 * {@link StoreLimits#maxProducersPerStream} producer ids are kept per stream, the least recently used
 * forgotten past it.
 *
 * <p>Thread safety: safe for use from any number of threads. Mutations of one stream are serialized by
 * one of a fixed set of striped locks ({@link StreamLocks}); reads take no lock. The sliding TTL's
 * last-access times are kept in memory only (a restart restarts the windows); everything else persists.
 */
public final class DurableStreams {
    private final Storage storage;
    private final StreamStore files;
    private final StreamLocks locks = new StreamLocks();
    private final Expiry expiry;
    private final Forks forks;
    private final Creation creation;
    private final Appending appending;
    private final Recovery recovery = new Recovery();

    /** Serves the protocol over the files of {@code store}. */
    public DurableStreams(StreamStore store, Clock clock) {
        this(new FileStorage(store), store, clock);
    }

    /**
     * Serves the protocol over {@code storage}; installs its lease guard (closed streams refuse append
     * sessions). {@code files} is the store of the original protocol, kept for the webhook
     * subscriptions ({@link #store()}); it may be the one under {@code storage}.
     */
    public DurableStreams(Storage storage, StreamStore files, Clock clock) {
        this.storage = Objects.requireNonNull(storage, "storage");
        this.files = Objects.requireNonNull(files, "files");
        this.expiry = new Expiry(Objects.requireNonNull(clock, "clock"));
        this.forks = new Forks(this);
        this.creation = new Creation(this);
        this.appending = new Appending(this);
        storage.leaseGuard(Sessions::check);
    }

    /**
     * The store of the original protocol's files (the webhook subscriptions watch it until they move
     * onto the seam).
     */
    public StreamStore store() {
        return files;
    }

    /** The storage the streams live in. */
    public Storage storage() {
        return storage;
    }

    StreamLocks locks() {
        return locks;
    }

    Expiry expiry() {
        return expiry;
    }

    Forks forks() {
        return forks;
    }

    /**
     * A create request.
     *
     * @param contentType the content type, or null for the default
     * @param ttlSeconds sliding TTL, or null
     * @param expiresAt absolute expiry as given, or null
     * @param expiresAtInstant {@code expiresAt} parsed
     * @param closed create the stream closed
     * @param body initial content (a JSON value for JSON streams; may be empty)
     * @param fork the stream to fork from, or null
     */
    public record CreateRequest(String contentType, Long ttlSeconds, String expiresAt, Instant expiresAtInstant,
            boolean closed, byte[] body, ForkRequest fork) {}

    /**
     * What to fork a new stream from.
     *
     * @param source the source stream's path
     * @param offset the fork offset token, or null for the source's tail
     * @param subOffset bytes (JSON: messages) past the offset, 0 if none
     */
    public record ForkRequest(String source, String offset, long subOffset) {}

    /**
     * An idempotent producer's request headers.
     *
     * @param id producer id
     * @param epoch producer epoch
     * @param seq producer sequence number
     */
    public record ProducerRequest(String id, long epoch, long seq) {
        String key() {
            return epoch + " " + seq + " " + id;
        }
    }

    /**
     * An append request.
     *
     * @param contentType the request's content type, or null
     * @param seq the {@code Stream-Seq}, or null
     * @param producer idempotent producer headers, or null
     * @param close close the stream after this append
     * @param body the bytes (a JSON value for JSON streams)
     * @param expectedOffset the length the stream must have for the append to be made ({@code
     *     Stream-Expected-Offset}), checked under the stream's lease; -1 for none
     */
    public record AppendRequest(String contentType, String seq, ProducerRequest producer, boolean close,
            byte[] body, long expectedOffset) {
        /** An append without an expected offset. */
        public AppendRequest(String contentType, String seq, ProducerRequest producer, boolean close, byte[] body) {
            this(contentType, seq, producer, close, body, -1);
        }
    }

    /**
     * A stream's state.
     *
     * @param stream its handle in the store
     * @param metadata its metadata ({@linkplain StreamMetadata#defaults defaults} if it has none)
     * @param managed true if the stream has metadata (was created over this protocol)
     * @param tail its tail position
     */
    public record Snapshot(StoredStream stream, StreamMetadata metadata, boolean managed, long tail) {
        public boolean closed() {
            return metadata.closed();
        }
    }

    /**
     * The outcome of an append.
     *
     * @param tail the tail after the append
     * @param closed true if the stream is now closed
     * @param duplicate true if an idempotent producer's request was already applied (nothing written)
     * @param producer the producer's state after the request, or null
     */
    public record Appended(long tail, boolean closed, boolean duplicate, StreamMetadata.Producer producer) {}

    /**
     * The outcome of a create.
     *
     * @param created true if the stream is new, false if an equal one existed
     * @param snapshot the stream's state
     */
    public record Created(boolean created, Snapshot snapshot) {}

    /**
     * Creates the stream at {@code path}, or confirms that an equal one exists. A fork gets a copy of its
     * source's bytes up to the fork position (copy-on-fork), then its own; the source counts the fork
     * as a reference until the fork is deleted.
     */
    public CompletableFuture<Created> create(String path, CreateRequest request) throws IOException {
        Objects.requireNonNull(request, "request");
        Created c;
        CompletableFuture<?>[] bytes = new CompletableFuture<?>[1];
        try {
            c = creation.create(path, request, bytes);
        } catch (DurableStreamException e) {
            if (!storage.durableWrites()) {
                throw e;
            }
            return failDurably(e, null);
        } finally {
            forks.drain();
        }
        if (bytes[0] != null) {
            return after(null, bytes[0]).thenApply(v -> c); // with the source's fork reference
        }
        return durably(c, c.snapshot().stream(), c.snapshot().tail());
    }

    /**
     * Appends to (and, if asked, closes) the stream at {@code path}. A stream written before costs no
     * path resolution and no file open: its writer stays open.
     *
     * @return the outcome, complete at once without durable writes; with them it completes on the
     *     store's thread once the append (or the state a refusal depends on) is durable. A refusal
     *     completes it with a {@link DurableStreamException}.
     * @throws IOException if the path is invalid or the stream cannot be written
     */
    public CompletableFuture<Appended> append(String path, AppendRequest request) throws IOException {
        Objects.requireNonNull(request, "request");
        return appending.append(path, request);
    }

    <T> CompletableFuture<T> durably(T result, StoredStream stream, long length) {
        return Durability.durably(storage, result, stream, length);
    }

    CompletableFuture<Void> after(StoredStream stream, CompletableFuture<?> bytes) {
        return Durability.after(storage, stream, bytes);
    }

    <T> CompletableFuture<T> failDurably(DurableStreamException e, StoredStream stream) {
        return Durability.failDurably(storage, e, stream);
    }

    /**
     * Deletes the stream at {@code path}: its bytes and its metadata.
     *
     * @return complete at once without durable writes; with them, once the metadata left behind (a soft
     *     delete, a fork reference released) is durable and readers see it
     */
    public CompletableFuture<Void> delete(String path) throws IOException {
        StoredStream stream = storage.stream(path);
        ReentrantLock lock = locks.of(stream.key());
        lock.lock();
        try {
            Snapshot s = snapshotLocked(stream, false, true);
            if (s == null) {
                throw new DurableStreamException(NOT_FOUND, "no such stream: " + path);
            }
            try {
                if (s.managed() && s.metadata().forkRefs() > 0) {
                    forgetLocked(stream, s.metadata()); // soft: the forks read its bytes
                } else {
                    stream.delete(() -> forgetLocked(stream, s.managed() ? s.metadata() : null));
                }
            } catch (WriterConflictException e) {
                throw new WriterConflictException("a WebSocket appender is active on " + path);
            } finally {
                stream.changed();
            }
        } finally {
            lock.unlock();
            forks.drain();
        }
        return durably(null, null, 0);
    }

    /** The stream's state without touching its TTL (HEAD). */
    public Snapshot head(String path) throws IOException {
        Snapshot s = snapshot(path);
        if (s == null) {
            throw new DurableStreamException(NOT_FOUND, "no such stream: " + path);
        }
        return s;
    }

    /**
     * The stream's state for a reader: like {@link #head} but it counts as an access (the sliding TTL
     * restarts).
     */
    public Snapshot open(String path) throws IOException {
        Snapshot s = head(path);
        expiry.touch(s.stream(), s.metadata(), storage.shared());
        return s;
    }

    /** The stream's state, or null if there is no stream at {@code path} (expired streams are removed). */
    public Snapshot snapshot(String path) throws IOException {
        StoredStream stream = storage.stream(path);
        Snapshot quick = quickLook(stream);
        if (quick != null) {
            return quick;
        }
        ReentrantLock lock = locks.of(stream.key());
        lock.lock();
        try {
            return snapshotLocked(stream, false, false);
        } finally {
            lock.unlock();
            forks.drain();
        }
    }

    /**
     * The state now of the stream {@code earlier} was taken of (found at {@code path}), or null if it is
     * gone. While the stream's length is known without I/O this costs no lock, no path resolution and
     * no {@code stat}.
     */
    public Snapshot refresh(String path, Snapshot earlier) throws IOException {
        Snapshot s = quickLook(earlier.stream());
        return s != null ? s : snapshot(path);
    }

    /** True if the stream at {@code path} was created over this protocol (has metadata readers may see). */
    public boolean managed(String path) throws IOException {
        return storage.stream(path).publishedMetadata().isPresent();
    }

    /**
     * True while the stream is live for a follower: a WebSocket appender holds it, or it was created
     * over this protocol and is not closed.
     */
    public boolean live(Snapshot s) {
        return s.stream().sessionActive() || (s.managed() && !s.closed());
    }

    /**
     * A reader's snapshot without the stream's lock, taken from the committed length the store knows
     * without I/O and the published metadata; null when only the locked path can tell (no open writer,
     * an expiry due, a soft-deleted stream, a store shared with other servers). Metadata is read before
     * the length, and a closure or other change is published only after the bytes it follows, so a
     * closed snapshot never misses a byte.
     * The length is checked known again last: a delete closes the writer before the bytes and metadata
     * go, so a snapshot that passes saw neither half of a delete.
     */
    private Snapshot quickLook(StoredStream stream) throws IOException {
        if (storage.shared() || stream.knownCommittedLength() < 0) { // shared: another server may have deleted it
            return null;
        }
        Optional<StreamMetadata> m = stream.publishedMetadata();
        if (m.isPresent() && (m.get().softDeleted() || expiry.expired(stream.key(), m.get()))) {
            return null;
        }
        long tail = stream.knownCommittedLength();
        if (tail < 0) {
            return null;
        }
        return new Snapshot(stream, m.orElseGet(() -> StreamMetadata.defaults(StreamMetadata.DEFAULT_CONTENT_TYPE)),
                m.isPresent(), tail);
    }

    /**
     * A catch-up read's extent and, if the store keeps the stream in a file, an open read handle on it,
     * for a caller that sends the bytes without holding them (zero-copy, or streamed in bounded pieces).
     * The caller owns {@code channel} and must close it.
     *
     * @param snapshot the stream's state at the read (its tail may be past {@code next})
     * @param from position of the first byte
     * @param next position after the last byte (for JSON streams, the end of a whole stored line)
     * @param channel the file, open for reading, or null if the store has none: read with {@link #read}
     */
    public record Extent(Snapshot snapshot, long from, long next, FileChannel channel) {
        /** True if the read reaches the tail. */
        public boolean upToDate() {
            return next >= snapshot.tail();
        }

        /** Reads the stream's bytes at {@code position}, as {@link FileChannel#read(ByteBuffer, long)}. */
        public int read(long position, ByteBuffer dst) throws IOException {
            return channel != null ? channel.read(dst, position) : snapshot.stream().read(position, dst);
        }

        /** Closes the channel, if any. */
        public void close() throws IOException {
            if (channel != null) {
                channel.close();
            }
        }

        /** Number of bytes in the extent. */
        public long length() {
            return next - from;
        }
    }

    /**
     * Opens a catch-up read from {@code from}: everything up to the snapshot's tail, or, if that is
     * more than {@code max} bytes, about {@code max} bytes (whole messages for JSON streams: those that
     * end within {@code max}, or the first message whole if it alone is larger). Reads no more than a
     * block of the stream to find a message's end, whatever the length.
     *
     * @param max the most bytes to answer with; {@code 0} for no cap
     * @throws java.nio.file.NoSuchFileException if the stream is gone
     */
    public Extent openRead(Snapshot s, long from, long max) throws IOException {
        Objects.requireNonNull(s, "s");
        if (max < 0) {
            throw new IllegalArgumentException("max < 0: " + max);
        }
        if (from < 0 || from > s.tail()) {
            throw new IllegalArgumentException("from out of range: " + from);
        }
        Extent e = Reads.open(s, from, max);
        expiry.touch(s.stream(), s.metadata(), storage.shared());
        return e;
    }

    /**
     * Follows the stream whoever appends to it, until the stream is closed or deleted. On a store whose
     * calls block, the follower's end is asked on the store's executor ({@link EndWatch}), never on the
     * follower's thread.
     */
    public Follower follow(Snapshot s, StreamListener listener) throws IOException {
        StoredStream stream = s.stream();
        java.util.Optional<java.util.concurrent.Executor> blocking = storage.blockingExecutor();
        if (blocking.isEmpty()) {
            return stream.follow(listener, () -> ended(stream));
        }
        EndWatch end = new EndWatch(stream, listener, blocking.get(), () -> ended(stream)); // asked off the loop
        Follower f = stream.follow(end, end);
        end.look();
        return f;
    }

    /** Registers {@code listener} for every change to the stream; see {@link StoredStream#watch}. */
    public void watch(Snapshot s, StreamListener listener) {
        s.stream().watch(listener);
    }

    /** Undoes {@link #watch}. */
    public void unwatch(Snapshot s, StreamListener listener) {
        s.stream().unwatch(listener);
    }

    /** True if {@code stream} is closed or gone: a follower has nothing more to wait for. */
    public boolean ended(StoredStream stream) {
        try {
            Optional<StreamMetadata> m = stream.publishedMetadata();
            // a soft-deleted source keeps its bytes for its forks, but has ended
            return m.isPresent() && (m.get().closed() || m.get().softDeleted()) || !stream.exists();
        } catch (IOException e) {
            return true;
        }
    }

    /**
     * The stream's state: with {@code latest}, as its writers see it (every byte written, the latest
     * metadata); else as readers may see it (committed). Removes an expired stream.
     */
    Snapshot snapshotLocked(StoredStream stream, boolean forCreate, boolean latest) throws IOException {
        Optional<StreamMetadata> m = latest ? stream.metadata() : stream.publishedMetadata();
        if (m.isPresent() && m.get().softDeleted()) {
            throw forCreate
                    ? new DurableStreamException(CONFLICT, "stream " + stream.name() + " was deleted; forks still use it")
                    : new DurableStreamException(GONE, "stream " + stream.name() + " was deleted");
        }
        if (!stream.exists()) {
            return null;
        }
        if (m.isPresent() && storage.durableWrites()) {
            recovery.firstUse(stream, m.get());
        }
        if (m.isPresent() && expiry.expired(stream, m.get(), storage.shared())) {
            deleteLocked(stream, m.get());
            stream.changed();
            return snapshotLocked(stream, forCreate, latest); // gone, or soft-deleted
        }
        long tail;
        try {
            tail = latest ? stream.writtenLength() : stream.committedLength();
        } catch (NoSuchFileException e) {
            return null;
        }
        return new Snapshot(stream, m.orElseGet(() -> StreamMetadata.defaults(StreamMetadata.DEFAULT_CONTENT_TYPE)),
                m.isPresent(), tail);
    }

    /**
     * Deletes the stream's bytes and metadata, unless forks still reference it: then it is soft-deleted
     * (gone for direct access) and its bytes stay, for the forks' reads below their fork points. A deleted fork's reference on its source is released by {@link Forks#drain()}.
     */
    void deleteLocked(StoredStream stream, StreamMetadata m) throws IOException {
        if (m == null || m.forkRefs() == 0) { // else soft: the forks read its bytes until the last is gone
            stream.discard(); // no append goes to the old bytes after this
        }
        forgetLocked(stream, m);
    }

    /** The metadata part of {@link #deleteLocked}, once the bytes are gone. */
    private void forgetLocked(StoredStream stream, StreamMetadata m) throws IOException {
        expiry.forget(stream.key());
        recovery.forget(stream.key());
        if (m != null && m.forkRefs() > 0) {
            stream.putMetadata(m.withSoftDeleted());
            return;
        }
        stream.removeMetadata();
        if (m != null && m.fork() != null) {
            forks.release(m.fork().source());
        }
    }
}
