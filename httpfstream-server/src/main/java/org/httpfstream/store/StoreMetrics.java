package org.httpfstream.store;

/**
 * What a {@link StreamStore} tells about its own work, for metrics: bytes appended, each {@code fsync}
 * of a stream file, each group-commit round and metadata batch. The store knows nothing of how they
 * are counted or exposed; the server's metrics implement this ({@link StreamStore#metrics(StoreMetrics)}).
 *
 * <p>Called on the writers' and the sync threads, some of them while a stream's lease is held: an
 * implementation must be cheap and must not block or lock (adding to a counter or a histogram is the
 * intended use), and must not call back into the store. Every method does nothing by default.
 *
 * <p>Thread safety: implementations must be safe for use by any thread.
 */
public interface StoreMetrics {
    /** Counts nothing. */
    StoreMetrics NONE = new StoreMetrics() { };

    /**
     * {@code bytes} (more than 0) were appended to a stream's file by one write, whichever protocol
     * wrote them; called after the write succeeded, before the bytes are committed.
     */
    default void appended(long bytes) {
    }

    /** A stream file was forced to stable storage ({@code fdatasync}); it took {@code nanos}. */
    default void synced(long nanos) {
    }

    /**
     * A group-commit round of one stream's bytes ended: it forced the file and published what it covered,
     * {@code bytes} bytes new since the last round (0 if another round had covered them), answering
     * {@code waiters} waiting appends; it took {@code nanos}.
     */
    default void syncRound(long nanos, long bytes, int waiters) {
    }

    /**
     * A group-commit metadata batch ended (successfully or not): {@code changes} metadata files and folder
     * entries, with the bytes they describe, made durable in {@code nanos}.
     */
    default void metadataBatch(long nanos, int changes) {
    }
}
