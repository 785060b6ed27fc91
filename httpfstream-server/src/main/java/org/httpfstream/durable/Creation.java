package org.httpfstream.durable;

import static org.httpfstream.durable.DurableStreamException.Reason.CONFLICT;
import static org.httpfstream.durable.DurableStreamException.Reason.NOT_FOUND;

import java.io.IOException;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.httpfstream.durable.DurableStreams.CreateRequest;
import org.httpfstream.durable.DurableStreams.Created;
import org.httpfstream.durable.DurableStreams.ForkRequest;
import org.httpfstream.durable.DurableStreams.Snapshot;
import org.httpfstream.json.JsonMessages;
import org.httpfstream.store.NotAStreamException;
import org.httpfstream.store.StoredStream;
import org.httpfstream.store.StreamMetadata;
import org.httpfstream.store.WriterConflictException;

/**
 * Creating a stream: its configuration (content type, expiry, closure), a fork's origin and first
 * bytes, or the confirmation that an equal stream exists.
 *
 * <p>Thread safety: stateless beyond the {@link DurableStreams} it serves; a create holds the new
 * stream's lock and, for a fork, its source's.
 */
final class Creation {
    private final DurableStreams streams;

    Creation(DurableStreams streams) {
        this.streams = streams;
    }

    /**
     * Creates the stream, or finds an equal one. {@code bytes} receives the future of the initial bytes'
     * commit, if any were written.
     */
    Created create(String path, CreateRequest request, CompletableFuture<?>[] bytes) throws IOException {
        StoredStream stream = streams.storage().stream(path);
        ForkRequest forkRequest = request.fork();
        StoredStream source = forkRequest == null ? null : streams.storage().stream(forkRequest.source());
        try (AutoCloseable locked = streams.locks().both(stream.key(), source == null ? null : source.key())) {
            return createLocked(stream, source, request, bytes);
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e); // unlocking throws nothing
        }
    }

    private Created createLocked(StoredStream stream, StoredStream sourceStream, CreateRequest request,
            CompletableFuture<?>[] bytes) throws IOException {
        Snapshot source = null;
        if (sourceStream != null) {
            source = streams.snapshotLocked(sourceStream, true, true);
            if (source == null) {
                throw new DurableStreamException(NOT_FOUND, "no such stream to fork: " + sourceStream.name());
            }
        }
        StreamMetadata m = configuration(request, source);
        Snapshot existing = streams.snapshotLocked(stream, true, true);
        if (existing != null) {
            if (!same(existing, m, request.closed())) {
                throw new DurableStreamException(CONFLICT,
                        "stream " + stream.name() + " already exists with a different configuration");
            }
            return new Created(false, existing);
        }
        JsonMessages.Messages messages = null;
        if (m.json() && request.body().length > 0) {
            messages = Appending.parseJson(request.body());
        }
        stream.putMetadata(m);
        try {
            return write(stream, source, m, request, messages, bytes);
        } catch (WriterConflictException e) {
            stream.removeMetadata();
            throw e;
        } catch (NotAStreamException e) {
            stream.removeMetadata();
            throw new DurableStreamException(CONFLICT, stream.name() + " is a folder, not a stream");
        } catch (IOException | RuntimeException e) {
            stream.removeMetadata();
            stream.discard();
            throw e;
        }
    }

    /** The new stream's metadata: as asked, a fork inheriting its source's type and expiry. */
    private static StreamMetadata configuration(CreateRequest request, Snapshot source) throws IOException {
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
        StreamMetadata.Fork fork = source == null ? null : Forks.forkPoint(source, request.fork());
        return new StreamMetadata(type, ttl, expiresAt, expiresAtInstant, false, null, java.util.Map.of(), null,
                fork, 0, false);
    }

    /** True if the existing stream has the configuration {@code m} (closed as asked). */
    private static boolean same(Snapshot existing, StreamMetadata m, boolean closed) {
        StreamMetadata e = existing.metadata();
        return (!existing.managed() || StreamMetadata.mediaType(e.contentType())
                .equals(StreamMetadata.mediaType(m.contentType())))
                && Objects.equals(e.ttlSeconds(), m.ttlSeconds())
                && Objects.equals(e.expiresAtInstant(), m.expiresAtInstant())
                && e.closed() == closed
                && Forks.sameFork(e.fork(), m.fork());
    }

    /** Writes the new stream's first bytes under its lease; counts the fork's reference on its source. */
    private Created write(StoredStream stream, Snapshot source, StreamMetadata m, CreateRequest request,
            JsonMessages.Messages messages, CompletableFuture<?>[] bytes) throws IOException {
        return stream.withLease(true, lease -> {
            try {
                if (m.fork() != null) {
                    lease.reference(source.stream(), m.fork().position()); // no copy: reads below go to the source
                }
                Appending.write(lease, request.body(), messages);
                StreamMetadata created = m;
                if (request.closed()) {
                    created = created.withClosed(null);
                    stream.putMetadata(created);
                }
                if (source != null) {
                    StreamMetadata sm = source.metadata();
                    source.stream().putMetadata(sm.withForkRefs(sm.forkRefs() + 1));
                }
                streams.expiry().touch(stream.key());
                if (lease.written() > 0) { // taken under the lease: a failed sync, which cuts, fails it
                    bytes[0] = stream.durable(lease.written());
                }
                return new Created(true, new Snapshot(stream, created, true, lease.written()));
            } catch (IOException | RuntimeException e) {
                lease.abandon();
                throw e;
            }
        });
    }
}
