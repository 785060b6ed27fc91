package org.httpfstream.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link StreamStore}'s open writers: one {@link StreamWriter} per stream being written, found by
 * its real file and by the request path last resolved to it, closed when idle or when too many are
 * open (least recently used first), and closed for good when its stream is deleted or discarded.
 *
 * <p>Thread safety: safe for use from any number of threads; both maps are concurrent, and a writer is
 * closed under its own monitor (the stream's lease).
 */
final class WriterCache {
    private final StreamStore store;
    /** Open writers by real file. */
    private final ConcurrentHashMap<Path, StreamWriter> writers = new ConcurrentHashMap<>();
    /** The same writers by the request path last resolved to them (a path seen before costs no stat). */
    private final ConcurrentHashMap<String, StreamWriter> writersByName = new ConcurrentHashMap<>();

    WriterCache(StreamStore store) {
        this.store = store;
    }

    /** The open writer that {@code path} was last resolved to, or null. */
    StreamWriter cachedWriter(String path) {
        StreamWriter w = writersByName.get(path);
        return w != null && w.isOpen() ? w : null;
    }

    /** Remembers that {@code path} resolved to {@code writer} (up to a bound). */
    void remember(String path, StreamWriter writer) {
        if (writersByName.size() < 4 * StreamStore.MAX_OPEN_WRITERS) {
            writersByName.put(path, writer);
            if (!writer.isOpen()) { // closed meanwhile, maybe before the entry went in: take it out
                writersByName.remove(path, writer);
            }
        }
    }

    /** The open writer of {@code file}, or null. */
    StreamWriter openWriterOf(Path file) {
        return writers.get(file);
    }

    /** Number of open writers. */
    int size() {
        return writers.size();
    }

    /** Closes every writer (the store closes). */
    void closeAll() {
        for (StreamWriter w : new ArrayList<>(writers.values())) {
            synchronized (w) {
                w.closeLocked();
            }
            forget(w);
        }
    }

    /** The open writer of {@code file}, opening the file (creating it if {@code create}) if needed. */
    StreamWriter openWriter(Path file, boolean create) throws IOException {
        for (;;) {
            StreamWriter w = writers.get(file);
            if (w == null) {
                if (writers.size() >= StreamStore.MAX_OPEN_WRITERS) {
                    // Before the new writer is in the cache: it would be the one idle writer when every
                    // other is leased, and closing it at once would send this loop round for ever.
                    closeIdleWriters(0, StreamStore.MAX_OPEN_WRITERS * 3 / 4);
                }
                boolean[] created = new boolean[1];
                try {
                    w = writers.computeIfAbsent(file, f -> {
                        try {
                            created[0] = create && !Files.exists(f, LinkOption.NOFOLLOW_LINKS);
                            return StreamWriter.open(store, f, create);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
                } catch (UncheckedIOException e) {
                    throw e.getCause();
                }
                if (created[0] && store.groupCommit() != null) {
                    store.groupCommit().folder(file.getParent()); // the new name is durable with the first sync
                }
            }
            if (w.isOpen()) {
                return w;
            }
            writers.remove(file, w); // closed meanwhile; the closer removes it too
        }
    }

    /**
     * Closes writers that hold no lease, have nothing waiting for a sync, and were last used at least
     * {@code nanos} ago, least recently used first, until at most {@code keep} stay open (or none is
     * left to close).
     */
    void closeIdleWriters(long nanos, int keep) {
        long now = System.nanoTime();
        java.util.List<StreamWriter> candidates = new ArrayList<>();
        for (StreamWriter w : writers.values()) {
            if (now - w.lastUsedNanos() >= nanos && w.idle()) {
                candidates.add(w);
            }
        }
        candidates.sort(java.util.Comparator.comparingLong(StreamWriter::lastUsedNanos));
        int open = writers.size();
        for (StreamWriter w : candidates) {
            if (open <= keep && keep != Integer.MAX_VALUE) {
                break;
            }
            synchronized (w) {
                if (!w.idle() || System.nanoTime() - w.lastUsedNanos() < nanos) {
                    continue;
                }
                w.closeLocked();
            }
            forget(w);
            open--;
        }
    }

    /** Removes a closed writer from the caches and drops the cache's reference. */
    void forget(StreamWriter w) {
        if (writers.remove(w.file(), w)) {
            writersByName.values().removeIf(v -> v == w);
            w.releaseReference();
        }
    }

    /**
     * Runs {@code action} (which removes the stream's file) holding the stream's lease, then closes the
     * stream's writer: the lease means no WebSocket session is active and none starts meanwhile.
     *
     * @throws WriterConflictException if a WebSocket session holds the lease
     */
    void delete(Path file, StreamStore.IoRunnable action) throws IOException {
        for (;;) {
            StreamWriter w;
            try {
                w = openWriter(file, false);
            } catch (NoSuchFileException e) {
                action.run();
                return;
            }
            try {
                w.exclusive(writer -> {
                    action.run();
                    writer.closeLocked();
                    return null;
                });
            } catch (StaleWriterException e) {
                continue;
            }
            forget(w);
            return;
        }
    }

    /**
     * Closes the writer of {@code file} whatever holds it (its stream expired or is gone): a session
     * holding the lease gets an error on its next append.
     */
    void discard(Path file) {
        StreamWriter w = writers.get(file);
        if (w != null) {
            synchronized (w) {
                w.closeLocked();
            }
            forget(w);
        }
    }

    /**
     * Bytes committed to {@code file}: its open writer's committed length, else its size, read from
     * {@code channel} (open on it) if not null.
     *
     * @throws java.nio.file.NoSuchFileException if the file does not exist
     */
    long committedLength(Path file, FileChannel channel) throws IOException {
        long open = openCommitted(file);
        return open >= 0 ? open : committedLength(file, channel != null ? channel.size() : Files.size(file));
    }

    /** The committed length of {@code file}'s open writer, exact without a {@code stat}; -1 without one. */
    private long openCommitted(Path file) {
        StreamWriter w = writers.get(file);
        return w != null && w.isOpen() ? w.committed() : -1;
    }

    /**
     * The committed length of {@code file} given its {@code size} read just before: the open writer's
     * committed length if it has one, else the size. Reading the size first is what makes this safe:
     * a writer is in the cache before it writes its first byte and leaves it only with every byte
     * committed, so if no writer is found now, every byte the size counted was committed.
     */
    long committedLength(Path file, long size) {
        StreamWriter w = writers.get(file);
        return w != null ? w.committed() : size;
    }

    /** Bytes in {@code file}, committed or not: where the next append goes. */
    public long writtenLength(Path file) throws IOException {
        StreamWriter w = writers.get(file);
        return w != null && w.isOpen() ? w.written() : Files.size(file);
    }
}
