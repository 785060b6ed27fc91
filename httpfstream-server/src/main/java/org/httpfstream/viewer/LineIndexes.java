package org.httpfstream.viewer;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.httpfstream.store.NotAStreamException;
import org.httpfstream.store.Storage;
import org.httpfstream.store.StoredStream;
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
 * <p>Any store: the bytes are read through the storage seam ({@link StreamSource}), from the stream's
 * own file where the store has one ({@link Places}); a store without files keeps its indexes on the
 * heap. A deleted (or expired) stream's index goes with it, open or not ({@link #changed}); index
 * files left by streams deleted while the server was down are swept at start ({@link #sweep}).
 *
 * <p>Thread safety: safe for use by any thread. The map of open indexes is guarded by this (its key set
 * is mirrored in a concurrent set for {@link #changed}, which takes no lock); an index's
 * catch-up takes only the index's own lock. {@link #changed} only schedules work, so it may run on a
 * writer's thread.
 */
public final class LineIndexes implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(LineIndexes.class);
    static final int MAX_OPEN = 128;

    /** Where a store that keeps its streams in files has them, and their indexes. */
    public interface Places {
        /** The file of {@code stream}, whether or not it exists. */
        Path file(StoredStream stream) throws IOException;

        /** The base path of the index files of the stream in {@code file} (see {@link IndexFiles}). */
        Path base(Path file);

        /** The folder every index file is under. */
        Path folder();
    }

    private final Storage storage;
    private final StreamKeys keys;
    private final Places places;
    /** Guarded by this; in access order, eldest first. Keyed by {@link StoredStream#key()}. */
    private final LinkedHashMap<Object, LineIndex> open = new LinkedHashMap<>(16, 0.75f, true);
    /** The keys of {@link #open}, readable without the lock (the writer's thread asks on every commit). */
    private final Set<Object> openKeys = ConcurrentHashMap.newKeySet();
    private final Set<Object> scheduled = ConcurrentHashMap.newKeySet();
    private final ExecutorService background = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "httpfstream-line-index");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param storage the streams
     * @param keys the streams by the keys of the store's change events
     * @param places where the streams' files and index files are; null: the store has no files, the
     *     indexes live on the heap
     */
    public LineIndexes(Storage storage, StreamKeys keys, Places places) {
        this.storage = storage;
        this.keys = keys;
        this.places = places;
    }

    /**
     * The index of {@code stream}, caught up with its committed bytes. Blocks while it reads them (on
     * first use of a large log, for as long as the whole log takes to scan).
     *
     * @throws java.nio.file.NoSuchFileException if the stream does not exist
     */
    public LineIndex index(StoredStream stream) throws IOException {
        LineIndex index = opened(stream);
        index.catchUp(stream.committedLength());
        return index;
    }

    /**
     * The stream at {@code path}, which must exist.
     *
     * @throws NoSuchFileException if there is no such stream
     * @throws NotAStreamException if {@code path} names a folder
     */
    public StoredStream stream(String path) throws IOException {
        StoredStream stream = storage.stream(path);
        if (!stream.exists()) {
            if (stream.folder()) {
                throw new NotAStreamException(path + " is a folder, not a stream");
            }
            throw new NoSuchFileException(path);
        }
        return stream;
    }

    /** A new source of {@code stream}'s bytes (from its file where it has one); the caller closes it. */
    public StreamSource source(StoredStream stream) throws IOException {
        return StreamSource.of(stream, places == null ? null : places.file(stream));
    }

    private LineIndex opened(StoredStream stream) throws IOException {
        Object key = stream.key();
        List<LineIndex> evicted = new ArrayList<>();
        try {
            synchronized (this) {
                LineIndex index = open.get(key);
                if (index != null && !current(index)) { // replaced, cut or deleted since: start again
                    forget(key, evicted);
                    deleteFiles(stream);
                    index = null;
                }
                if (index == null) {
                    index = LineIndex.open(source(stream), places == null ? null : places.base(places.file(stream)));
                    open.put(key, index);
                    openKeys.add(key);
                }
                for (Iterator<Map.Entry<Object, LineIndex>> i = open.entrySet().iterator(); open.size() > MAX_OPEN;) {
                    Map.Entry<Object, LineIndex> eldest = i.next();
                    evicted.add(eldest.getValue());
                    openKeys.remove(eldest.getKey());
                    i.remove();
                }
                return index;
            }
        } finally {
            evicted.forEach(LineIndex::close);
        }
    }

    /** Removes the open index of the stream with {@code key} into {@code closing}. Call holding this. */
    private void forget(Object key, List<LineIndex> closing) {
        LineIndex index = open.remove(key);
        openKeys.remove(key);
        if (index != null) {
            closing.add(index);
        }
    }

    private void deleteFiles(StoredStream stream) throws IOException {
        if (places != null) {
            LineIndex.delete(places.base(places.file(stream)));
        }
    }

    private static boolean current(LineIndex index) throws IOException {
        try {
            return index.current();
        } catch (NoSuchFileException deleted) {
            return false; // opening it again says so
        }
    }

    /**
     * The store changed the stream with {@code key} (bytes committed, closed, deleted): an open index
     * catches up in the background, and the index of a stream that is gone is removed, open or not.
     * Never blocks; no I/O while the stream's writer is open (the writer's thread calls it after every
     * commit).
     */
    public void changed(Object key) {
        if ((openKeys.contains(key) || !keys.exists(key)) && scheduled.add(key)) {
            try {
                background.execute(() -> {
                    scheduled.remove(key);
                    refresh(key);
                });
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                scheduled.remove(key);
            }
        }
    }

    /** Catches an open index up, or removes the index of a stream that is gone. */
    private void refresh(Object key) {
        try {
            StoredStream stream = keys.stream(key);
            if (!stream.exists()) {
                remove(stream);
            } else if (openKeys.contains(key)) {
                index(stream);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("line index of {}: catching up failed", key, e);
        }
    }

    /** Closes and deletes the index of {@code stream} (which is gone). */
    private void remove(StoredStream stream) throws IOException {
        List<LineIndex> closing = new ArrayList<>();
        try {
            synchronized (this) {
                forget(stream.key(), closing);
                deleteFiles(stream);
            }
        } finally {
            closing.forEach(LineIndex::close);
        }
    }

    /**
     * Deletes, in the background, the index files of streams that no longer exist (deleted while the
     * server was down, or by hand). Call once at start.
     */
    public void sweep() {
        if (places == null) {
            return; // on the heap: nothing outlives the server
        }
        try {
            background.execute(() -> {
                try {
                    sweepNow();
                } catch (IOException | RuntimeException e) {
                    LOG.warn("sweeping line index files failed", e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // closing: the next start sweeps
        }
    }

    private void sweepNow() throws IOException {
        if (!Files.isDirectory(places.folder())) {
            return;
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(places.folder())) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        Set<Path> live = new HashSet<>();
        for (String name : storage.list("/")) {
            live.add(places.base(places.file(storage.stream(name))));
        }
        synchronized (this) { // an index opened meanwhile is live
            for (Object key : openKeys) {
                live.add(places.base(places.file(keys.stream(key))));
            }
            for (Path f : files) {
                Path base = baseOf(f);
                if (base != null && !live.contains(base)) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    /** The base path of an index file, or null if {@code file} is not one. */
    private static Path baseOf(Path file) {
        String name = file.getFileName().toString();
        for (String suffix : IndexFiles.SUFFIXES) {
            if (name.endsWith(suffix)) {
                return file.resolveSibling(name.substring(0, name.length() - suffix.length()));
            }
        }
        return null;
    }

    @Override
    public void close() {
        background.shutdownNow();
        List<LineIndex> all;
        synchronized (this) {
            all = new ArrayList<>(open.values());
            open.clear();
            openKeys.clear();
        }
        all.forEach(LineIndex::close);
    }
}
