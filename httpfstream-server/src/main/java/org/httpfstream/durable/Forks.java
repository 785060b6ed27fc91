package org.httpfstream.durable;

import static org.httpfstream.durable.DurableStreamException.Reason.BAD_REQUEST;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import org.httpfstream.durable.DurableStreams.ForkRequest;
import org.httpfstream.durable.DurableStreams.Snapshot;
import org.httpfstream.store.InvalidOffsetException;
import org.httpfstream.store.Offsets;
import org.httpfstream.store.StoredStream;
import org.httpfstream.store.StreamMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forks: where a fork diverges from its source, and the reference count that keeps a deleted source
 * (soft-deleted, bytes kept) alive while forks use it. A fork copies none of its source's bytes: it
 * begins with a reference to them ({@link org.httpfstream.store.Lease#reference}), and its reads below
 * the fork point go to the source. A deleted fork's reference is released after
 * its own lock is let go ({@link #drain}), so that no two streams' locks are taken out of order.
 *
 * <p>Thread safety: safe for use from any number of threads; the releases wait in a concurrent queue,
 * and each is applied under its source's lock.
 */
final class Forks {
    private static final Logger LOG = LoggerFactory.getLogger(Forks.class);

    /**
     * The zero offset as the reference server writes it; accepted as a fork offset because clients
     * written against that server's examples use it.
     */
    private static final String REFERENCE_ZERO_OFFSET = "0000000000000000_0000000000000000";

    private final DurableStreams streams;
    /** Sources whose fork reference is to be released. */
    private final ConcurrentLinkedQueue<String> releases = new ConcurrentLinkedQueue<>();

    Forks(DurableStreams streams) {
        this.streams = streams;
    }

    /** Where a fork of {@code source} diverges. */
    static StreamMetadata.Fork forkPoint(Snapshot source, ForkRequest request) throws IOException {
        long anchor;
        try {
            anchor = request.offset() == null ? source.tail()
                    : REFERENCE_ZERO_OFFSET.equals(request.offset()) ? 0 : Offsets.parse(request.offset(), source.tail());
        } catch (InvalidOffsetException e) {
            throw new DurableStreamException(BAD_REQUEST, "bad Stream-Fork-Offset: " + e.getMessage());
        }
        long sub = request.subOffset();
        if (sub <= 0) {
            return new StreamMetadata.Fork(request.source(), anchor, sub, anchor);
        }
        long position;
        if (source.metadata().json()) {
            byte[] rest = Reads.readRange(source.stream()::read, anchor, source.tail());
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
        } else {
            if (anchor + sub > source.tail()) {
                throw new DurableStreamException(BAD_REQUEST, "Stream-Fork-Sub-Offset " + sub
                        + " is past the stream's data");
            }
            position = anchor + sub;
        }
        return new StreamMetadata.Fork(request.source(), anchor, sub, position);
    }

    /** True if two fork origins (either null) are the same. */
    static boolean sameFork(StreamMetadata.Fork a, StreamMetadata.Fork b) {
        if (a == null || b == null) {
            return a == b;
        }
        return a.source().equals(b.source()) && a.position() == b.position();
    }

    /** Queues the release of a deleted fork's reference on {@code source}. */
    void release(String source) {
        releases.add(source);
    }

    /**
     * Releases the fork references of deleted forks, outside any other stream's lock: a source that was
     * soft-deleted and loses its last reference is removed, and so on up the fork chain.
     */
    void drain() {
        String source;
        while ((source = releases.poll()) != null) {
            try {
                releaseNow(source);
            } catch (IOException e) {
                LOG.warn("releasing a fork reference on {} failed", source, e);
            }
        }
    }

    private void releaseNow(String source) throws IOException {
        StoredStream stream = streams.storage().stream(source);
        ReentrantLock lock = streams.locks().of(stream.key());
        lock.lock();
        try {
            Optional<StreamMetadata> m = stream.metadata();
            if (m.isEmpty()) {
                return;
            }
            int refs = Math.max(0, m.get().forkRefs() - 1);
            if (m.get().softDeleted() && refs == 0) {
                streams.deleteLocked(stream, m.get().withForkRefs(0));
                stream.changed(); // its watchers (the viewer's index) learn that it is gone
            } else {
                stream.putMetadata(m.get().withForkRefs(refs));
            }
        } finally {
            lock.unlock();
        }
    }
}
