package org.httpfstream.durable;

import static org.httpfstream.durable.DurableStreamException.Reason.GONE;

import java.io.IOException;
import java.util.Optional;
import org.httpfstream.store.StoredStream;
import org.httpfstream.store.StreamClosedException;
import org.httpfstream.store.StreamMetadata;

/**
 * What the Durable Streams rules say of an original-protocol append session (a WebSocket appender)
 * that takes the lease of one of their streams: refused on a closed or deleted stream; on a stream
 * whose metadata records its length ({@link StreamMetadata#length()}), the record is dropped, since
 * the session's bytes extend the stream without it and must never be cut as a crash's leftovers.
 *
 * <p>Thread safety: stateless.
 */
final class Sessions {
    private Sessions() {
    }

    /** The lease guard ({@link org.httpfstream.store.Storage#leaseGuard}); throws to refuse the session. */
    static void check(StoredStream stream) throws IOException {
        Optional<StreamMetadata> m = stream.metadata();
        if (m.isPresent() && m.get().softDeleted()) {
            throw new DurableStreamException(GONE, "stream was deleted");
        }
        if (m.isPresent() && m.get().closed()) {
            throw new StreamClosedException();
        }
        if (m.isPresent() && m.get().length() >= 0) {
            stream.updateMetadata(o -> o.map(x -> x.withLength(-1)));
        }
    }
}
