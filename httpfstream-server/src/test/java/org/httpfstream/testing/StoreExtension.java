package org.httpfstream.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.httpfstream.durable.DurableStreams;
import org.httpfstream.store.StreamStore;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link StreamStore} on a temporary root for one domain test, with no network: opened before each
 * test, closed after it (after the test's own {@code @AfterEach} methods), then a check that none of
 * its threads outlived it ({@link ThreadLeaks}) and the folder deleted. Register it on an instance field:
 *
 * <pre>{@code
 * @RegisterExtension
 * final StoreExtension stores = new StoreExtension();
 * }</pre>
 *
 * <p>Thread safety: not thread safe; used from the test's thread. The store is itself thread safe.
 */
public final class StoreExtension implements BeforeEachCallback, AfterEachCallback {
    private final boolean fsync;
    private Path folder; // this test's temporary folder; the root is its "root" child
    private StreamStore store;
    private DurableStreams streams; // made on first use
    private ThreadLeaks threads;

    /** A store without fsync. */
    public StoreExtension() {
        this(false);
    }

    /** A store with or without fsync. */
    public StoreExtension(boolean fsync) {
        this.fsync = fsync;
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        threads = ThreadLeaks.snapshot();
        folder = TempFolders.create();
        store = new StreamStore(Files.createDirectories(folder.resolve("root")), fsync);
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        try {
            store.close();
            threads.assertNoneLeftSince();
        } finally {
            streams = null;
            TempFolders.delete(folder);
        }
    }

    /** The store, open. */
    public StreamStore store() {
        return store;
    }

    /** The Durable Streams rules over the store, on the system clock. */
    public DurableStreams streams() {
        if (streams == null) {
            streams = new DurableStreams(store, Clock.systemUTC());
        }
        return streams;
    }

    /** The store's root folder, as given to it. */
    public Path root() {
        return folder.resolve("root");
    }

    /** This test's temporary folder, which holds the root: a place for files beside it. */
    public Path folder() {
        return folder;
    }
}
