package org.httpfstream.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.httpfstream.store.GatedStoreTest.bytes;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The committed length readers see and the futures that say when bytes are durable, with and without
 * fsync: with it, nothing counts before its sync, and a failed sync fails exactly the appends above
 * what is synced.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StreamStoreDurableTest extends GatedStoreTest {
    @Nested
    class WithoutFsync {
        @Test
        void everythingIsCommittedAtOnceAndNoSyncIsCounted() throws Exception {
            open(false);
            AppendSession s = store.startAppend("/n.log");
            s.append(bytes("abc"));
            assertThat(store.committedLength(s.file())).isEqualTo(3);
            assertThat(store.writtenLength(s.file())).isEqualTo(3);
            assertThat(store.durable(s.file(), -1)).isCompleted();
            assertThat(store.barrier()).isCompleted();
            assertThat(store.syncBatches()).isZero();
            assertThat(store.syncCalls()).isZero();
            assertThat(store.fsync()).isFalse();
            s.end();
            assertThat(store.committedLength(s.file())).isEqualTo(3);
            try (FileChannel ch = FileChannel.open(s.file(), StandardOpenOption.READ)) {
                assertThat(store.committedLength(s.file(), ch)).isEqualTo(3);
            }
        }

        @Test
        void aMissingStreamHasNoLength() throws IOException {
            open(false);
            assertThatThrownBy(() -> store.committedLength(store.root().resolve("none")))
                    .isInstanceOf(NoSuchFileException.class);
        }

        @Test
        void aFileWrittenByAnotherProgramCountsWholeWithoutAWriter() throws IOException {
            open(false);
            Path f = store.root().resolve("other.log");
            Files.writeString(f, "12345");
            assertThat(store.committedLength(f)).isEqualTo(5);
            assertThat(store.writtenLength(f)).isEqualTo(5);
            assertThat(store.lookup("/other.log").session()).isNull();
        }
    }

    @Nested
    class WithFsync {
        @Test
        void bytesCountOnlyOnceSyncedAndDurableWaitsForThem() throws Exception {
            AppendSession s = openWithFsyncAndStart("/f.log");
            long batches = store.syncBatches();
            gate.holdRounds();
            s.append(bytes("abcd"));
            assertThat(store.committedLength(s.file())).isZero();
            assertThat(store.writtenLength(s.file())).isEqualTo(4);
            assertThat(s.appended()).isEqualTo(4);
            CompletableFuture<Void> all = store.durable(s.file(), -1);
            CompletableFuture<Void> two = store.durable(s.file(), 2);
            CompletableFuture<Void> none = store.durable(s.file(), 0);
            assertThat(all).isNotDone();
            assertThat(two).isNotDone();
            assertThat(none).isCompleted();
            gate.releaseRounds();
            all.get(20, TimeUnit.SECONDS);
            two.get(20, TimeUnit.SECONDS);
            assertThat(store.committedLength(s.file())).isEqualTo(4);
            assertThat(store.syncBatches()).isGreaterThan(batches);
            assertThat(store.durable(s.file(), 4)).isCompleted();
            assertThat(store.durable(store.root().resolve("no-writer"), 10)).isCompleted();
            s.end().get(20, TimeUnit.SECONDS);
        }

        @Test
        void durableAlsoWaitsForTheMetadataChangesMadeBefore() throws Exception {
            AppendSession s = openWithFsyncAndStart("/m.log");
            s.append(bytes("x"));
            store.durable(s.file(), -1).get(20, TimeUnit.SECONDS);
            gate.holdBatches();
            new MetadataStore(store).put(s.file(), StreamMetadata.defaults("text/plain"));
            CompletableFuture<Void> durable = store.durable(s.file(), -1);
            assertThat(durable).isNotDone();
            gate.releaseBatches();
            durable.get(20, TimeUnit.SECONDS);
            s.end().get(20, TimeUnit.SECONDS);
        }

        @Test
        void aFailedSyncFailsTheWaitingAppendsAndCutsTheirBytes() throws Exception {
            AppendSession s = openWithFsyncAndStart("/x.log");
            List<IOException> refusals = new CopyOnWriteArrayList<>();
            store.addRefusalListener(refusals::add);
            s.append(bytes("ok"));
            store.durable(s.file(), -1).get(20, TimeUnit.SECONDS);
            gate.holdRounds();
            s.append(bytes("lost"));
            CompletableFuture<Void> waiting = store.durable(s.file(), -1);
            StoreFaults.install(store).failSyncs(true);
            gate.releaseRounds();
            assertThat(waiting).failsWithin(20, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class)
                    .withCauseInstanceOf(InsufficientStorageException.class);
            assertThat(Files.readString(s.file())).isEqualTo("ok");
            assertThat(store.committedLength(s.file())).isEqualTo(2);
            assertThat(store.writtenLength(s.file())).isEqualTo(2);
            assertThat(refusals).isNotEmpty().allMatch(e -> e instanceof InsufficientStorageException);
            assertThatThrownBy(() -> s.append(bytes("more"))).isInstanceOf(InsufficientStorageException.class);
            assertThat(store.durable(s.file(), 6)).as("bytes cut off since").isCompletedExceptionally();
            assertThat(s.end()).failsWithin(20, TimeUnit.SECONDS);
        }
    }
}
