package org.httpfstream.durable;

import org.httpfstream.store.InsufficientStorageException;
import org.httpfstream.store.InvalidOffsetException;
import org.httpfstream.store.MetadataStore;
import org.httpfstream.store.Offsets;
import org.httpfstream.store.StaleWriterException;
import org.httpfstream.store.StoreLimits;
import org.httpfstream.store.StreamClosedException;
import org.httpfstream.store.StreamListener;
import org.httpfstream.store.StreamMetadata;
import org.httpfstream.store.StreamStore;
import org.httpfstream.store.StreamTooLargeException;
import org.httpfstream.store.StreamWriter;
import org.httpfstream.store.Subscription;
import org.httpfstream.store.WriterConflictException;
import static org.httpfstream.durable.DurableStreamException.Reason.BAD_REQUEST;
import static org.httpfstream.durable.DurableStreamException.Reason.CLOSED;
import static org.httpfstream.durable.DurableStreamException.Reason.CONFLICT;
import static org.httpfstream.durable.DurableStreamException.Reason.GONE;
import static org.httpfstream.durable.DurableStreamException.Reason.NOT_FOUND;
import static org.httpfstream.durable.DurableStreamException.Reason.SEQUENCE_GAP;
import static org.httpfstream.durable.DurableStreamException.Reason.STALE_EPOCH;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The Durable Streams protocol's operations over a {@link StreamStore}: create, append (with {@code
 * Stream-Seq} and idempotent producers), close, delete, metadata and catch-up reads. The bytes stay in
 * the store's plain files, so every stream can also be appended and followed over the original
 * WebSocket protocol; the protocol's own state lives in a {@link MetadataStore}.
 *
 * <p>Single writer: every append, close and delete takes the stream's lease from the store for its
 * duration (the monitor of the stream's open {@link StreamWriter}, which stays open between appends),
 * so it never interleaves with another append; while a WebSocket append session holds the lease, they
 * are refused ({@link WriterConflictException}). A closed stream refuses new
 * WebSocket append sessions too ({@link StreamClosedException}).
 *
 * <p>Durability: the mutating operations return futures. Without fsync they are complete on return.
 * With fsync each completes, on the store's sync thread, once the operation's bytes and metadata are
 * on stable storage (and an error that depends on the stream's state, once that state is): the caller
 * answers then. Readers see only what is durable ({@link MetadataStore#published}).
 *
 * <p>Limits: an append past the store's {@linkplain StoreLimits#maxStreamBytes size limit} is refused
 * whole ({@link StreamTooLargeException}); one that cannot be stored is refused with {@link
 * InsufficientStorageException} and leaves nothing (a producer's retry then stores it once). At most
 * {@link StoreLimits#maxProducersPerStream} producer ids are kept per stream, the least recently used
 * forgotten past it.
 *
 * <p>Thread safety: safe for use from any number of threads. Mutations of one stream are serialized by
 * one of a fixed set of striped locks; reads take no lock. The sliding TTL's last-access times are
 * kept in memory only (a restart restarts the windows); everything else persists.
 */
public final class DurableStreams {
    private static final int STRIPES = 64;

    private final StreamStore store;
    private final MetadataStore metadata;
    private final Clock clock;
    private final ReentrantLock[] locks = new ReentrantLock[STRIPES];
    private final ConcurrentHashMap<Path, Long> lastAccess = new ConcurrentHashMap<>();
    /** Sources whose fork reference is to be released (see {@link #drainReleases()}). */
    private final java.util.concurrent.ConcurrentLinkedQueue<String> releases =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    /**
     * The zero offset as the reference server writes it; accepted as a fork offset because clients
     * written against that server's examples use it.
     */
    private static final String REFERENCE_ZERO_OFFSET = "0000000000000000_0000000000000000";

    /** Serves the protocol over {@code store}; installs the store's append guard (closed streams). */
    public DurableStreams(StreamStore store, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.metadata = new MetadataStore(store);
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new ReentrantLock();
        }
        store.appendGuard(file -> {
            Optional<StreamMetadata> m = metadata.get(file);
            if (m.isPresent() && m.get().softDeleted()) {
                throw new DurableStreamException(GONE, "stream was deleted");
            }
            if (m.isPresent() && m.get().closed()) {
                throw new StreamClosedException();
            }
        });
    }

    /** The underlying store. */
    public StreamStore store() {
        return store;
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
     */
    public record AppendRequest(String contentType, String seq, ProducerRequest producer, boolean close,
            byte[] body) {}

    /**
     * A stream's state.
     *
     * @param file its file
     * @param metadata its metadata ({@linkplain StreamMetadata#defaults defaults} if it has none)
     * @param managed true if the stream has metadata (was created over this protocol)
     * @param tail its tail position
     */
    public record Snapshot(Path file, StreamMetadata metadata, boolean managed, long tail) {
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
        @SuppressWarnings("unchecked")
        CompletableFuture<Void>[] bytes = new CompletableFuture[1];
        try {
            c = createStream(path, request, bytes);
        } catch (DurableStreamException e) {
            if (!store.fsync()) {
                throw e;
            }
            return failDurably(e, null);
        } finally {
            drainReleases();
        }
        if (bytes[0] != null) {
            return store.durableAfter(bytes[0]).thenApply(v -> c);
        }
        return durably(c, c.snapshot().file(), c.snapshot().tail());
    }

    /**
     * {@code result} once the bytes of {@code file} up to {@code length} and every metadata change
     * before are durable (at once without fsync).
     */
    private <T> CompletableFuture<T> durably(T result, Path file, long length) {
        if (!store.fsync()) {
            return CompletableFuture.completedFuture(result);
        }
        CompletableFuture<Void> durable = file == null ? store.barrier() : store.durable(file, length);
        return durable.thenApply(v -> result);
    }

    /**
     * Fails with {@code e} once the state it depends on is durable (every byte of {@code file} written
     * so far, if not null, and every metadata change before): an answer that depends on the stream's
     * state (closed, a producer's sequence) must not precede that state. If that state could not be
     * made durable, fails with that failure instead: the refusal would claim a state that may not last.
     */
    private <T> CompletableFuture<T> failDurably(DurableStreamException e, Path file) {
        CompletableFuture<T> f = new CompletableFuture<>();
        (file == null ? store.barrier() : store.durable(file, -1))
                .whenComplete((v, t) -> f.completeExceptionally(t == null ? e : t));
        return f;
    }

    /**
     * Runs {@code action} holding the lease of the stream at {@code path}, through its open writer
     * (opened, and with {@code create} created, if needed).
     *
     * @throws WriterConflictException if a WebSocket append session holds the lease
     */
    private <T> T exclusive(String path, boolean create, StreamWriter.Action<T> action) throws IOException {
        for (;;) {
            StreamWriter w = store.writer(path, create);
            try {
                return w.exclusive(action);
            } catch (StaleWriterException e) {
                // closed since we got it (idle or deleted): take the current one
            }
        }
    }

    private Created createStream(String path, CreateRequest request, CompletableFuture<Void>[] bytes)
            throws IOException {
        Path file = store.locate(path);
        ForkRequest forkRequest = request.fork();
        Path sourceFile = forkRequest == null ? null : store.locate(forkRequest.source());
        ReentrantLock first = lock(file);
        ReentrantLock second = sourceFile == null ? first : lock(sourceFile);
        if (stripe(sourceFile == null ? file : sourceFile) < stripe(file)) {
            ReentrantLock t = first;
            first = second;
            second = t;
        }
        first.lock();
        second.lock();
        try {
            Snapshot source = null;
            if (forkRequest != null) {
                source = snapshotLocked(forkRequest.source(), sourceFile, true, true);
                if (source == null) {
                    throw new DurableStreamException(NOT_FOUND, "no such stream to fork: " + forkRequest.source());
                }
            }
            String type = request.contentType() == null || request.contentType().isBlank()
                    ? (source != null ? source.metadata().contentType() : StreamMetadata.DEFAULT_CONTENT_TYPE)
                    : request.contentType().trim();
            if (source != null && !StreamMetadata.mediaType(type).equals(
                    StreamMetadata.mediaType(source.metadata().contentType()))) {
                throw new DurableStreamException(CONFLICT, "content type " + type + " differs from the source's "
                        + source.metadata().contentType());
            }
            Long ttl = request.ttlSeconds();
            String expiresAt = request.expiresAt();
            Instant expiresAtInstant = request.expiresAtInstant();
            if (source != null && ttl == null && expiresAt == null) { // a fork inherits its source's expiry
                ttl = source.metadata().ttlSeconds();
                expiresAt = source.metadata().expiresAt();
                expiresAtInstant = source.metadata().expiresAtInstant();
            }
            StreamMetadata.Fork fork = source == null ? null : forkPoint(source, forkRequest);
            List<String> messages = null;
            if (StreamMetadata.isJson(type) && request.body().length > 0) {
                messages = parseJson(request.body());
            }
            Snapshot existing = snapshotLocked(path, file, true, true);
            if (existing != null) {
                StreamMetadata m = existing.metadata();
                boolean same = (!existing.managed() || StreamMetadata.mediaType(m.contentType())
                        .equals(StreamMetadata.mediaType(type)))
                        && Objects.equals(m.ttlSeconds(), ttl)
                        && Objects.equals(m.expiresAtInstant(), expiresAtInstant)
                        && m.closed() == request.closed()
                        && sameFork(m.fork(), fork);
                if (!same) {
                    throw new DurableStreamException(CONFLICT,
                            "stream " + path + " already exists with a different configuration");
                }
                return new Created(false, existing);
            }
            if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new DurableStreamException(CONFLICT, path + " is a folder, not a stream");
            }
            StreamMetadata m = new StreamMetadata(type, ttl, expiresAt, expiresAtInstant, false, null,
                    java.util.Map.of(), null, fork, 0, false);
            metadata.put(file, m);
            Snapshot forked = source;
            List<String> initial = messages;
            try {
                return exclusive(path, true, w -> {
                    try {
                        if (fork != null) {
                            copy(forked.file(), fork.position(), w);
                        }
                        write(w, request.body(), initial);
                        StreamMetadata created = m;
                        if (request.closed()) {
                            created = created.withClosed(null);
                            metadata.put(file, created);
                        }
                        if (forked != null) {
                            StreamMetadata sm = forked.metadata();
                            metadata.put(sourceFile, sm.withForkRefs(sm.forkRefs() + 1));
                        }
                        touch(file);
                        bytes[0] = w.syncedFuture(); // under the lease: a failed sync fails it
                        return new Created(true, new Snapshot(file, created, true, w.written()));
                    } catch (IOException | RuntimeException e) {
                        metadata.remove(file);
                        w.closeLocked();
                        Files.deleteIfExists(file);
                        throw e;
                    }
                });
            } catch (WriterConflictException e) {
                metadata.remove(file);
                throw e;
            } catch (IOException | RuntimeException e) {
                metadata.remove(file);
                store.discard(file);
                throw e;
            }
        } finally {
            second.unlock();
            first.unlock();
        }
    }

    /** Where a fork of {@code source} diverges. */
    private static StreamMetadata.Fork forkPoint(Snapshot source, ForkRequest request) throws IOException {
        long anchor;
        try {
            anchor = request.offset() == null ? source.tail()
                    : REFERENCE_ZERO_OFFSET.equals(request.offset()) ? 0 : Offsets.parse(request.offset(), source.tail());
        } catch (InvalidOffsetException e) {
            throw new DurableStreamException(BAD_REQUEST, "bad Stream-Fork-Offset: " + e.getMessage());
        }
        long position = anchor;
        long sub = request.subOffset();
        if (sub > 0) {
            if (source.metadata().json()) {
                try (FileChannel ch = FileChannel.open(source.file(), StandardOpenOption.READ)) {
                    byte[] rest = readRange((at, dst) -> ch.read(dst, at), anchor, source.tail());
                    long lines = 0;
                    int i = 0;
                    for (; i < rest.length && lines < sub; i++) {
                        if (rest[i] == '\n') {
                            lines++;
                        }
                    }
                    if (lines < sub) {
                        throw new DurableStreamException(BAD_REQUEST, "Stream-Fork-Sub-Offset " + sub
                                + " is past the stream's last message");
                    }
                    position = anchor + i;
                }
            } else {
                if (anchor + sub > source.tail()) {
                    throw new DurableStreamException(BAD_REQUEST, "Stream-Fork-Sub-Offset " + sub
                            + " is past the stream's data");
                }
                position = anchor + sub;
            }
        }
        String sourcePath = request.source();
        return new StreamMetadata.Fork(sourcePath, anchor, sub, position);
    }

    private static boolean sameFork(StreamMetadata.Fork a, StreamMetadata.Fork b) {
        if (a == null || b == null) {
            return a == b;
        }
        return a.source().equals(b.source()) && a.position() == b.position();
    }

    private static void copy(Path source, long length, StreamWriter writer) throws IOException {
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            long at = 0;
            while (at < length) {
                buf.clear().limit((int) Math.min(buf.capacity(), length - at));
                int n = in.read(buf, at);
                if (n < 0) {
                    throw new IOException("source shorter than the fork position");
                }
                buf.flip();
                writer.write(new ByteBuffer[] {buf});
                at += n;
            }
        }
    }

    /**
     * Appends to (and, if asked, closes) the stream at {@code path}. A stream written before costs no
     * path resolution and no file open: its writer stays open.
     *
     * @return the outcome, complete at once without fsync; with fsync it completes on the store's sync
     *     thread once the append (or the state a refusal depends on) is durable. A refusal completes it
     *     with a {@link DurableStreamException}.
     * @throws IOException if the path is invalid or the file cannot be written
     */
    public CompletableFuture<Appended> append(String path, AppendRequest request) throws IOException {
        Objects.requireNonNull(request, "request");
        StreamWriter cached = store.cachedWriter(path);
        Path file = cached != null ? cached.file() : store.locate(path);
        ReentrantLock lock = lock(file);
        Appended appended;
        @SuppressWarnings("unchecked")
        CompletableFuture<Void>[] bytes = new CompletableFuture[1];
        lock.lock();
        try {
            appended = appendLocked(path, file, request, bytes);
        } catch (DurableStreamException e) {
            if (!store.fsync()) {
                throw e;
            }
            return failDurably(e, file);
        } finally {
            lock.unlock();
            drainReleases();
        }
        metadata.flush(file); // the producer state, Stream-Seq or closure this append set (page cache)
        if (request.close() && !store.fsync()) {
            // Followers learn of the closure now that readers can see it (with fsync, once its batch
            // publishes it).
            store.changed(file);
        }
        if (!store.fsync()) {
            return CompletableFuture.completedFuture(appended);
        }
        return bytes[0] != null ? store.durableAfter(bytes[0]).thenApply(v -> appended)
                : durably(appended, file, appended.tail());
    }

    private Appended appendLocked(String path, Path file, AppendRequest request, CompletableFuture<Void>[] bytes)
            throws IOException {
        Snapshot s = snapshotLocked(path, file, false, true);
        if (s == null) {
            throw new DurableStreamException(NOT_FOUND, "no such stream: " + path);
        }
        StreamMetadata m = s.metadata();
        ProducerRequest producer = request.producer();
        boolean empty = request.body().length == 0;
        if (m.closed()) {
            if (producer != null && producer.key().equals(m.closedBy())) {
                return new Appended(s.tail(), true, true, new StreamMetadata.Producer(producer.epoch(),
                        producer.seq()));
            }
            if (empty && request.close()) {
                return new Appended(s.tail(), true, false, null);
            }
            throw new DurableStreamException(CLOSED, "stream is closed", s.tail(), -1, -1, -1);
        }
        if (empty && !request.close()) {
            throw new DurableStreamException(BAD_REQUEST, "empty body: an append needs bytes");
        }
        if (!empty) {
            if (request.contentType() == null || request.contentType().isBlank()) {
                throw new DurableStreamException(BAD_REQUEST, "missing Content-Type");
            }
            if (s.managed() && !StreamMetadata.mediaType(request.contentType())
                    .equals(StreamMetadata.mediaType(m.contentType()))) {
                throw new DurableStreamException(CONFLICT, "content type " + request.contentType()
                        + " does not match the stream's " + m.contentType());
            }
        }
        StreamMetadata.Producer state = null;
        if (producer != null) {
            StreamMetadata.Producer current = m.producers().get(producer.id());
            if (current != null && producer.epoch() < current.epoch()) {
                throw new DurableStreamException(STALE_EPOCH, "stale producer epoch " + producer.epoch()
                        + " (current " + current.epoch() + ")", -1, current.epoch(), -1, -1);
            }
            if (current == null || producer.epoch() > current.epoch()) {
                if (producer.seq() != 0) {
                    if (current == null) {
                        throw new DurableStreamException(SEQUENCE_GAP, "producer sequence gap: expected 0, got "
                                + producer.seq(), -1, -1, 0, producer.seq());
                    }
                    throw new DurableStreamException(BAD_REQUEST,
                            "a new producer epoch must start at sequence 0");
                }
            } else if (producer.seq() <= current.seq()) {
                return new Appended(s.tail(), false, true, current);
            } else if (producer.seq() > current.seq() + 1) {
                throw new DurableStreamException(SEQUENCE_GAP, "producer sequence gap: expected "
                        + (current.seq() + 1) + ", got " + producer.seq(), -1, -1, current.seq() + 1,
                        producer.seq());
            }
            state = new StreamMetadata.Producer(producer.epoch(), producer.seq());
        }
        if (request.seq() != null && m.lastSeq() != null && request.seq().compareTo(m.lastSeq()) <= 0) {
            throw new DurableStreamException(CONFLICT, "Stream-Seq " + request.seq()
                    + " is not greater than the last one (" + m.lastSeq() + ")");
        }
        List<String> messages = null;
        if (!empty && m.json()) {
            messages = parseJson(request.body());
            if (messages.isEmpty()) {
                throw new DurableStreamException(BAD_REQUEST, "empty JSON array: nothing to append");
            }
        }
        StreamMetadata.Producer producerState = state;
        List<String> json = messages;
        try {
            return exclusive(path, false, w -> {
                write(w, request.body(), json);
                bytes[0] = w.syncedFuture(); // under the lease: a failed sync, which cuts, fails it
                StreamMetadata updated = m;
                if (producerState != null) {
                    updated = updated.withProducer(producer.id(), producerState,
                            store.limits().maxProducersPerStream());
                }
                if (request.seq() != null) {
                    updated = updated.withLastSeq(request.seq());
                }
                if (request.close()) {
                    updated = updated.withClosed(producer == null ? null : producer.key());
                }
                if (updated != m) {
                    if (!s.managed() && request.contentType() != null && !request.contentType().isBlank()) {
                        // First state of a stream written by other means: it takes this append's type.
                        updated = new StreamMetadata(request.contentType().trim(), null, null, null,
                                updated.closed(), updated.lastSeq(), updated.producers(), updated.closedBy(),
                                null, 0, false);
                    }
                    // Inside the lease: no WebSocket appender starts on a closed stream. Written to the
                    // file by append()'s flush, after the stream's lock.
                    metadata.putLater(file, updated);
                }
                touch(file);
                return new Appended(w.written(), updated.closed(), false, producerState);
            });
        } catch (WriterConflictException e) {
            throw new WriterConflictException("a WebSocket appender is active on " + path
                    + "; appends are refused until it ends");
        }
    }

    /**
     * Deletes the stream at {@code path}: its file and its metadata.
     *
     * @return complete at once without fsync; with fsync, once the metadata left behind (a soft delete,
     *     a fork reference released) is durable and readers see it
     */
    public CompletableFuture<Void> delete(String path) throws IOException {
        Path file = store.locate(path);
        ReentrantLock lock = lock(file);
        lock.lock();
        try {
            Snapshot s = snapshotLocked(path, file, false, true);
            if (s == null) {
                throw new DurableStreamException(NOT_FOUND, "no such stream: " + path);
            }
            try {
                store.delete(file, () -> deleteLocked(file, s.managed() ? s.metadata() : null));
            } catch (WriterConflictException e) {
                throw new WriterConflictException("a WebSocket appender is active on " + path);
            } finally {
                store.changed(file);
            }
        } finally {
            lock.unlock();
            drainReleases();
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
        touch(s.file());
        return s;
    }

    /** The stream's state, or null if there is no stream at {@code path} (expired streams are removed). */
    public Snapshot snapshot(String path) throws IOException {
        StreamWriter cached = store.cachedWriter(path);
        if (cached != null) {
            Snapshot s = quickLook(cached.file());
            if (s != null) {
                return s;
            }
        }
        Path file = cached != null ? cached.file() : store.locate(path);
        ReentrantLock lock = lock(file);
        lock.lock();
        try {
            return snapshotLocked(path, file, false, false);
        } finally {
            lock.unlock();
            drainReleases();
        }
    }

    /**
     * The state now of the stream {@code earlier} was taken of (found at {@code path}), or null if it is
     * gone. While the stream's writer is open this costs no lock, no path resolution and no {@code
     * stat}.
     */
    public Snapshot refresh(String path, Snapshot earlier) throws IOException {
        Snapshot s = quickLook(earlier.file());
        return s != null ? s : snapshot(path);
    }

    /**
     * A reader's snapshot without the stream's lock, taken from the open writer's committed length and
     * the published metadata; null when only the locked path can tell (no open writer, an expiry due,
     * a soft-deleted stream). Metadata is read before the length, and a closure or other change is
     * published only after the bytes it follows, so a closed snapshot never misses a byte. The writer
     * is checked open again last: a delete closes it before the file and metadata go, so a snapshot
     * that passes saw neither half of a delete.
     */
    private Snapshot quickLook(Path file) throws IOException {
        StreamWriter w = store.openWriterOf(file);
        if (w == null || !w.isOpen()) {
            return null;
        }
        Optional<StreamMetadata> m = metadata.published(file);
        if (m.isPresent() && (m.get().softDeleted() || expired(file, m.get()))) {
            return null;
        }
        long tail = w.committed();
        if (!w.isOpen()) {
            return null;
        }
        return new Snapshot(file, m.orElseGet(() -> StreamMetadata.defaults(StreamMetadata.DEFAULT_CONTENT_TYPE)),
                m.isPresent(), tail);
    }

    /**
     * A catch-up read's extent and an open read handle on the stream's file, for a caller that sends
     * the bytes without holding them (zero-copy, or streamed in bounded pieces). The caller owns
     * {@code channel} and must close it.
     *
     * @param snapshot the stream's state at the read (its tail may be past {@code next})
     * @param from position of the first byte
     * @param next position after the last byte (for JSON streams, the end of a whole stored line)
     * @param channel the file, open for reading; reading {@code [from, next)} from it gives the bytes
     */
    public record Extent(Snapshot snapshot, long from, long next, FileChannel channel) {
        /** True if the read reaches the tail. */
        public boolean upToDate() {
            return next >= snapshot.tail();
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
     * block of the file to find a message's end, whatever the length.
     *
     * @param max the most bytes to answer with; {@code 0} for no cap
     * @throws java.nio.file.NoSuchFileException if the stream's file is gone
     */
    public Extent openRead(Snapshot s, long from, long max) throws IOException {
        Objects.requireNonNull(s, "s");
        if (max < 0) {
            throw new IllegalArgumentException("max < 0: " + max);
        }
        if (from < 0 || from > s.tail()) {
            throw new IllegalArgumentException("from out of range: " + from);
        }
        FileChannel ch = FileChannel.open(s.file(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        try {
            long end = s.tail();
            if (max > 0 && end - from > max) {
                end = from + max;
                if (s.metadata().json()) {
                    end = messageEnd(ch, from, end, s.tail());
                }
            }
            touch(s.file());
            return new Extent(s, from, end, ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * The end of the last whole line of {@code [from, end)}, or if it holds no line end, the end of the
     * line that starts at {@code from} (at most {@code tail}).
     */
    private static long messageEnd(FileChannel ch, long from, long end, long tail) throws IOException {
        ByteBuffer block = ByteBuffer.allocate(64 * 1024);
        for (long hi = end; hi > from; ) { // backwards from end
            long lo = Math.max(from, hi - block.capacity());
            readFully(ch, block, lo, (int) (hi - lo));
            for (int i = (int) (hi - lo) - 1; i >= 0; i--) {
                if (block.get(i) == '\n') {
                    return lo + i + 1;
                }
            }
            hi = lo;
        }
        for (long lo = end; lo < tail; ) { // one message longer than the cap: forwards to its end
            int n = (int) Math.min(block.capacity(), tail - lo);
            readFully(ch, block, lo, n);
            for (int i = 0; i < n; i++) {
                if (block.get(i) == '\n') {
                    return lo + i + 1;
                }
            }
            lo += n;
        }
        return tail;
    }

    private static void readFully(FileChannel ch, ByteBuffer block, long position, int n) throws IOException {
        block.clear().limit(n);
        while (block.hasRemaining()) {
            if (ch.read(block, position + block.position()) < 0) {
                throw new IOException("file shorter than its committed length");
            }
        }
    }

    /**
     * Follows the stream's file whoever appends to it, until the stream is closed or deleted.
     *
     * @see StreamStore#follow
     */
    public Subscription follow(Snapshot s, StreamListener listener) throws IOException {
        Path file = s.file();
        return store.follow(file, listener, () -> ended(file));
    }

    /** Registers {@code listener} for every change to the stream; see {@link StreamStore#watch}. */
    public void watch(Snapshot s, StreamListener listener) {
        store.watch(s.file(), listener);
    }

    /** Undoes {@link #watch}. */
    public void unwatch(Snapshot s, StreamListener listener) {
        store.unwatch(s.file(), listener);
    }

    /** True if the stream in {@code file} is closed or gone: a follower has nothing more to wait for. */
    public boolean ended(Path file) {
        try {
            Optional<StreamMetadata> m = metadata.published(file);
            if (m.isPresent() && m.get().closed()) {
                return true;
            }
            StreamWriter w = store.openWriterOf(file); // open: the file is there, no stat needed
            return (w == null || !w.isOpen()) && !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return true;
        }
    }

    /** The metadata of the stream in {@code file}, if it has any (as readers may see it). */
    public Optional<StreamMetadata> metadata(Path file) throws IOException {
        return metadata.published(file);
    }

    /**
     * The stream's state: with {@code latest}, as its writers see it (every byte written, the latest
     * metadata); else as readers may see it (with fsync: what is durable).
     */
    private Snapshot snapshotLocked(String path, Path file, boolean forCreate, boolean latest) throws IOException {
        Optional<StreamMetadata> m = latest ? metadata.get(file) : metadata.published(file);
        if (m.isPresent() && m.get().softDeleted()) {
            throw forCreate
                    ? new DurableStreamException(CONFLICT, "stream " + path + " was deleted; forks still use it")
                    : new DurableStreamException(GONE, "stream " + path + " was deleted");
        }
        StreamWriter w = latest ? store.openWriterOf(file) : null;
        boolean open = w != null && w.isOpen(); // our writer has the file: no stat needed
        if (!open && !Files.isRegularFile(file)) {
            return null;
        }
        if (m.isPresent() && expired(file, m.get())) {
            deleteLocked(file, m.get());
            store.changed(file);
            return snapshotLocked(path, file, forCreate, latest); // gone, or soft-deleted
        }
        long tail;
        try {
            tail = open ? w.written() : latest ? store.writtenLength(file) : store.committedLength(file);
        } catch (NoSuchFileException e) {
            return null;
        }
        return new Snapshot(file, m.orElseGet(() -> StreamMetadata.defaults(StreamMetadata.DEFAULT_CONTENT_TYPE)),
                m.isPresent(), tail);
    }

    /**
     * Deletes the stream's bytes; its metadata too unless forks still reference it (then it is
     * soft-deleted). A deleted fork's reference on its source is released by {@link #drainReleases()}.
     */
    private void deleteLocked(Path file, StreamMetadata m) throws IOException {
        store.discard(file); // no append goes to the old file after this
        Files.deleteIfExists(file);
        lastAccess.remove(file);
        if (m != null && m.forkRefs() > 0) {
            metadata.put(file, m.withSoftDeleted());
            return;
        }
        metadata.remove(file);
        if (m != null && m.fork() != null) {
            releases.add(m.fork().source());
        }
    }

    /**
     * Releases the fork references of deleted forks, outside any other stream's lock: a source that was
     * soft-deleted and loses its last reference is removed, and so on up the fork chain.
     */
    private void drainReleases() {
        String source;
        while ((source = releases.poll()) != null) {
            try {
                Path file = store.locate(source);
                ReentrantLock lock = lock(file);
                lock.lock();
                try {
                    Optional<StreamMetadata> m = metadata.get(file);
                    if (m.isEmpty()) {
                        continue;
                    }
                    int refs = Math.max(0, m.get().forkRefs() - 1);
                    if (m.get().softDeleted() && refs == 0) {
                        deleteLocked(file, m.get().withForkRefs(0));
                    } else {
                        metadata.put(file, m.get().withForkRefs(refs));
                    }
                } finally {
                    lock.unlock();
                }
            } catch (IOException e) {
                StreamStore.LOG.warn("releasing a fork reference on {} failed", source, e);
            }
        }
    }

    private boolean expired(Path file, StreamMetadata m) {
        long now = clock.millis();
        if (m.expiresAtInstant() != null && !Instant.ofEpochMilli(now).isBefore(m.expiresAtInstant())) {
            return true;
        }
        if (m.ttlSeconds() != null) {
            long last = lastAccess.computeIfAbsent(file, f -> now);
            return now - last >= m.ttlSeconds() * 1000;
        }
        return false;
    }

    private void touch(Path file) {
        lastAccess.put(file, clock.millis());
    }

    private static void write(StreamWriter writer, byte[] body, List<String> messages) throws IOException {
        if (messages != null) {
            StringBuilder sb = new StringBuilder();
            for (String msg : messages) {
                sb.append(msg);
            }
            writer.write(new ByteBuffer[] {ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8))});
        } else if (body.length > 0) {
            writer.write(new ByteBuffer[] {ByteBuffer.wrap(body)});
        }
    }

    private static List<String> parseJson(byte[] body) throws DurableStreamException {
        try {
            return JsonMessages.split(body);
        } catch (IllegalArgumentException e) {
            throw new DurableStreamException(BAD_REQUEST, e.getMessage());
        }
    }

    /** Positional reads, as {@link FileChannel#read(ByteBuffer, long)}. */
    @FunctionalInterface
    private interface PositionalReader {
        int read(long position, ByteBuffer dst) throws IOException;
    }

    private static byte[] readRange(PositionalReader ch, long from, long end) throws IOException {
        ByteBuffer dst = ByteBuffer.allocate((int) (end - from));
        while (dst.hasRemaining()) {
            if (ch.read(from + dst.position(), dst) < 0) {
                throw new IOException("file shorter than its committed length");
            }
        }
        return dst.array();
    }

    private ReentrantLock lock(Path file) {
        return locks[stripe(file)];
    }

    private static int stripe(Path file) {
        return Math.floorMod(file.hashCode(), STRIPES);
    }

}
