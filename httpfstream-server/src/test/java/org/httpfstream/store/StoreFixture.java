package org.httpfstream.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Test support, registered with {@code @RegisterExtension}: opens stores on a test's temporary root
 * (with fsync, with a {@link SyncGate} installed) and, after each test, opens every gate and closes
 * every store it opened, so no sync thread or idle-writer thread outlives its test.
 *
 * <p>Thread safety: used by the test thread only.
 */
final class StoreFixture implements AfterEachCallback {
    private final List<StreamStore> stores = new ArrayList<>();
    private final List<SyncGate> gates = new ArrayList<>();

    /** A new store on {@code root}; with {@code fsync}, {@link #gate()} holds and records its syncs. */
    StreamStore open(Path root, boolean fsync) throws IOException {
        StreamStore s = new StreamStore(root, fsync);
        stores.add(s);
        if (fsync) {
            gates.add(SyncGate.install(s));
        }
        return s;
    }

    /** The gate of the last store opened with fsync. */
    SyncGate gate() {
        return gates.get(gates.size() - 1);
    }

    /** Metadata of the default content type {@code contentType}, nothing else set. */
    static StreamMetadata typed(String contentType) {
        return StreamMetadata.defaults(contentType);
    }

    /** The UTF-8 bytes of {@code s}. */
    static java.nio.ByteBuffer bytes(String s) {
        return java.nio.ByteBuffer.wrap(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public void afterEach(ExtensionContext context) {
        gates.forEach(SyncGate::releaseAll);
        stores.forEach(StreamStore::close);
        gates.clear();
        stores.clear();
    }
}
