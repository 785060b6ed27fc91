package org.httpfstream.store;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.httpfstream.store.GatedStoreTest.typed;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The group commit's metadata batches with fsync, on a store without any network: what a batch writes,
 * forces and publishes, in which order, and what waits for it. Syncs are held and failed with {@link
 * SyncGate}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GroupCommitBatchTest extends MetadataBatchTest {
    String metaFileContent(Path file) throws IOException {
        return Files.readString(metadata.metaFile(file), ISO_8859_1);
    }

    /**
     * Holds the batch thread in a batch of the metadata of {@code name} (under the root), so the next changes
     * gather behind it; returns the stream's path.
     */
    Path holdABatchOf(String name) throws IOException {
        Path first = root.resolve(name);
        gate.holdBatches();
        int before = gate.batchesArrived.get();
        metadata.put(first, typed("text/first"));
        SyncGate.await("the batch thread holds a batch", () -> gate.batchesArrived.get() > before);
        return first;
    }

    @Nested
    class Batches {
        @Test
        void aBatchOfSeveralChangesWritesForcesAndPublishesEachOnce() throws Exception {
            Path a = holdABatchOf("a.txt");
            Path b = root.resolve("b.txt");
            Path c = root.resolve("c.txt");
            metadata.put(b, typed("text/b"));
            metadata.put(c, typed("text/c"));
            CompletableFuture<Void> barrier = store.barrier();
            assertThat(metadata.published(b)).isEmpty(); // not before it is durable
            releaseBatchesAndAwait(barrier);

            Path d = holdABatchOf("d.txt");
            Path e = root.resolve("e.txt");
            metadata.put(e, typed("text/e"));
            metadata.put(b, typed("text/b2"));
            CompletableFuture<Void> second = store.barrier();
            long calls = store.syncCalls();
            releaseBatchesAndAwait(second);
            // d's batch: one metadata file and its folder; the next: two metadata files and their one folder.
            assertThat(store.syncCalls() - calls).isEqualTo(5);
            assertThat(metadata.published(b)).contains(typed("text/b2"));
            assertThat(metadata.published(c)).contains(typed("text/c"));
            assertThat(metadata.published(e)).contains(typed("text/e"));
            assertThat(metaFileContent(b)).contains("contentType=text/b2");
            assertThat(metaFileContent(c)).contains("contentType=text/c");
            assertThat(metaFileContent(e)).contains("contentType=text/e");
            assertThat(new MetadataStore(root).get(c)).isEqualTo(Optional.of(typed("text/c")));
        }

        @Test
        void aBatchSyncsTheBytesOfItsStreamsBeforeWritingTheirMetadata() throws Exception {
            AppendSession s = store.startAppend("/s.log");
            store.barrier().get(20, TimeUnit.SECONDS); // the new name's folder entry
            gate.events.clear();
            gate.holdRounds(); // the stream's own sync round waits: only the batch can sync its bytes
            s.append(ByteBuffer.wrap("abc".getBytes(UTF_8)));
            assertThat(s.length()).isZero();
            metadata.put(s.file(), typed("text/plain"));
            store.barrier().get(20, TimeUnit.SECONDS);
            assertThat(gate.events).containsExactly("force s.log", "metadata");
            assertThat(s.length()).as("the batch published the bytes it synced").isEqualTo(3);
            assertThat(metadata.published(s.file())).contains(typed("text/plain"));
            gate.releaseRounds();
            s.end().get(20, TimeUnit.SECONDS);
        }

        @Test
        void aStreamsBytesArePublishedBeforeItsMetadata() throws Exception {
            AppendSession s = store.startAppend("/p.log");
            store.barrier().get(20, TimeUnit.SECONDS);
            gate.holdRounds();
            s.append(ByteBuffer.wrap("xy".getBytes(UTF_8)));
            long[] lengthSeen = {-1};
            store.addChangeListener(f -> {
                try {
                    if (metadata.published(f).isPresent() && lengthSeen[0] < 0) {
                        lengthSeen[0] = s.length();
                    }
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
            metadata.put(s.file(), typed("text/plain"));
            store.barrier().get(20, TimeUnit.SECONDS);
            assertThat(lengthSeen[0]).as("the length a reader saw with the metadata").isEqualTo(2);
            gate.releaseRounds();
            s.end().get(20, TimeUnit.SECONDS);
        }
    }

    @Nested
    class NewNames {
        /**
         * Starts an append session on {@code path} while batches are held and checks that a barrier waits
         * for the held batch of the new name; then lets the batch go and waits for the barrier.
         */
        AppendSession startBehindAHeldBatch(String path) throws Exception {
            gate.holdBatches();
            AppendSession s = store.startAppend(path);
            CompletableFuture<Void> barrier = store.barrier();
            SyncGate.await("the batch of the new name is held", () -> gate.batchesArrived.get() > 0);
            assertThat(barrier).isNotDone();
            releaseBatchesAndAwait(barrier);
            return s;
        }

        @Test
        void theBarrierWaitsForTheFoldersOfANewStreamsPath() throws Exception {
            long calls = store.syncCalls();
            AppendSession s = startBehindAHeldBatch("/new/deep/s.log");
            // the entries of "new" in the root, of "deep" in "new", and of "s.log" in "deep"
            assertThat(store.syncCalls() - calls).isEqualTo(3);
            assertThat(store.barrier()).isDone();
            s.end().get(20, TimeUnit.SECONDS);
        }

        @Test
        void aNewStreamsNameIsMadeDurableWithTheNextBatch() throws Exception {
            long calls = store.syncCalls();
            AppendSession s = startBehindAHeldBatch("/fresh.log");
            assertThat(store.syncCalls() - calls).as("the root folder, forced once").isEqualTo(1);
            s.end().get(20, TimeUnit.SECONDS);
            AppendSession again = store.startAppend("/fresh.log"); // an existing name: nothing to force
            assertThat(store.barrier()).isDone();
            again.end().get(20, TimeUnit.SECONDS);
        }
    }

    @Nested
    class Retries {
        @Test
        void thePauseBeforeARetryStartsAtTheMinimumAndDoublesUpToTheMaximum() {
            assertThat(GroupCommit.nextRetryDelay(0)).isEqualTo(GroupCommit.MIN_RETRY_DELAY_MS).isEqualTo(10);
            assertThat(GroupCommit.nextRetryDelay(10)).isEqualTo(20);
            assertThat(GroupCommit.nextRetryDelay(20)).isEqualTo(40);
            assertThat(GroupCommit.nextRetryDelay(320)).isEqualTo(640);
            assertThat(GroupCommit.nextRetryDelay(640)).isEqualTo(GroupCommit.MAX_RETRY_DELAY_MS).isEqualTo(1000);
            assertThat(GroupCommit.nextRetryDelay(1000)).isEqualTo(1000);
        }

        @Test
        void failingBatchesAreRetriedAfterPausesThatDouble() throws Exception {
            Path f = root.resolve("r.txt");
            gate.metadataFailures.set(4);
            metadata.put(f, typed("text/retried"));
            SyncGate.await("the fifth attempt succeeds", () -> gate.metadataAttempts.size() >= 5);
            store.barrier().get(20, TimeUnit.SECONDS);
            assertThat(metadata.published(f)).contains(typed("text/retried"));
            assertThat(metaFileContent(f)).contains("contentType=text/retried");
            Long[] at = gate.metadataAttempts.toArray(new Long[0]);
            long[] expectedMs = {10, 20, 40, 80};
            for (int i = 0; i < expectedMs.length; i++) {
                assertThat(TimeUnit.NANOSECONDS.toMillis(at[i + 1] - at[i]))
                        .as("the pause before retry %d", i + 1).isGreaterThanOrEqualTo(expectedMs[i]);
            }
        }
    }

    @Nested
    class Closing {
        /** Starts a thread that closes the store. */
        Thread closeInTheBackground() {
            Thread closer = new Thread(store::close, "closer");
            closer.start();
            return closer;
        }

        void assertReturnsWithin20s(Thread closer) throws InterruptedException {
            closer.join(TimeUnit.SECONDS.toMillis(20));
            assertThat(closer.isAlive()).as("close returned").isFalse();
        }

        @Test
        void closingWritesWhatIsPendingAsALastBatch() throws Exception {
            Path a = holdABatchOf("a.txt");
            Path b = root.resolve("b.txt");
            metadata.put(b, typed("text/b"));
            Thread closer = closeInTheBackground();
            gate.releaseBatches();
            assertReturnsWithin20s(closer);
            assertThat(new MetadataStore(root).get(a)).contains(typed("text/first"));
            assertThat(new MetadataStore(root).get(b)).contains(typed("text/b"));
        }

        @Test
        void aBatchThatFailsWhileClosingIsNotRetried() throws Exception {
            Path a = holdABatchOf("a.txt");
            gate.metadataFailures.set(Integer.MAX_VALUE);
            metadata.put(root.resolve("b.txt"), typed("text/b"));
            Thread closer = closeInTheBackground();
            SyncGate.await("the store is closing", () -> closer.getState() == Thread.State.WAITING
                    || closer.getState() == Thread.State.TIMED_WAITING);
            gate.releaseBatches();
            assertReturnsWithin20s(closer);
            assertThat(gate.metadataAttempts).hasSizeLessThanOrEqualTo(2);
            assertThat(metadata.metaFile(a)).doesNotExist();
        }
    }
}
