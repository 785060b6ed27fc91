package org.httpfstream.durable;

import java.util.concurrent.CompletableFuture;
import org.httpfstream.store.Storage;
import org.httpfstream.store.StoredStream;

/**
 * When an answer may be given: once the bytes and metadata it reports are committed by the storage
 * (at once without durable writes; with them, on the storage's own thread).
 *
 * <p>Thread safety: stateless.
 */
final class Durability {
    private Durability() {
    }

    /**
     * {@code result} once the bytes of {@code stream} up to {@code length} and every metadata change
     * before are durable (at once without durable writes).
     */
    static <T> CompletableFuture<T> durably(Storage storage, T result, StoredStream stream, long length) {
        if (!storage.durableWrites()) {
            return CompletableFuture.completedFuture(result);
        }
        CompletableFuture<Void> durable = stream == null ? storage.barrier() : stream.durable(length);
        return durable.thenApply(v -> result);
    }

    /** Completes once {@code bytes} (taken under a lease) and every metadata change before this call do. */
    static CompletableFuture<Void> after(Storage storage, StoredStream stream, CompletableFuture<?> bytes) {
        CompletableFuture<Void> metadata = stream == null ? storage.barrier() : stream.barrier();
        if (bytes.isDone() && !bytes.isCompletedExceptionally()) {
            return metadata;
        }
        if (bytes.isCompletedExceptionally() || metadata.isDone() && !metadata.isCompletedExceptionally()) {
            return bytes.thenApply(v -> null);
        }
        return CompletableFuture.allOf(bytes, metadata);
    }

    /**
     * Fails with {@code e} once the state it depends on is durable (every byte of {@code stream} written
     * so far, if not null, and every metadata change before): an answer that depends on the stream's
     * state (closed, a producer's sequence) must not precede that state. If that state could not be
     * made durable, fails with that failure instead: the refusal would claim a state that may not last.
     */
    static <T> CompletableFuture<T> failDurably(Storage storage, DurableStreamException e, StoredStream stream) {
        CompletableFuture<T> f = new CompletableFuture<>();
        (stream == null ? storage.barrier() : stream.durable(-1))
                .whenComplete((v, t) -> f.completeExceptionally(t == null ? e : t));
        return f;
    }

}
