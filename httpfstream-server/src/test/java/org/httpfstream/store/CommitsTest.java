package org.httpfstream.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Commits}: a stream's {@code durable} future, taken while both its bytes and its metadata are
 * pending, does not complete when the bytes are synced but only once the metadata batch is durable too
 * (the other order cannot be seen: a metadata batch syncs its streams' bytes itself).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CommitsTest extends GatedStoreTest {

    @Test
    void durableWaitsForTheMetadataAfterTheBytesAreSynced() throws Exception {
        FileStorage storage = openStorage(true);
        StoredStream s = storage.stream("/d.log");
        s.withLease(true, lease -> lease.append(ByteBuffer.wrap("a".getBytes(UTF_8)))).get(20, TimeUnit.SECONDS);
        storage.barrier().get(20, TimeUnit.SECONDS);
        gate.holdRounds();
        gate.holdBatches();
        s.withLease(false, lease -> lease.append(ByteBuffer.wrap("b".getBytes(UTF_8))));
        s.putMetadata(StreamMetadata.defaults("text/plain").withLastSeq("1"));
        CompletableFuture<Void> durable = s.durable(-1);
        assertThat(durable).isNotDone();
        gate.releaseRounds();
        SyncGate.await("the bytes synced", () -> {
            try {
                return s.committedLength() == s.writtenLength();
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        });
        assertThat(durable).as("the metadata is still pending").isNotDone();
        gate.releaseBatches();
        durable.get(20, TimeUnit.SECONDS);
        assertThat(s.publishedMetadata().orElseThrow().lastSeq()).isEqualTo("1");
    }
}
