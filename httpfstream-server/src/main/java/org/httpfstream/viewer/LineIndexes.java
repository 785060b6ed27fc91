package org.httpfstream.viewer;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The line indexes of a store's streams ({@link LineIndex}), opened on first use and kept open for
 * the {@value #MAX_OPEN} streams used last. An index is brought up to the stream's committed length
 * on every use ({@link #index}) and, once open, also in the background as bytes are committed
 * ({@link #changed}, hooked to the store's one change notification): a log being watched stays
 * indexed as it grows, and one nobody looks at costs nothing. A stream that was never viewed is
 * indexed on its first view (a 1 GiB log: a few seconds, once; the files then survive restarts).
 *
 * <p>Thread safety: safe for use by any thread. The map of open indexes is guarded by this (its key set
 * is mirrored in a concurrent set for {@link #changed}, which takes no lock); an index's
 * catch-up takes only the index's own lock. {@link #changed} only schedules work, so it may run on a
 * writer's thread.
 */
public final class LineIndexes implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(LineIndexes.class);
    static final int MAX_OPEN = 128;

    /** The committed length of a stream's file. */
    @FunctionalInterface
    public interface Lengths {
        long committed(Path file) throws IOException;
    }

    private final Function<Path, Path> bases;
    private final Lengths lengths;
    /** Guarded by this; in access order, eldest first. */
    private final LinkedHashMap<Path, LineIndex> open = new LinkedHashMap<>(16, 0.75f, true);
    /** The keys of {@link #open}, readable without the lock (the writer's thread asks on every commit). */
    private final Set<Path> openFiles = ConcurrentHashMap.newKeySet();
    private final Set<Path> scheduled = ConcurrentHashMap.newKeySet();
    private final ExecutorService background = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "httpfstream-line-index");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param bases where the files of a stream's index go (a base path, see {@link IndexFiles})
     * @param lengths the committed length of a stream
     */
    public LineIndexes(Function<Path, Path> bases, Lengths lengths) {
        this.bases = bases;
        this.lengths = lengths;
    }

    /**
     * The index of the stream in {@code file}, caught up with its committed bytes. Blocks while it
     * reads them (on first use of a large log, for as long as the whole log takes to scan).
     *
     * @throws java.nio.file.NoSuchFileException if the stream does not exist
     */
    public LineIndex index(Path file) throws IOException {
        LineIndex index = opened(file);
        index.catchUp(lengths.committed(file));
        return index;
    }

    private LineIndex opened(Path file) throws IOException {
        List<LineIndex> evicted = new ArrayList<>();
        try {
            synchronized (this) {
                LineIndex index = open.get(file);
                if (index != null && !current(index)) { // replaced, cut or deleted since: start again
                    open.remove(file);
                    openFiles.remove(file);
                    evicted.add(index);
                    LineIndex.delete(bases.apply(file));
                    index = null;
                }
                if (index == null) {
                    index = LineIndex.open(file, bases.apply(file));
                    open.put(file, index);
                    openFiles.add(file);
                }
                for (Iterator<Map.Entry<Path, LineIndex>> i = open.entrySet().iterator(); open.size() > MAX_OPEN;) {
                    Map.Entry<Path, LineIndex> eldest = i.next();
                    evicted.add(eldest.getValue());
                    openFiles.remove(eldest.getKey());
                    i.remove();
                }
                return index;
            }
        } finally {
            evicted.forEach(LineIndex::close);
        }
    }

    private static boolean current(LineIndex index) throws IOException {
        try {
            return index.current();
        } catch (java.nio.file.NoSuchFileException deleted) {
            return false; // opening it again says so
        }
    }

    /** The store changed {@code file}: an open index catches up in the background. Never blocks. */
    public void changed(Path file) {
        if (openFiles.contains(file) && scheduled.add(file)) {
            try {
                background.execute(() -> {
                    scheduled.remove(file);
                    try {
                        index(file);
                    } catch (IOException | RuntimeException e) {
                        LOG.debug("line index of {}: catching up failed", file, e);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                scheduled.remove(file);
            }
        }
    }

    @Override
    public void close() {
        background.shutdownNow();
        List<LineIndex> all;
        synchronized (this) {
            all = new ArrayList<>(open.values());
            open.clear();
            openFiles.clear();
        }
        all.forEach(LineIndex::close);
    }
}
