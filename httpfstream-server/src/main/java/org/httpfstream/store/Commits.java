package org.httpfstream.store;

import java.util.concurrent.CompletableFuture;

/**
 * The futures of the {@link StreamStore}'s durability: bytes synced and metadata committed, combined
 * without waiting on what is already done. Without fsync (no {@link GroupCommit}) everything is
 * committed at once.
 *
 * <p>Thread safety: stateless.
 */
final class Commits {
    private Commits() {
    }

    /** As {@link StreamStore#durable(Path, long)} for {@code writer}'s bytes (none if it is null). */
    static CompletableFuture<Void> durable(GroupCommit commit, StreamWriter writer, long length) {
        if (commit == null) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> bytes = writer == null ? null : commit.synced(writer, length);
        CompletableFuture<Void> metadata = writer == null ? commit.barrier() : commit.barrier(writer.file());
        if (bytes == null || isDone(bytes)) {
            return bytes != null && bytes.isCompletedExceptionally() ? bytes : metadata;
        }
        return isDone(metadata) ? bytes : CompletableFuture.allOf(bytes, metadata);
    }

    private static boolean isDone(CompletableFuture<Void> f) {
        return f.isDone() && !f.isCompletedExceptionally();
    }

    /**
     * As {@link StreamStore#durable(Path, long)} with the bytes' future taken under the lease ({@link
     * StreamWriter#syncedFuture()}; null for none): with every metadata change made before this call.
     */
    static CompletableFuture<Void> durableAfter(GroupCommit commit, CompletableFuture<Void> bytes) {
        if (commit == null) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> metadata = commit.barrier();
        if (bytes == null || isDone(bytes)) {
            return bytes != null && bytes.isCompletedExceptionally() ? bytes : metadata;
        }
        return isDone(metadata) ? bytes : CompletableFuture.allOf(bytes, metadata);
    }
}
