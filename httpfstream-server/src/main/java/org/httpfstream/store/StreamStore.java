package org.httpfstream.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams stored as plain files under one root folder, and their single-writer leases. One class per
 * concern beside it: {@link StorePaths} (path rules), {@link Leases} (append sessions and leased
 * writers), {@link WriterCache} (open writers), {@link StoreListeners} (the one notification per
 * change), {@link Commits} and {@link GroupCommit} (durability), {@link LazyTailMarks}.
 *
 * <p>A request path such as {@code /logs/build.log} names the file {@code ROOT/logs/build.log}. Paths
 * are checked before any file is touched: {@code .} and {@code ..} segments, backslashes and NUL
 * bytes are refused, and a path whose existing part resolves through a symbolic link to somewhere
 * outside the root, or into the server's own folder {@code ROOT/.httpfstream} (keys, metadata), is
 * refused too: whatever links the root holds, nothing in that folder is ever read, written or
 * deleted through a stream path. A path that names a folder is not a stream.
 *
 * <p>Appends are all or nothing (see {@link StreamWriter}): a failed write is cut off again and
 * refused with {@link InsufficientStorageException}, an append past {@link StoreLimits#maxStreamBytes}
 * with {@link StreamTooLargeException}; {@link TailMarks} cut an append that a killed process left
 * half written when the store is opened next.
 *
 * <p>Each stream being written has one open {@link StreamWriter} in a cache (closed after {@value
 * #MAX_OPEN_WRITERS} open or ten seconds idle): every writer of the stream, over either protocol, goes
 * through it, and its monitor is the single-writer lease. With fsync, the {@link GroupCommit} makes
 * the appends durable off the writers' threads: each stream's concurrent appends share one sync.
 *
 * <p>Thread safety: safe for use from any number of threads. The writers and the registry of
 * WebSocket sessions are concurrent maps keyed by the stream's real file path (in {@link WriterCache}
 * and {@link Leases}); a lease is taken under the writer's monitor.
 */
public final class StreamStore implements Closeable {
    public static final Logger LOG = LoggerFactory.getLogger(StreamStore.class);

    /** Writers idle this long are closed (their file descriptors freed). */
    static final long DEFAULT_IDLE_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** At most this many writers stay open; beyond it the least recently used idle ones are closed. */
    static final int MAX_OPEN_WRITERS = 512;

    private final Path root;
    /** {@code ROOT/.httpfstream}: never reachable through a stream path. */
    private final Path privateFolder;
    private final StorePaths paths;
    private final boolean fsync;
    private final StoreLimits limits;
    private final LazyTailMarks marks;
    private volatile FileOps fileOps = FileOps.DIRECT;
    private volatile StoreMetrics metrics = StoreMetrics.NONE;
    private final StoreListeners<Path> listeners = new StoreListeners<>();
    private final WriterCache cache = new WriterCache(this);
    private final Leases leases;
    /** Null without fsync. */
    private final GroupCommit groupCommit;
    private final ScheduledExecutorService idleCloser;
    private volatile long idleNanos = DEFAULT_IDLE_NANOS;
    private volatile AppendGuard appendGuard = file -> { };
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

    /** As {@link #StreamStore(Path, boolean, StoreLimits)} without limits. */
    public StreamStore(Path root, boolean fsync) throws IOException {
        this(root, fsync, StoreLimits.NONE);
    }

    /**
     * Opens the store at {@code root}, creating the folder if it does not exist. With {@code fsync},
     * every append is on stable storage before its bytes count as committed (before followers see them
     * and before an HTTP append is answered), and so are new files' directory entries and metadata;
     * concurrent appends share one sync (see {@link #barrier()}). Without it, the page cache decides.
     * Streams that a killed process left with half an append are cut back to their last whole append
     * before this returns. {@code limits} bound what appends may do.
     */
    public StreamStore(Path root, boolean fsync, StoreLimits limits) throws IOException {
        Objects.requireNonNull(root, "root");
        Files.createDirectories(root);
        this.root = root.toRealPath();
        this.privateFolder = this.root.resolve(MetadataStore.FOLDER);
        this.paths = new StorePaths(this.root, privateFolder);
        this.fsync = fsync;
        this.limits = Objects.requireNonNull(limits, "limits");
        this.marks = new LazyTailMarks(this.root, privateFolder); // cuts what a killed process left
        this.groupCommit = fsync ? new GroupCommit("httpfstream-sync", this::openWriterOf, this::metrics) : null;
        this.leases = new Leases(this, paths, cache, this::newFolder);
        this.idleCloser = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("httpfstream-idle-writers"));
        idleCloser.scheduleWithFixedDelay(this::closeIdleWriters, 1, 1, TimeUnit.SECONDS);
    }

    /**
     * Called by the sync threads before each sync round of a stream's bytes and before each metadata
     * batch. Tests hold it to prove that nothing is answered or seen before its sync; it must not
     * touch the store.
     */
    @FunctionalInterface
    public interface SyncHook {
        /** Returns when the sync may go ahead; throwing fails it. */
        void beforeSync() throws InterruptedException;

        /**
         * Called by each metadata batch after its streams' bytes are synced, before its metadata files
         * are written; throwing fails the batch as a failed write would. Does nothing unless overridden.
         */
        default void beforeMetadataWrites() throws IOException {
        }

        /**
         * Called by a metadata batch before it writes the metadata of {@code stream}; throwing fails that
         * stream's write alone, as a failed write of its file would. Does nothing unless overridden.
         */
        default void beforeMetadataWrite(Path stream) throws IOException {
        }
    }

    /** Sets the hook run before each sync (fsync only; null for none). For tests. */
    public void syncHook(SyncHook hook) {
        if (groupCommit != null) {
            groupCommit.hook(hook);
        }
    }

    /**
     * Syncs so far: sync rounds of streams' bytes and metadata batches (fsync only; 0 without). Each
     * covers every append waiting when it starts. For tests and diagnostics.
     */
    public long syncBatches() {
        return groupCommit == null ? 0 : groupCommit.batches();
    }

    /** {@code fsync} calls so far: files, metadata files and folders (0 without fsync). */
    public long syncCalls() {
        return groupCommit == null ? 0 : groupCommit.forces();
    }

    /**
     * A future that completes once every metadata change and new file or folder made before this call
     * is committed (with fsync: on stable storage; exceptionally if the sync failed). Without fsync,
     * or with nothing pending, it is already complete. With fsync it completes on the sync thread: do
     * not block there; hop to your own thread. Appended bytes: see {@link #durable(Path, long)}.
     */
    public CompletableFuture<Void> barrier() {
        return groupCommit == null ? CompletableFuture.completedFuture(null) : groupCommit.barrier();
    }

    /**
     * A future that completes once the bytes of {@code file} up to {@code length} (every byte written
     * so far if {@code length < 0}) and every metadata change made before this call are committed: with
     * fsync, on stable storage and visible to readers (exceptionally if a sync failed); without, at
     * once. With fsync it completes on a sync thread: hop to your own thread.
     */
    public CompletableFuture<Void> durable(Path file, long length) {
        if (groupCommit == null) {
            return CompletableFuture.completedFuture(null);
        }
        StreamWriter w = cache.openWriterOf(file);
        return Commits.durable(groupCommit, w, w == null ? 0 : length < 0 ? w.written() : length);
    }

    /**
     * A future that completes once every metadata change of the stream in {@code file} (and new folder
     * entry) made before this call is committed; unlike {@link #barrier()}, another stream's failing
     * metadata does not fail it.
     */
    public CompletableFuture<Void> barrier(Path file) {
        return groupCommit == null ? CompletableFuture.completedFuture(null) : groupCommit.barrier(file);
    }

    /** The group commit, or null without fsync. */
    GroupCommit groupCommit() {
        return groupCommit;
    }

    /** The limits appends obey. */
    public StoreLimits limits() {
        return limits;
    }

    /** The marks of the streams' last whole appends (made on first use), or null. */
    TailMarks tailMarks() {
        return marks.get();
    }

    /**
     * The file operations of appends: a seam for tests, which inject write and sync failures (a full
     * disk) with it. Production writes through {@link FileOps#DIRECT}.
     *
     * <p>Thread safety: implementations are called by any writer's thread and must be thread safe.
     */
    interface FileOps {
        /** Writes straight to the channel. */
        FileOps DIRECT = new FileOps() {
            @Override
            public long write(Path file, FileChannel channel, java.nio.ByteBuffer[] srcs) throws IOException {
                return channel.write(srcs);
            }

            @Override
            public void force(Path file, FileChannel channel) throws IOException {
                channel.force(false);
            }
        };

        /** One gathering write of {@code srcs} at the channel's position, as {@link FileChannel#write}. */
        long write(Path file, FileChannel channel, java.nio.ByteBuffer[] srcs) throws IOException;

        /** Forces {@code channel}'s bytes to stable storage, as {@link FileChannel#force}{@code (false)}. */
        void force(Path file, FileChannel channel) throws IOException;
    }

    FileOps fileOps() {
        return fileOps;
    }

    /** Replaces the file operations of appends (tests only; null restores {@link FileOps#DIRECT}). */
    void fileOps(FileOps ops) {
        this.fileOps = ops == null ? FileOps.DIRECT : ops;
    }

    /** Closes writers idle for at least {@code nanos}, for tests (the default is ten seconds). */
    void idleTimeout(long nanos) {
        this.idleNanos = nanos;
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

    /** Starts an append session on {@code path}, to be ended on every path out; see {@link Leases#startAppend}. */
    public AppendSession startAppend(String path) throws IOException {
        return leases.startAppend(path, appendGuard);
    }

    /** The open writer of the stream at {@code path} for one leased operation; see {@link Leases#writer}. */
    StreamWriter writer(String path, boolean create) throws IOException {
        return leases.writer(path, create);
    }

    /** Looks up the stream at {@code path} for reading; see {@link Leases#lookup}. */
    public StreamInfo lookup(String path) throws IOException {
        return leases.lookup(path);
    }

    /**
     * The open writer that {@code path} was last resolved to, or null: a path seen before costs no
     * resolution (no {@code realpath}, no {@code stat}) while its writer stays open. The writer's file
     * was confined to the root when it was opened, and its writes go to that open file.
     */
    StreamWriter cachedWriter(String path) {
        return cache.cachedWriter(path);
    }

    /** The open writer of {@code file}, or null. */
    StreamWriter openWriterOf(Path file) {
        return cache.openWriterOf(file);
    }

    /** A new entry in folder {@code dir}: with fsync, forced with the next group commit. */
    private void newFolder(Path dir) {
        if (groupCommit != null) {
            groupCommit.folder(dir);
        }
    }

    /** Closes the writers idle for {@link #idleTimeout}; runs every second. */
    private void closeIdleWriters() {
        try {
            cache.closeIdleWriters(idleNanos, Integer.MAX_VALUE);
        } catch (RuntimeException e) {
            LOG.warn("closing idle writers failed", e);
        }
    }

    /** See {@link WriterCache#delete}. */
    void delete(Path file, IoRunnable action) throws IOException {
        cache.delete(file, action);
    }

    /** See {@link WriterCache#discard}. */
    void discard(Path file) {
        cache.discard(file);
    }

    /** An action on files that may fail. */
    @FunctionalInterface
    interface IoRunnable {
        void run() throws IOException;
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
        StreamWriter w = cachedWriter(path);
        return w != null ? w.file() : confine(resolve(path), path);
    }

    /** Where derived data of kind {@code kind} for the stream in {@code file} lives, under {@code ROOT/.httpfstream/<area>}. */
    public Path derivedFile(String area, Path file, String kind) {
        return new MetadataLayout(privateFolder.resolve(area)).locate(root.relativize(file), kind);
    }

    /** The active append session on {@code file}, or null. */
    public AppendSession activeSession(Path file) {
        return leases.activeSession(file);
    }

    /**
     * Bytes committed to {@code file}: what readers may see. With fsync, bytes not yet synced are not
     * counted.
     *
     * @throws NoSuchFileException if the file does not exist
     */
    public long committedLength(Path file) throws IOException {
        return cache.committedLength(file, (FileChannel) null);
    }

    /** Like {@link #committedLength(Path)}, with the size read from {@code channel}, open on {@code file}. */
    long committedLength(Path file, FileChannel channel) throws IOException {
        return cache.committedLength(file, channel);
    }

    /** Bytes in {@code file}, committed or not: where the next append goes. */
    public long writtenLength(Path file) throws IOException {
        return cache.writtenLength(file);
    }

    /**
     * Calls {@code listener} after every change to {@code file} by any writer: committed bytes, the end
     * of an append session, or a {@link #changed(Path)} (closure, deletion). Undo with {@link #unwatch}.
     */
    public void watch(Path file, StreamListener listener) {
        listeners.watch(file, listener);
    }

    /** True while some listener {@link #watch watches} {@code file} (a waiting long-poll, for one). */
    public boolean watched(Path file) {
        return listeners.watched(file);
    }

    /** Stops calling {@code listener} for {@code file}. */
    public void unwatch(Path file, StreamListener listener) {
        listeners.unwatch(file, listener);
    }

    /** See {@link StoreListeners#addChangeListener}. */
    public void addChangeListener(java.util.function.Consumer<Path> listener) {
        listeners.addChangeListener(listener);
    }

    /** See {@link StoreListeners#addRefusalListener}. */
    public void addRefusalListener(java.util.function.Consumer<IOException> listener) {
        listeners.addRefusalListener(listener);
    }

    /** Tells the refusal listeners of {@code refusal}; returns it. */
    <E extends IOException> E refused(E refusal) {
        return listeners.refused(refusal);
    }

    /** The one notification of a change to {@code file}: its watchers (every kind of follower) and the change listeners. */
    public void changed(Path file) {
        listeners.changed(file);
    }

    /**
     * Follows {@code file} whatever writes to it, until {@code ended} says the stream has ended: a
     * follower over the stream's file with its own read handle.
     *
     * @throws NoSuchFileException if the file does not exist
     */
    public Follower follow(Path file, StreamListener listener, java.util.function.BooleanSupplier ended)
            throws IOException {
        return Follower.ofFile(this, file, listener, ended);
    }

    void release(AppendSession session) {
        leases.release(session);
    }

    /** Number of active append sessions. */
    public int activeSessions() {
        return leases.activeSessions();
    }

    /**
     * Streams open for writing: writers holding a stream file open, those of append sessions and those
     * kept open after Durable Streams appends until they are idle. For metrics.
     */
    public int openWriters() {
        return cache.size();
    }

    /** Tells {@code metrics} about appends and syncs from now on; null for nobody. */
    public void metrics(StoreMetrics metrics) {
        this.metrics = metrics == null ? StoreMetrics.NONE : metrics;
    }

    /** Who is told about appends and syncs; never null. */
    StoreMetrics metrics() {
        return metrics;
    }

    /** Runs {@code listener} when the store is closed (for example to stop background work). */
    public void addCloseListener(Runnable listener) {
        closeListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Stops as a killed process would, for tests of crash recovery: the tail marks are left as they
     * are (the next store on the root recovers from them), no session is ended, no writer closed.
     */
    void crashForTests() {
        marks.abandon();
        idleCloser.shutdownNow();
        if (groupCommit != null) {
            groupCommit.close();
        }
    }

    /**
     * Ends every active append session (their leases are released), commits what is pending (with
     * fsync: a last sync), and closes the writers. Runs the close listeners first.
     */
    @Override
    public void close() {
        for (Runnable r : closeListeners) {
            r.run();
        }
        leases.endAll();
        if (groupCommit != null) {
            groupCommit.close();
        }
        idleCloser.shutdownNow();
        cache.closeAll();
        marks.close();
    }

    /**
     * Maps a percent-decoded request path to a file under the root, without touching the file system.
     *
     * @throws InvalidStreamPathException for {@code .} or {@code ..} segments, backslashes, NUL bytes,
     *     a path not starting with {@code /}, or a name the file system cannot hold
     */
    public Path resolve(String path) throws InvalidStreamPathException {
        return paths.resolve(path);
    }

    private Path confine(Path file, String path) throws IOException {
        return paths.confine(file, path);
    }
}
