package org.httpfstream.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The storage seam over files with fsync ({@link FileStorage}, {@link FileStream}): what the contract
 * (run without fsync) cannot see. An append's future, a stream's {@code durable} and {@code barrier}
 * futures and its published metadata wait for the group commit, which the {@link SyncGate} holds; the
 * handle's view of an open, closed or missing writer.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FileStorageFsyncTest extends GatedStoreTest {

    static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(20, TimeUnit.SECONDS);
    }

    @Test
    void anAppendsFutureCompletesWithItsEndOnlyOnceTheBytesAreSynced() throws Exception {
        FileStorage storage = openStorage(true);
        assertThat(storage.durableWrites()).isTrue();
        StoredStream s = storage.stream("/a.log");
        await(s.withLease(true, lease -> lease.append(bytes("ab"))));
        gate.holdRounds();
        CompletableFuture<Long> end = s.withLease(false, lease -> lease.append(bytes("cde")));
        CompletableFuture<Void> durable = s.durable(-1);
        CompletableFuture<Void> upToOld = s.durable(2);
        assertThat(end).isNotDone();
        assertThat(durable).isNotDone();
        assertThat(upToOld).isCompleted();
        assertThat(s.committedLength()).isEqualTo(2);
        assertThat(s.knownCommittedLength()).isEqualTo(2);
        assertThat(s.writtenLength()).isEqualTo(5);
        gate.releaseRounds();
        assertThat(await(end)).isEqualTo(5);
        await(durable);
        assertThat(s.committedLength()).isEqualTo(5);
        assertThat(s.knownCommittedLength()).isEqualTo(5);
    }

    @Test
    void metadataIsPublishedToReadersOnlyOnceItsBatchIsDurable() throws Exception {
        FileStorage storage = openStorage(true);
        StoredStream s = storage.stream("/m.log");
        StoredStream other = storage.stream("/other.log");
        await(s.withLease(true, lease -> lease.append(bytes("x"))));
        await(other.withLease(true, lease -> lease.append(bytes("y"))));
        await(storage.barrier());
        StreamMetadata plain = StreamMetadata.defaults("text/plain");
        gate.holdBatches();
        s.putMetadata(plain);
        CompletableFuture<Void> own = s.barrier();
        CompletableFuture<Void> all = storage.barrier();
        assertThat(s.metadata()).contains(plain);
        assertThat(s.publishedMetadata()).isEmpty();
        assertThat(other.barrier()).isCompleted(); // another stream's pending change does not hold it
        assertThat(own).isNotDone();
        assertThat(all).isNotDone();
        gate.releaseBatches();
        await(own);
        await(all);
        assertThat(s.publishedMetadata()).contains(plain);
    }

    @Test
    void stagedMetadataIsCommittedWithTheBatchNotByFlush() throws Exception {
        FileStorage storage = openStorage(true);
        StoredStream s = storage.stream("/s.log");
        await(s.withLease(true, lease -> lease.append(bytes("x"))));
        await(storage.barrier());
        StreamMetadata closed = StreamMetadata.defaults("text/plain").withClosed(null);
        gate.holdBatches();
        s.withLease(false, lease -> {
            lease.stageMetadata(closed);
            return null;
        });
        s.flushMetadata(); // a no-op with fsync: the batch writes it
        assertThat(s.publishedMetadata()).isEmpty();
        assertThat(s.durable(-1)).isNotDone();
        gate.releaseBatches();
        await(s.durable(-1));
        assertThat(s.publishedMetadata()).contains(closed);
        Path meta = storage.metadataStore().metaFile(store.root().resolve("s.log"));
        assertThat(Files.readString(meta, UTF_8)).contains("closed=true\n");
    }

    @Test
    void theHandleSeesItsWriterOpenClosedOrGone() throws Exception {
        FileStorage storage = openStorage(false);
        assertThat(storage.durableWrites()).isFalse();
        assertThat(storage.barrier()).isCompleted();
        StoredStream s = storage.stream("/h.log");
        assertThat(s.name()).isEqualTo("/h.log");
        assertThat(s.toString()).isEqualTo("FileStream{/h.log}");
        assertThat(s.key()).isEqualTo(store.root().resolve("h.log"));
        assertThat(s.exists()).isFalse();
        await(s.withLease(true, lease -> lease.append(bytes("abc"))));
        assertThat(s.exists()).isTrue();
        assertThat(s.knownCommittedLength()).isEqualTo(3);
        assertThat(s.durable(-1)).isCompleted();
        assertThat(s.barrier()).isCompleted();
        store.discard(store.root().resolve("h.log")); // the writer closed, the file still there
        assertThat(s.exists()).isTrue();
        assertThat(s.knownCommittedLength()).isEqualTo(-1);
        assertThat(s.committedLength()).isEqualTo(3);
        assertThat(s.writtenLength()).isEqualTo(3);
        ByteBuffer dst = ByteBuffer.allocate(3);
        assertThat(s.read(0, dst)).isEqualTo(3);
        assertThat(new String(dst.array(), UTF_8)).isEqualTo("abc");
        // a file another program wrote, with no writer: exists, read from the file
        Files.writeString(store.root().resolve("plain.txt"), "hello");
        StoredStream plain = storage.stream("/plain.txt");
        assertThat(plain.exists()).isTrue();
        assertThat(plain.knownCommittedLength()).isEqualTo(-1);
        assertThat(plain.committedLength()).isEqualTo(5);
        assertThat(plain.writtenLength()).isEqualTo(5);
        assertThat(storage.stream("/h.log")).isEqualTo(s).hasSameHashCodeAs(s);
        assertThat(storage.stream("/plain.txt")).isNotEqualTo(s);
        assertThat(s).isNotEqualTo("/h.log");
    }

    @Test
    void aForksFollowerReadsTheSourceBelowTheForkPointAndItsOwnBytesAbove() throws Exception {
        FileStorage storage = openStorage(false);
        StoredStream source = storage.stream("/src");
        await(source.withLease(true, lease -> lease.append(bytes("0123456789"))));
        StoredStream fork = storage.stream("/fork");
        fork.putMetadata(new StreamMetadata("text/plain", null, null, null, false, null, Map.of(), null,
                new StreamMetadata.Fork("/src", 4, 0, 4), 0, false));
        int[] told = new int[1];
        await(fork.withLease(true, lease -> {
            lease.reference(source, 4);
            return lease.append(bytes("ab"));
        }));
        try (Follower f = fork.follow(() -> told[0]++, () -> false)) {
            assertThat(f.length()).isEqualTo(6);
            ByteBuffer all = ByteBuffer.allocate(6);
            while (all.hasRemaining()) {
                assertThat(f.read(all.position(), all)).isPositive();
            }
            assertThat(new String(all.array(), UTF_8)).isEqualTo("0123ab");
            ByteBuffer across = ByteBuffer.allocate(6);
            assertThat(f.read(2, across)).isEqualTo(2); // one read stops at the fork point
            await(fork.withLease(false, lease -> lease.append(bytes("c"))));
            assertThat(told[0]).isEqualTo(1);
            assertThat(f.length()).isEqualTo(7);
        }
        // the plain file of a fork has a hole where the source's bytes are read from
        assertThat(Files.size(store.root().resolve("fork"))).isEqualTo(7);
        assertThatThrownBy(() -> fork.withLease(false, lease -> {
            lease.reference(source, 1);
            return null;
        })).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aListingKeepsOnlyTheNamesThatStartWithThePrefixAndAnUpdateReturnsTheNewState() throws Exception {
        FileStorage storage = openStorage(false);
        for (String p : new String[] {"/a/b", "/a/bc", "/a/b2/x", "/a/c", "/d"}) {
            await(storage.stream(p).withLease(true, lease -> lease.append(bytes("x"))));
        }
        assertThat(storage.list("/a/b")).containsExactlyInAnyOrder("/a/b", "/a/bc", "/a/b2/x");
        assertThat(storage.list("/a/c")).containsExactly("/a/c");
        assertThat(storage.list("/none/x")).isEmpty();
        assertThat(storage.list("/")).containsExactlyInAnyOrder("/a/b", "/a/bc", "/a/b2/x", "/a/c", "/d");
        StoredStream s = storage.stream("/d");
        StreamMetadata plain = StreamMetadata.defaults("text/plain");
        assertThat(s.updateMetadata(m -> java.util.Optional.of(plain))).contains(plain);
        assertThat(s.updateMetadata(m -> m.map(x -> x.withForkRefs(2)))).contains(plain.withForkRefs(2));
        assertThat(s.metadata()).contains(plain.withForkRefs(2));
    }
}
