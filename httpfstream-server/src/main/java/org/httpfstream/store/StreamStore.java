package org.httpfstream.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Set;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams stored as plain files under one root folder, and the registry of active append sessions
 * (the single-writer leases).
 *
 * <p>A request path such as {@code /logs/build.log} names the file {@code ROOT/logs/build.log}. Paths
 * are checked before any file is touched: {@code .} and {@code ..} segments, backslashes and NUL
 * bytes are refused, and a path whose existing part resolves through a symbolic link to somewhere
 * outside the root is refused too. A path that names a folder is not a stream.
 *
 * <p>Thread safety: safe for use from any number of threads. The lease registry is a concurrent map
 * keyed by the stream's real file path; taking a lease is one atomic {@code putIfAbsent}.
 */
public final class StreamStore implements Closeable {
    static final Logger LOG = LoggerFactory.getLogger(StreamStore.class);

    private final Path root;
    private final boolean fsync;
    private final ConcurrentHashMap<Path, AppendSession> sessions = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Path, Set<StreamListener>> watchers = new ConcurrentHashMap<>();
    private volatile AppendGuard appendGuard = file -> { };
    private final java.util.List<java.util.function.Consumer<Path>> changeListeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.List<Runnable> closeListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * Checks, with the lease already taken, whether a new append session may start on a stream (for
     * example, that the stream is not closed).
     */
    @FunctionalInterface
    public interface AppendGuard {
        /** Throws to refuse the append; the lease is released then. */
        void check(Path file) throws IOException;
    }

    /** Opens the store at {@code root}, creating the folder if it does not exist. */
    public StreamStore(Path root) throws IOException {
        this(root, false);
    }

    /**
     * Opens the store at {@code root}, creating the folder if it does not exist. With {@code fsync},
     * every append is forced to stable storage before its bytes count as committed (before followers
     * see them and before an HTTP append is answered), and so are new files' directory entries and
     * metadata; without it, the page cache decides.
     */
    public StreamStore(Path root, boolean fsync) throws IOException {
        Objects.requireNonNull(root, "root");
        Files.createDirectories(root);
        this.root = root.toRealPath();
        this.fsync = fsync;
    }

    /** True if appends are forced to stable storage before they count as committed. */
    public boolean fsync() {
        return fsync;
    }

    /** Forces the directory entries of {@code dir} to stable storage (a new or renamed file's name). */
    public static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** The storage root, as a real (symlink-free, absolute) path. */
    public Path root() {
        return root;
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
    public AppendSession startAppend(String path) throws IOException {
        Path file = confine(resolve(path), path);
        if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new NotAStreamException(path + " is a folder, not a stream");
        }
        AppendSession session = new AppendSession(this, path, file);
        if (sessions.putIfAbsent(file, session) != null) {
            throw new WriterConflictException();
        }
        try {
            try {
                Files.createDirectories(file.getParent());
            } catch (FileAlreadyExistsException | NotDirectoryException e) {
                throw new NotAStreamException("a parent of " + path + " is a file, not a folder");
            }
            // The folders just created are real folders, but one may have been swapped for a link since.
            if (!file.getParent().toRealPath().startsWith(root)) {
                throw new OutsideRootException(path);
            }
            appendGuard.check(file);
            session.open();
        } catch (IOException | RuntimeException e) {
            sessions.remove(file, session);
            throw e;
        }
        return session;
    }

    /**
     * Looks up the stream at {@code path} for reading.
     *
     * @throws NoSuchFileException if nothing was ever written there
     * @throws NotAStreamException if the path names a folder
     * @throws InvalidStreamPathException if the path can never name a stream inside the root
     */
    public StreamInfo lookup(String path) throws IOException {
        Path file = confine(resolve(path), path);
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

    /** Sets the check every new append session must pass (see {@link AppendGuard}). */
    public void appendGuard(AppendGuard guard) {
        this.appendGuard = Objects.requireNonNull(guard, "guard");
    }

    /**
     * The real file of {@code path} inside the root, whether or not it exists.
     *
     * @throws InvalidStreamPathException if the path can never name a stream inside the root
     */
    public Path locate(String path) throws IOException {
        return confine(resolve(path), path);
    }

    /** The active append session on {@code file}, or null. */
    public AppendSession activeSession(Path file) {
        return sessions.get(file);
    }

    /**
     * Bytes committed to {@code file}: the active session's length while one is active, else the
     * file's size.
     */
    public long committedLength(Path file) throws IOException {
        AppendSession s = sessions.get(file);
        if (s != null && s.opened()) {
            return s.length();
        }
        return Files.size(file);
    }

    /**
     * Calls {@code listener} after every change to {@code file} by any writer: committed bytes, the end
     * of an append session, or a {@link #changed(Path)} (closure, deletion). Undo with {@link
     * #unwatch}.
     */
    public void watch(Path file, StreamListener listener) {
        Objects.requireNonNull(listener, "listener");
        watchers.computeIfAbsent(file, f -> ConcurrentHashMap.newKeySet()).add(listener);
    }

    /** Stops calling {@code listener} for {@code file}. */
    public void unwatch(Path file, StreamListener listener) {
        watchers.computeIfPresent(file, (f, set) -> {
            set.remove(listener);
            return set.isEmpty() ? null : set;
        });
    }

    /**
     * Calls {@code listener} with the file of every stream that changes (see {@link #watch}). It runs
     * on the writer's thread: it must return quickly and must not block.
     */
    public void addChangeListener(java.util.function.Consumer<Path> listener) {
        changeListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Tells the watchers of {@code file} that it changed. */
    public void changed(Path file) {
        for (java.util.function.Consumer<Path> l : changeListeners) {
            l.accept(file);
        }
        Set<StreamListener> set = watchers.get(file);
        if (set != null) {
            for (StreamListener l : set) {
                l.onChange();
            }
        }
    }

    /**
     * Follows {@code file} whatever writes to it, until {@code ended} says the stream has ended: a
     * subscription over the stream's file with its own read handle.
     *
     * @throws NoSuchFileException if the file does not exist
     */
    public Subscription follow(Path file, StreamListener listener, java.util.function.BooleanSupplier ended)
            throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(ended, "ended");
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        watch(file, listener);
        return new Subscription(this, file, channel, listener, ended);
    }

    void release(AppendSession session) {
        sessions.remove(session.file(), session);
    }

    /** Number of active append sessions. */
    public int activeSessions() {
        return sessions.size();
    }

    /** Runs {@code listener} when the store is closed (for example to stop background work). */
    public void addCloseListener(Runnable listener) {
        closeListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Ends every active append session; their leases are released. Runs the close listeners. */
    @Override
    public void close() {
        for (Runnable r : closeListeners) {
            r.run();
        }
        for (AppendSession session : new ArrayList<>(sessions.values())) {
            session.end();
        }
    }

    /**
     * Maps a percent-decoded request path to a file under the root, without touching the file system.
     *
     * @throws InvalidStreamPathException for {@code .} or {@code ..} segments, backslashes, NUL bytes,
     *     a path not starting with {@code /}, or a name the file system cannot hold
     */
    public Path resolve(String path) throws InvalidStreamPathException {
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("/")) {
            throw new InvalidStreamPathException("path must start with '/': " + printable(path));
        }
        if (path.indexOf('\0') >= 0) {
            throw new InvalidStreamPathException("path contains a NUL byte: " + printable(path));
        }
        if (path.indexOf('\\') >= 0) {
            throw new InvalidStreamPathException("path contains a backslash: " + printable(path));
        }
        Path file = root;
        for (String segment : path.split("/")) {
            if (segment.isEmpty()) {
                continue;
            }
            if (file == root && segment.equals(MetadataStore.FOLDER)) {
                throw new InvalidStreamPathException("path " + printable(path) + " is reserved for the server");
            }
            if (segment.equals(".") || segment.equals("..")) {
                throw new InvalidStreamPathException(
                        "path contains a '" + segment + "' segment: " + printable(path));
            }
            try {
                file = file.resolve(segment);
            } catch (InvalidPathException e) {
                throw new InvalidStreamPathException("invalid path " + printable(path) + ": " + e.getReason());
            }
        }
        if (!file.normalize().startsWith(root)) { // cannot happen after the checks above; kept as a guard
            throw new OutsideRootException(printable(path));
        }
        return file;
    }

    /**
     * Resolves the symbolic links in the existing part of {@code file} and checks that the result is
     * still inside the root. Returns the real path of the file, or of its deepest existing ancestor
     * with the rest of the path appended.
     */
    private Path confine(Path file, String path) throws IOException {
        Path existing = file;
        while (!Files.exists(existing)) {
            if (Files.isSymbolicLink(existing)) { // a dangling link: it would lead wherever it points
                throw new OutsideRootException(printable(path));
            }
            existing = existing.getParent();
            if (existing == null || !existing.startsWith(root)) {
                throw new OutsideRootException(printable(path));
            }
        }
        Path real = existing.toRealPath();
        if (!real.startsWith(root)) {
            throw new OutsideRootException(printable(path));
        }
        return real.resolve(existing.relativize(file));
    }

    private static String printable(String path) {
        StringBuilder sb = new StringBuilder(Math.min(path.length(), 200) + 2).append('"');
        for (int i = 0; i < path.length() && i < 200; i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append(path.length() > 200 ? "…\"" : "\"").toString();
    }
}
