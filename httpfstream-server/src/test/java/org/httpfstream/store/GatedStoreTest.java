package org.httpfstream.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.httpfstream.testing.StoreExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Base of the store tests that open their store themselves, with or without fsync: with it, a {@link
 * SyncGate} is installed on the store, and opened again after the test before the store closes, so no
 * sync thread waits on a held gate when the {@link StoreExtension} closes the store and checks its threads.
 *
 * <p>Thread safety: like a test instance, used from the test's thread.
 */
abstract class GatedStoreTest {
    @RegisterExtension final StoreExtension stores = new StoreExtension();
    /** The store the test opened last; null before {@link #open(boolean)}. */
    StreamStore store;
    /** Its gate when opened with fsync, else null. */
    SyncGate gate;

    /** Opens a new store on the test's root; with {@code fsync}, {@link #gate} holds and records its syncs. */
    StreamStore open(boolean fsync) throws IOException {
        store = stores.open(fsync);
        gate = null;
        if (fsync) {
            SyncGate g = SyncGate.install(store);
            stores.beforeClose(g::releaseAll);
            gate = g;
        }
        return store;
    }

    /** Opens a new store as {@link #open(boolean)} does, and returns the storage seam over its files. */
    FileStorage openStorage(boolean fsync) throws IOException {
        return new FileStorage(open(fsync));
    }

    /**
     * Opens a store with fsync and starts an append session on {@code path}; returns once the new file's
     * name is durable (the barrier passed), so later syncs are the session's own.
     */
    AppendSession openWithFsyncAndStart(String path) throws Exception {
        AppendSession s = open(true).startAppend(path);
        store.barrier().get(20, TimeUnit.SECONDS);
        return s;
    }

    /** The test's store root. */
    java.nio.file.Path root() {
        return stores.root();
    }

    /** Metadata of the default content type {@code contentType}, nothing else set. */
    static StreamMetadata typed(String contentType) {
        return StreamMetadata.defaults(contentType);
    }

    /** The UTF-8 bytes of {@code s}. */
    static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }
}
