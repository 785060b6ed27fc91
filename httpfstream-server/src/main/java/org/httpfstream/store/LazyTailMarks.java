package org.httpfstream.store;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * The {@link StreamStore}'s {@link TailMarks}, opened when the store opens if the root has them (which
 * cuts what a killed process left), else made by the first writer, so that a store only read from
 * creates nothing.
 *
 * <p>Thread safety: safe for use from any number of threads; the marks are made and closed under this
 * object's monitor.
 */
final class LazyTailMarks {
    private final Path root;
    private final Path folder;
    /** Null if the marks cannot be kept (see {@link TailMarks#open}) or are not made yet. Written under this. */
    private volatile TailMarks marks;
    /** True while the marks are still to be made by the first writer. Guarded by this. */
    private boolean pending;

    LazyTailMarks(Path root, Path folder) {
        this.root = root;
        this.folder = folder;
        if (Files.exists(folder.resolve(TailMarks.FILE), LinkOption.NOFOLLOW_LINKS)) {
            marks = TailMarks.open(root, folder);
        } else {
            pending = true;
        }
    }

    /** The marks (made on first use), or null if they cannot be kept. */
    TailMarks get() {
        TailMarks m = marks;
        if (m != null) {
            return m;
        }
        synchronized (this) {
            if (pending) {
                pending = false;
                marks = TailMarks.open(root, folder);
            }
            return marks;
        }
    }

    /** Leaves the marks as a killed process would (tests of crash recovery). */
    void abandon() {
        TailMarks m = marks;
        if (m != null) {
            m.abandon();
        }
    }

    /** Closes the marks; none are made after. */
    synchronized void close() {
        pending = false;
        if (marks != null) {
            marks.close();
        }
    }
}
