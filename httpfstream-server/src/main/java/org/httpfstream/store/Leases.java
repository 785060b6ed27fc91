package org.httpfstream.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The single-writer leases of the {@link StreamStore}'s streams: the registry of append sessions (a
 * WebSocket appender's long-held lease, one per stream) and the writer a one-operation lease (a
 * Durable Streams append) takes, both found from a request path confined to the root.
 *
 * <p>Thread safety: safe for use from any number of threads; the registry is a concurrent map keyed by
 * the stream's real file, and a lease is taken under its writer's monitor.
 */
final class Leases {
    private final StreamStore store;
    private final StorePaths paths;
    private final WriterCache cache;
    /** Tells the group commit of a new folder entry. */
    private final Consumer<Path> newFolder;
    private final ConcurrentHashMap<Path, AppendSession> sessions = new ConcurrentHashMap<>();

    Leases(StreamStore store, StorePaths paths, WriterCache cache, Consumer<Path> newFolder) {
        this.store = store;
        this.paths = paths;
        this.cache = cache;
        this.newFolder = newFolder;
    }

    /**
     * Starts an append session on {@code path}, creating the file and its parent folders if needed.
     * The caller must {@linkplain AppendSession#end() end} the session on every path out.
     *
     * @param path a percent-decoded request path starting with {@code /}
     * @throws WriterConflictException if the path already has an active writer
     * @throws InvalidStreamPathException if the path can never name a stream inside the root
     * @throws NotAStreamException if the path names a folder or lies below a regular file
     */
    AppendSession startAppend(String path, StreamStore.AppendGuard guard) throws IOException {
        Path file = paths.confine(paths.resolve(path), path);
        if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new NotAStreamException(path + " is a folder, not a stream");
        }
        if (sessions.containsKey(file)) {
            throw new WriterConflictException();
        }
        paths.createParents(file, path, newFolder);
        for (;;) {
            StreamWriter writer = cache.openWriter(file, true);
            try {
                synchronized (writer) { // the session starts where the last writer stopped
                    AppendSession session = new AppendSession(store, path, writer);
                    writer.acquire(session, guard);
                    sessions.put(file, session);
                    return session;
                }
            } catch (StaleWriterException e) {
                continue; // closed meanwhile: open the current one
            }
        }
    }

    /**
     * The open writer of the stream at {@code path} for a Durable Streams operation, opening (and
     * creating, with its parent folders, if {@code create}) the file if needed. The caller takes the
     * lease with {@link StreamWriter#exclusive} and retries on {@link StaleWriterException}.
     *
     * @throws InvalidStreamPathException if the path can never name a stream inside the root
     * @throws NotAStreamException if the path names a folder or lies below a regular file
     * @throws NoSuchFileException if the file does not exist and {@code create} is false
     */
    StreamWriter writer(String path, boolean create) throws IOException {
        StreamWriter cached = cache.cachedWriter(path);
        if (cached != null) {
            return cached;
        }
        Path file = paths.confine(paths.resolve(path), path);
        if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new NotAStreamException(path + " is a folder, not a stream");
        }
        if (create) {
            paths.createParents(file, path, newFolder);
        }
        StreamWriter writer = cache.openWriter(file, create);
        cache.remember(path, writer);
        return writer;
    }

    /**
     * Looks up the stream at {@code path} for reading.
     *
     * @throws NoSuchFileException if nothing was ever written there
     * @throws NotAStreamException if the path names a folder
     * @throws InvalidStreamPathException if the path can never name a stream inside the root
     */
    StreamInfo lookup(String path) throws IOException {
        Path file = paths.confine(paths.resolve(path), path);
        AppendSession session = sessions.get(file);
        if (session != null) {
            return new StreamInfo(path, file, session);
        }
        if (Files.isDirectory(file)) {
            throw new NotAStreamException(path + " is a folder, not a stream");
        }
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(path);
        }
        return new StreamInfo(path, file, null);
    }

    /** The active append session on {@code file}, or null. */
    AppendSession activeSession(Path file) {
        return sessions.get(file);
    }

    void release(AppendSession session) {
        sessions.remove(session.file(), session);
    }

    int activeSessions() {
        return sessions.size();
    }

    /** Ends every active session (the store closes). */
    void endAll() {
        for (AppendSession session : new ArrayList<>(sessions.values())) {
            session.end();
        }
    }
}
