package org.httpfstream.store;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.httpfstream.store.GatedStoreTest.typed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A metadata batch that fails is not dropped: its changes, and the changes made while it ran, go into
 * the retry; a change made meanwhile under the same key wins (it was made on top of the failed one).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetadataStoreRetryTest extends MetadataBatchTest {
    String onDisk(Path file) throws IOException {
        Path meta = metadata.metaFile(file);
        return Files.exists(meta) ? Files.readString(meta, ISO_8859_1) : "";
    }

    /** Puts {@code file}'s metadata and holds the batch that took it, which will fail. */
    CompletableFuture<Void> aFailingBatchOf(Path file, StreamMetadata m) throws IOException {
        gate.holdBatches();
        gate.metadataFailures.set(1);
        CompletableFuture<Void> failing;
        synchronized (store.groupCommit()) { // the batch thread takes the change only once the barrier is taken
            metadata.put(file, m);
            failing = store.barrier();
        }
        SyncGate.await("the batch thread holds the batch", () -> gate.batchesArrived.get() > 0);
        return failing;
    }

    @Test
    void changesMadeWhileAFailingBatchRunsAreRetriedTogetherWithIt() throws Exception {
        Path a = root.resolve("a.txt");
        Path b = root.resolve("b.txt");
        CompletableFuture<Void> failing = aFailingBatchOf(a, typed("text/a"));
        metadata.put(b, typed("text/b"));
        CompletableFuture<Void> retry = store.barrier();
        gate.releaseBatches();
        assertThat(failing).failsWithin(20, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class)
                .withMessageContaining("the metadata write failed");
        retry.get(20, TimeUnit.SECONDS);
        assertThat(onDisk(a)).contains("contentType=text/a");
        assertThat(onDisk(b)).contains("contentType=text/b");
        assertThat(metadata.published(a)).contains(typed("text/a"));
        assertThat(metadata.published(b)).contains(typed("text/b"));
        assertThat(gate.metadataAttempts).hasSize(2);
    }

    @Test
    void aChangeMadeMeanwhileUnderTheSameKeyWinsOverTheFailedOne() throws Exception {
        Path a = root.resolve("same.txt");
        CompletableFuture<Void> failing = aFailingBatchOf(a, typed("text/old"));
        metadata.put(a, typed("text/new"));
        CompletableFuture<Void> retry = store.barrier();
        gate.releaseBatches();
        assertThat(failing).failsWithin(20, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class);
        retry.get(20, TimeUnit.SECONDS);
        assertThat(onDisk(a)).contains("contentType=text/new").doesNotContain("text/old");
        assertThat(metadata.published(a)).contains(typed("text/new"));
        assertThat(new MetadataStore(root).get(a)).isEqualTo(Optional.of(typed("text/new")));
    }

    @Test
    void aFailedBatchsFolderEntriesAreRetriedToo() throws Exception {
        long calls = store.syncCalls();
        aFailingBatchOf(root.resolve("x.txt"), typed("text/x"));
        gate.metadataFailures.set(2); // that batch and the next, which holds the new folder entries
        AppendSession s = store.startAppend("/dir/s.log"); // the entries of "dir" (in the root) and "s.log"
        CompletableFuture<Void> failing = store.barrier();
        gate.releaseBatches();
        assertThat(failing).failsWithin(20, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class);
        SyncGate.await("the third batch ran", () -> gate.metadataAttempts.size() >= 3);
        store.barrier().get(20, TimeUnit.SECONDS);
        // x's metadata file and its folder, the root and "dir": all forced by the batch that succeeded
        assertThat(store.syncCalls() - calls).isEqualTo(4);
        assertThat(onDisk(root.resolve("x.txt"))).contains("contentType=text/x");
        s.end().get(20, TimeUnit.SECONDS);
    }

    @Test
    void aRemovedStreamsPendingChangeIsNeitherWrittenNorPublished() throws Exception {
        Path a = root.resolve("gone.txt");
        Path b = root.resolve("kept.txt");
        gate.holdBatches();
        metadata.put(b, typed("text/b"));
        SyncGate.await("the batch thread holds the batch", () -> gate.batchesArrived.get() > 0);
        metadata.put(a, typed("text/a"));
        metadata.remove(a);
        CompletableFuture<Void> next = store.barrier();
        releaseBatchesAndAwait(next);
        assertThat(onDisk(a)).isEmpty();
        assertThat(metadata.get(a)).isEmpty();
        assertThat(onDisk(b)).contains("contentType=text/b");
    }
}
