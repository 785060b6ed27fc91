package org.httpfstream.durable;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.httpfstream.store.StoredStream;
import org.httpfstream.store.StreamMetadata;
import org.httpfstream.store.WriterConflictException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recovery after a crash, with durable writes: at a stream's first use since the start, the bytes past
 * the length its metadata records ({@link StreamMetadata#length()}) are cut. Those bytes reached the
 * file but their producer or {@code Stream-Seq} state never became durable, so nobody was answered
 * for them; keeping them would admit the client's retry a second time ({@link Appending} records the
 * length with every append of a stream that has such state).
 *
 * <p>Thread safety: safe for use from any number of threads (a concurrent set of the streams seen);
 * {@link #firstUse} is called holding the stream's lock.
 */
final class Recovery {
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

    /** Keys of the streams used since the start (or since their deletion). */
    private final Set<Object> seen = ConcurrentHashMap.newKeySet();

    /** Cuts {@code stream} back to the length {@code m} records if this is its first use; holds its lock. */
    void firstUse(StoredStream stream, StreamMetadata m) throws IOException {
        if (!seen.add(stream.key())) {
            return;
        }
        long length = m.length();
        if (length < 0 || stream.writtenLength() <= length) {
            return;
        }
        try {
            stream.withLease(false, lease -> {
                LOG.warn("{}: cutting {} bytes a crash left past its durable state", stream.name(),
                        lease.written() - length);
                lease.cut(length);
                return null;
            });
        } catch (WriterConflictException e) {
            LOG.warn("{}: a WebSocket appender holds it; not cut back to {}", stream.name(), length);
        }
    }

    /** Forgets a deleted stream: a new one at its path starts afresh. */
    void forget(Object key) {
        seen.remove(key);
    }
}
