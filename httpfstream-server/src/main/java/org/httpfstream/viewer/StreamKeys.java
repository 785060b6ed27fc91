package org.httpfstream.viewer;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.httpfstream.store.SessionLease;
import org.httpfstream.store.Storage;
import org.httpfstream.store.StoredStream;
import org.httpfstream.store.StreamStore;

/**
 * How the viewer reaches a store's streams from the keys its change events carry ({@link
 * StoredStream#key()}: a file's path in the file store, the stream's path in the memory store). The
 * store tells of a change after every commit, on the writer's thread: {@link #session} and {@link
 * #exists} answer there without I/O while the stream's writer is open (the common case); {@link
 * #stream} may cost I/O and is asked off it.
 *
 * <p>Thread safety: implementations are safe for use from any thread.
 */
public interface StreamKeys {

    /** The active append session of the stream with {@code key}, or null. Never blocks. */
    SessionLease session(Object key);

    /** False if the stream with {@code key} does not exist (was deleted); no I/O while its writer is open. */
    boolean exists(Object key);

    /** The stream with {@code key}. */
    StoredStream stream(Object key) throws IOException;

    /** The streams of {@code storage}, keyed by their paths (a store whose handles are cheap: memory). */
    static StreamKeys byPath(Storage storage) {
        return new StreamKeys() {
            @Override
            public SessionLease session(Object key) {
                try {
                    return storage.stream((String) key).session().orElse(null);
                } catch (IOException e) {
                    return null; // no stream's path
                }
            }

            @Override
            public boolean exists(Object key) {
                try {
                    return storage.stream((String) key).knownCommittedLength() >= 0;
                } catch (IOException e) {
                    return false;
                }
            }

            @Override
            public StoredStream stream(Object key) throws IOException {
                return storage.stream((String) key);
            }
        };
    }

    /**
     * The streams that are the files of {@code store}, keyed by their files: the questions asked on the
     * writer's thread go to the store's open writers and sessions by file, with no path resolution.
     */
    static StreamKeys byFile(StreamStore store, Storage storage) {
        Path root = store.root();
        return new StreamKeys() {
            @Override
            public SessionLease session(Object key) {
                return store.activeSession((Path) key);
            }

            @Override
            public boolean exists(Object key) {
                try {
                    store.committedLength((Path) key); // the open writer's, or a stat
                    return true;
                } catch (NoSuchFileException e) {
                    return false;
                } catch (IOException e) {
                    return true; // unknown: the next view finds out
                }
            }

            @Override
            public StoredStream stream(Object key) throws IOException {
                return storage.stream("/" + root.relativize((Path) key).toString().replace('\\', '/'));
            }
        };
    }
}
