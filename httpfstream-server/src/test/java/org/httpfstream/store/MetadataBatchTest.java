package org.httpfstream.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;

/**
 * Base of the tests of the group commit's metadata batches: before each test a store with fsync and its
 * {@link SyncGate} ({@link GatedStoreTest}), and a {@link MetadataStore} over it.
 *
 * <p>Thread safety: like a test instance, used from the test's thread.
 */
abstract class MetadataBatchTest extends GatedStoreTest {
    /** The store's root. */
    Path root;
    /** The metadata over the store, through its group commit. */
    MetadataStore metadata;

    /** Lets the held batches go and waits (up to 20 s) until {@code barrier} completes. */
    void releaseBatchesAndAwait(CompletableFuture<Void> barrier) throws Exception {
        gate.releaseBatches();
        barrier.get(20, TimeUnit.SECONDS);
    }

    @BeforeEach
    void openWithFsync() throws IOException {
        root = open(true).root();
        metadata = new MetadataStore(store);
    }
}
