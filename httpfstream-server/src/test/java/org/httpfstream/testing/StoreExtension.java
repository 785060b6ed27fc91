package org.httpfstream.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.httpfstream.durable.DurableStreams;
import org.httpfstream.store.StreamStore;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The one extension of the domain tests that need a {@link StreamStore} on a temporary root, with no
 * network. Before each test it takes a snapshot of the threads and makes the folder; the store is opened
 * on first use ({@link #store()}), or by the test itself, once or again, with or without fsync ({@link
 * #open(boolean)}). After the test (after its own {@code @AfterEach} methods) it runs what the test asked
 * to run before closing ({@link #beforeClose(Runnable)}: the store tests open their sync gates there),
 * closes every store it opened, checks that none of their threads outlived them ({@link ThreadLeaks}) and
 * deletes the folder. Register it on an instance field:
 *
 * <pre>{@code
 * @RegisterExtension
 * final StoreExtension stores = new StoreExtension();
 * }</pre>
 *
 * <p>Thread safety: not thread safe; used from the test's thread. The stores are themselves thread safe.
 */
public final class StoreExtension implements BeforeEachCallback, AfterEachCallback {
    private final boolean fsync;
    private final List<StreamStore> opened = new ArrayList<>(); // closed after the test, in order
    private final List<Runnable> beforeClose = new ArrayList<>();
    private Path folder; // this test's temporary folder; the root is its "root" child
    private StreamStore store; // the last one opened; null until then
    private DurableStreams streams; // made on first use
    private ThreadLeaks threads;

    /** Stores without fsync by default. */
    public StoreExtension() {
        this(false);
    }

    /** Stores with or without fsync by default (what {@link #store()} opens). */
    public StoreExtension(boolean fsync) {
        this.fsync = fsync;
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        threads = ThreadLeaks.snapshot();
        folder = TempFolders.create();
        Files.createDirectories(root());
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        try {
            beforeClose.forEach(Runnable::run);
            opened.forEach(StreamStore::close);
            threads.assertNoneLeftSince();
        } finally {
            beforeClose.clear();
            opened.clear();
            store = null;
            streams = null;
            TempFolders.delete(folder);
        }
    }

    /** The store last opened; opens one on the root (fsync as constructed) if none is. */
    public StreamStore store() {
        if (store == null) {
            try {
                open(fsync);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open a store on " + root(), e);
            }
        }
        return store;
    }

    /** Opens a new store on the root, with or without {@code fsync}; it is the {@link #store()} from now on. */
    public StreamStore open(boolean fsync) throws IOException {
        store = new StreamStore(root(), fsync);
        opened.add(store);
        return store;
    }

    /** Runs {@code step} after the test, before the stores are closed (e.g. to let held syncs go). */
    public void beforeClose(Runnable step) {
        beforeClose.add(step);
    }

    /** The Durable Streams rules over {@link #store()}, on the system clock. */
    public DurableStreams streams() {
        if (streams == null) {
            streams = new DurableStreams(store(), Clock.systemUTC());
        }
        return streams;
    }

    /** The stores' root folder, as given to them. */
    public Path root() {
        return folder.resolve("root");
    }

    /** This test's temporary folder, which holds the root: a place for files beside it. */
    public Path folder() {
        return folder;
    }
}
