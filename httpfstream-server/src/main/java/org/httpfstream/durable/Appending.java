package org.httpfstream.durable;

import static org.httpfstream.durable.DurableStreamException.Reason.BAD_REQUEST;
import static org.httpfstream.durable.DurableStreamException.Reason.CLOSED;
import static org.httpfstream.durable.DurableStreamException.Reason.CONFLICT;
import static org.httpfstream.durable.DurableStreamException.Reason.NOT_FOUND;
import static org.httpfstream.durable.DurableStreamException.Reason.OFFSET_MISMATCH;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import org.httpfstream.durable.DurableStreamException.Details;
import org.httpfstream.durable.DurableStreams.AppendRequest;
import org.httpfstream.durable.DurableStreams.Appended;
import org.httpfstream.durable.DurableStreams.ProducerRequest;
import org.httpfstream.durable.DurableStreams.Snapshot;
import org.httpfstream.json.JsonMessages;
import org.httpfstream.store.Lease;
import org.httpfstream.store.Offsets;
import org.httpfstream.store.StoredStream;
import org.httpfstream.store.StreamMetadata;
import org.httpfstream.store.WriterConflictException;

/**
 * Appending to a stream: the checks of a closed stream, the content type, {@code Stream-Seq} and the
 * idempotent producers ({@link Producers}), then the write under the stream's lease and the metadata
 * it changes, staged with the bytes.
 *
 * <p>Thread safety: stateless beyond the {@link DurableStreams} it serves; an append holds the
 * stream's lock, and its lease for the write.
 */
final class Appending {
    private final DurableStreams streams;

    Appending(DurableStreams streams) {
        this.streams = streams;
    }

    /** See {@link DurableStreams#append}. */
    CompletableFuture<Appended> append(String path, AppendRequest request) throws IOException {
        StoredStream stream = streams.storage().stream(path);
        ReentrantLock lock = streams.locks().of(stream.key());
        CompletableFuture<?>[] bytes = new CompletableFuture<?>[1];
        Appended appended;
        boolean durable = streams.storage().durableWrites();
        lock.lock();
        try {
            if (durable && recordLength(stream, request)) { // its durable length first, then the append
                return stream.barrier().thenComposeAsync(v -> {
                    try {
                        return append(path, request);
                    } catch (IOException e) {
                        return CompletableFuture.failedFuture(e);
                    }
                });
            }
            appended = appendLocked(stream, request, bytes);
        } catch (DurableStreamException e) {
            if (!durable) {
                throw e;
            }
            return streams.failDurably(e, stream);
        } finally {
            lock.unlock();
            streams.forks().drain();
        }
        stream.flushMetadata(); // the producer state, Stream-Seq or closure this append set
        if (!durable) {
            if (request.close()) {
                stream.changed(); // followers learn of the closure now that readers can see it
            }
            return CompletableFuture.completedFuture(appended);
        }
        return bytes[0] != null ? streams.after(stream, bytes[0]).thenApply(v -> appended)
                : streams.durably(appended, stream, appended.tail());
    }

    /**
     * Fix (a): a producer's state and its bytes become durable together. Before the first append that
     * sets a managed stream's producer or {@code Stream-Seq} state (with durable writes), the stream's
     * metadata records its length ({@link StreamMetadata#length()}) and the append waits until that is
     * durable; from then on every append records its end in the metadata and is answered after it is
     * durable, so bytes past the recorded length at the next start were never answered and are cut
     * ({@link DurableStreams#recoverLocked}): a retried request is admitted once. True if the length was
     * recorded now (the caller then retries once it is durable). Holds the stream's lock.
     */
    private boolean recordLength(StoredStream stream, AppendRequest request) throws IOException {
        if (request.producer() == null && request.seq() == null) {
            return false;
        }
        Optional<StreamMetadata> m = stream.metadata(); // recorded already, the usual case: no snapshot
        if (m.isEmpty() || m.get().length() >= 0) {
            return false;
        }
        Snapshot s = streams.snapshotLocked(stream, false, true);
        if (s == null || !s.managed() || s.metadata().length() >= 0 || s.metadata().closed()) {
            return false;
        }
        stream.putMetadata(s.metadata().withLength(s.tail()));
        return true;
    }

    private Appended appendLocked(StoredStream stream, AppendRequest request, CompletableFuture<?>[] bytes)
            throws IOException {
        Snapshot s = streams.snapshotLocked(stream, false, true);
        if (s == null) {
            throw new DurableStreamException(NOT_FOUND, "no such stream: " + stream.name());
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
            throw new DurableStreamException(CLOSED, "stream is closed", Details.closedAt(s.tail()));
        }
        checkBody(s, request, empty);
        StreamMetadata.Producer state = null;
        if (producer != null) {
            Producers.Verdict verdict = Producers.check(m, producer);
            if (verdict.duplicate()) {
                return new Appended(s.tail(), false, true, verdict.state());
            }
            state = verdict.state();
        }
        if (request.seq() != null && m.lastSeq() != null && request.seq().compareTo(m.lastSeq()) <= 0) {
            throw new DurableStreamException(CONFLICT, "Stream-Seq " + request.seq()
                    + " is not greater than the last one (" + m.lastSeq() + ")");
        }
        JsonMessages.Messages messages = null;
        if (!empty && m.json()) {
            messages = parseJson(request.body());
            if (messages.count() == 0) {
                throw new DurableStreamException(BAD_REQUEST, "empty JSON array: nothing to append");
            }
        }
        try {
            return writeLeased(s, request, messages, updated(s, request, state), state, bytes);
        } catch (WriterConflictException e) {
            throw new WriterConflictException("a WebSocket appender is active on " + stream.name()
                    + "; appends are refused until it ends");
        }
    }

    private static void checkBody(Snapshot s, AppendRequest request, boolean empty) throws DurableStreamException {
        if (empty && !request.close()) {
            throw new DurableStreamException(BAD_REQUEST, "empty body: an append needs bytes");
        }
        if (empty) {
            return;
        }
        if (request.contentType() == null || request.contentType().isBlank()) {
            throw new DurableStreamException(BAD_REQUEST, "missing Content-Type");
        }
        if (s.managed() && !request.contentType().equals(s.metadata().contentType()) // the same: no parsing
                && !StreamMetadata.mediaType(request.contentType())
                        .equals(StreamMetadata.mediaType(s.metadata().contentType()))) {
            throw new DurableStreamException(CONFLICT, "content type " + request.contentType()
                    + " does not match the stream's " + s.metadata().contentType());
        }
    }

    /** The metadata after the append: the producer's state, the {@code Stream-Seq}, the closure. */
    private StreamMetadata updated(Snapshot s, AppendRequest request, StreamMetadata.Producer state) {
        StreamMetadata m = s.metadata();
        StreamMetadata updated = m;
        ProducerRequest producer = request.producer();
        if (state != null) {
            updated = updated.withProducer(producer.id(), state, streams.storage().limits().maxProducersPerStream());
        }
        if (request.seq() != null) {
            updated = updated.withLastSeq(request.seq());
        }
        if (request.close()) {
            updated = updated.withClosed(producer == null ? null : producer.key());
        }
        if (updated != m && !s.managed() && request.contentType() != null && !request.contentType().isBlank()) {
            // First state of a stream written by other means: it takes this append's type.
            updated = new StreamMetadata(request.contentType().trim(), null, null, null, updated.closed(),
                    updated.lastSeq(), updated.producers(), updated.closedBy(), null, 0, false);
        }
        return updated;
    }

    private Appended writeLeased(Snapshot s, AppendRequest request, JsonMessages.Messages messages, StreamMetadata updated,
            StreamMetadata.Producer state, CompletableFuture<?>[] bytes) throws IOException {
        StoredStream stream = s.stream();
        return stream.withLease(false, lease -> {
            // Compare-and-append: checked under the lease, so no other append comes between the check
            // and this one, on this node or another.
            if (request.expectedOffset() >= 0 && lease.written() != request.expectedOffset()) {
                throw new DurableStreamException(OFFSET_MISMATCH, "Stream-Expected-Offset "
                        + Offsets.format(request.expectedOffset()) + " is not the stream's length ("
                        + Offsets.format(lease.written()) + ")", Details.lengthIs(lease.written()));
            }
            CompletableFuture<Long> written = write(lease, request.body(), messages);
            // Under the lease: a failed sync, which cuts the bytes back, fails it.
            bytes[0] = written != null ? written : stream.durable(lease.written());
            StreamMetadata staged = updated.length() >= 0 ? updated.withLength(lease.written()) : updated;
            if (staged != s.metadata()) {
                // Inside the lease: no WebSocket appender starts on a closed stream. Committed by
                // append()'s flush, after the stream's lock.
                lease.stageMetadata(staged);
            }
            if (staged.ttlSeconds() != null) { // else nothing to restart: an append costs no map update
                streams.expiry().touch(stream, staged, streams.storage().shared());
            }
            return new Appended(lease.written(), updated.closed(), false, state);
        });
    }

    /** Appends {@code body} (or the JSON {@code messages}, one per line); null if there was nothing. */
    static CompletableFuture<Long> write(Lease lease, byte[] body, JsonMessages.Messages messages) throws IOException {
        if (messages != null) {
            return lease.append(ByteBuffer.wrap(messages.lines()));
        } else if (body.length > 0) {
            return lease.append(ByteBuffer.wrap(body));
        }
        return null;
    }

    static JsonMessages.Messages parseJson(byte[] body) throws DurableStreamException {
        try {
            return JsonMessages.split(body);
        } catch (IllegalArgumentException e) {
            throw new DurableStreamException(BAD_REQUEST, e.getMessage());
        }
    }
}
