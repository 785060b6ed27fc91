package org.httpfstream.store.nats;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.KeyValue;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.httpfstream.store.AbstractStorage;
import org.httpfstream.store.NotAStreamException;
import org.httpfstream.store.StoreLimits;
import org.httpfstream.store.StorePaths;
import org.httpfstream.store.StoredStream;

/**
 * Streams kept on a NATS JetStream cluster ({@code -store=nats}): the front node that runs this store
 * keeps nothing that the cluster does not have, so any number of front nodes serve the same streams.
 * The layout ({@link NatsNames}, made by {@link NatsAssets}):
 *
 * <ul>
 *   <li>a stream's bytes are records on one subject of a shard stream ({@link NatsLog} says what a
 *       record carries: its byte offsets, and a CRC32C that readers check), published by this node's
 *       one {@link NatsWriter} per stream and acknowledged once replicated;
 *   <li>which streams exist, with their generation and a fork's reference, in the {@code hfs_streams}
 *       bucket; their metadata in compare-and-set registers ({@link CasRegisters}, {@code HFSM_<s>});
 *   <li>the single-writer lease on the lease streams ({@link NatsLeases}), and fencing on the log.
 * </ul>
 *
 * <p>Followers: one subscription per stream per front node (an ordered push consumer on the stream's
 * subject) feeds this node's view of it, and every local follower, watcher and change listener is told
 * from there.
 *
 * <p>Written here rather than taken from a library: no library maps a byte-offset log with a
 * single-writer lease onto JetStream; the NATS client (jnats) does the protocol.
 *
 * <p>Thread safety: safe for use from any number of threads. Per-path state ({@link Local}: the local
 * lease lock, the session, the current view) lives in concurrent maps; a view is made under its {@code
 * Local}'s monitor; the buckets and the NATS connection are thread safe.
 */
public final class NatsStorage extends AbstractStorage {
    /**
     * How long a JetStream request may take: longer than jnats' 2 s default, which a leader election
     * (a NATS node lost) or a loaded machine passes.
     */
    static final java.time.Duration REQUEST_TIMEOUT = java.time.Duration.ofSeconds(10);
    final Connection connection;
    final JetStream js;
    final JetStreamManagement jsm;
    final NatsConfig config;
    final NatsNames names;
    final KeyValue streams;
    /** {@link NatsNames#BUCKET_ACCESS}: streams' last accesses, by stream key. */
    final KeyValue access;
    final CasRegisters metadata;
    final NatsLeases leases;
    private final boolean ownsConnection;
    private final Dispatcher dispatcher;
    final ScheduledExecutorService timer;
    /** The timer's thread (the last one it made): work on it must never wait for the timer. */
    private volatile Thread timerThread;
    /**
     * The transport's calls on this store ({@link #blockingExecutor()}): each waits on round trips to the
     * cluster, so up to {@link #CALL_THREADS} run at once, the rest queue.
     */
    private final java.util.concurrent.ThreadPoolExecutor calls;
    /** Threads for the transport's calls: enough to keep many streams' leases in flight at a few ms each. */
    static final int CALL_THREADS = 32;
    private final ConcurrentHashMap<String, Local> locals = new ConcurrentHashMap<>();
    private final NatsRemoteSessions remote;

    /**
     * A store on the cluster {@code connection} reaches, making the shard streams and buckets if they
     * are missing. {@code ownsConnection}: closing the store closes the connection.
     */
    public NatsStorage(Connection connection, boolean ownsConnection, NatsConfig config, StoreLimits limits)
            throws IOException {
        super(limits, true); // an append is committed once JetStream acknowledged it, on a NATS thread
        this.connection = Objects.requireNonNull(connection, "connection");
        this.ownsConnection = ownsConnection;
        this.config = Objects.requireNonNull(config, "config");
        this.names = new NatsNames(config);
        io.nats.client.JetStreamOptions options = io.nats.client.JetStreamOptions.builder()
                .requestTimeout(REQUEST_TIMEOUT).build();
        this.js = connection.jetStream(options);
        this.jsm = connection.jetStreamManagement(options);
        NatsAssets assets = new NatsAssets(connection, config);
        assets.ensure();
        this.streams = assets.bucket(NatsNames.BUCKET_STREAMS);
        this.access = assets.bucket(NatsNames.BUCKET_ACCESS);
        this.metadata = new CasRegisters(js, jsm, names, NatsNames.META_STREAM_PREFIX, NatsNames.META_SUBJECT_PREFIX);
        String node = Long.toHexString(ThreadLocalRandom.current().nextLong());
        this.leases = new NatsLeases(connection, js, jsm, names, config.namespace(), node);
        this.dispatcher = connection.createDispatcher();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "httpfstream-nats-leases");
            t.setDaemon(true);
            timerThread = t;
            return t;
        });
        this.remote = new NatsRemoteSessions(this, node, dispatcher);
        dispatcher.subscribe(leases.askSubject(), m -> asked(new String(m.getData(), UTF_8)));
        this.calls = org.httpfstream.store.DaemonThreads.pool(CALL_THREADS, 0,
                org.httpfstream.store.DaemonThreads.numbered("httpfstream-nats-calls"));
        watchMetadata();
    }

    /** True on the timer's own thread, where waiting for a task queued on the timer would never end. */
    boolean onTimer() {
        return Thread.currentThread() == timerThread;
    }

    /**
     * Tells this node's watchers and followers of a stream of every metadata change (a closure, a
     * deletion, a producer's state), wherever it was made: one ordered consumer per metadata shard,
     * from now on, on this namespace's registers. A consumer delivers only stored (replicated) changes,
     * so a reader told of one reads it from the register; a plain subscription would also see
     * publishes the register then refuses, and could see one before it is stored.
     */
    private void watchMetadata() throws IOException {
        for (int s = 0; s < config.shards(); s++) {
            try {
                js.subscribe(NatsNames.META_SUBJECT_PREFIX + "." + s + "." + config.namespace() + ".*", dispatcher,
                        m -> {
                            String path = names.pathOfRegister(m.getSubject());
                            if (path != null) {
                                changed(path);
                            }
                        }, false, PushSubscribeOptions.builder().stream(NatsNames.META_STREAM_PREFIX + "_" + s)
                                .ordered(true).configuration(io.nats.client.api.ConsumerConfiguration.builder()
                                        .deliverPolicy(io.nats.client.api.DeliverPolicy.New).build())
                                .build());
            } catch (JetStreamApiException e) {
                throw new IOException("watching the metadata of shard " + s + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * A one-operation lease this node keeps between operations on a stream (see {@link
     * NatsStream#withLease}): the held lease, the view it was taken for, when it was taken or last renewed
     * ({@link System#nanoTime()}).
     */
    record Kept(NatsLeases.Held held, View view, long renewedNanos) {}

    /** Another node asked for {@code path}'s lease: gives it up if kept, else once the operation ends. */
    private void asked(String path) {
        Local local = locals.get(path);
        if (local == null) {
            return;
        }
        local.asked = true;
        if (local.kept != null && !timer.isShutdown()) {
            try {
                timer.execute(() -> releaseKept(local, null));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closing: close releases it
            }
        }
    }

    /**
     * Keeps {@code k} for the next operation on the stream, unless another node asked for it meanwhile
     * (then releases it and holds back this node's next take for {@link NatsLeases#YIELD_MILLIS}).
     * Holding {@code local.lock}.
     */
    void keep(Local local, Kept k) {
        if (local.asked || closed()) {
            local.asked = false;
            local.yieldUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(NatsLeases.YIELD_MILLIS);
            leases.release(k.held());
            return;
        }
        local.kept = k;
        try {
            timer.schedule(() -> releaseKept(local, k), NatsLeases.KEEP_MILLIS, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            dropKept(local);
            leases.release(k.held());
        }
    }

    /**
     * Releases the lease {@code local} keeps if it is {@code k} (any, if null) and no operation is
     * running on the stream; on the timer thread.
     */
    private void releaseKept(Local local, Kept k) {
        if (!local.lock.tryLock()) {
            return; // an operation runs: it keeps or releases the lease when it ends
        }
        try {
            Kept kept = local.kept;
            if (kept != null && (k == null || kept == k)) {
                local.kept = null;
                if (k == null) {
                    local.asked = false;
                    local.yieldUntil = System.nanoTime()
                            + TimeUnit.MILLISECONDS.toNanos(NatsLeases.YIELD_MILLIS);
                }
                leases.release(kept.held());
            }
        } finally {
            local.lock.unlock();
        }
    }

    /** Forgets the lease {@code local} keeps, without releasing it (its taker does); holding {@code local.lock}. */
    NatsLeases.Held dropKept(Local local) {
        Kept k = local.kept;
        local.kept = null;
        return k == null ? null : k.held();
    }

    /** Every front node of the cluster changes the streams. */
    @Override
    public boolean shared() {
        return true;
    }

    /** Calls on this store wait on the cluster: the transport makes them on {@link #CALL_THREADS} threads. */
    @Override
    public java.util.Optional<java.util.concurrent.Executor> blockingExecutor() {
        return java.util.Optional.of(calls);
    }

    /** The append session another front node holds on {@code path}, if any. */
    java.util.Optional<org.httpfstream.store.SessionLease> remoteSession(String path) {
        return remote.session(path);
    }

    /**
     * A store on the cluster reached at {@code urls} over a connection of its own, which reconnects to
     * any of the cluster's servers when one goes away and closes with the store; the cluster's safety is
     * checked first ({@link #connect(NatsConnectionOptions, NatsConfig, boolean, StoreLimits)}, not allowing
     * unsafe settings).
     */
    public static NatsStorage connect(List<String> urls, NatsConfig config, StoreLimits limits) throws IOException {
        return connect(NatsConnectionOptions.of(urls), config, false, limits);
    }

    /**
     * A store on the cluster that {@code options} reach, over a connection of its own that reconnects to
     * any of the cluster's servers and closes with the store. Before anything is made on the cluster,
     * its settings are checked ({@link NatsSafety}): those known to lose acknowledged appends are
     * refused unless {@code allowUnsafe}, which starts with a loud warning (and, on a server without a
     * cluster, with streams of one replica).
     *
     * @throws NatsStartException one line: the connection failed, or an unsafe setting was refused
     */
    public static NatsStorage connect(NatsConnectionOptions options, NatsConfig config, boolean allowUnsafe,
            StoreLimits limits) throws IOException {
        Connection c = NatsSafety.connect(options);
        try {
            NatsConfig effective = NatsSafety.check(c, config, allowUnsafe, options.serversForDisplay());
            return new NatsStorage(c, true, effective, limits);
        } catch (IOException | RuntimeException e) {
            try {
                c.close();
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            if (e instanceof NatsStartException || e instanceof java.io.InterruptedIOException) {
                throw e;
            }
            throw new NatsStartException("failed to start on NATS at " + options.serversForDisplay() + ": "
                    + NatsSafety.rootMessage(e), e);
        }
    }

    /**
     * What this node keeps per path: the local lease (one writer on this node at a time, and the session
     * holding the stream's long-held lease), a lock for metadata updates, and its current view.
     *
     * <p>Thread safety: {@code lock} is the local lease; {@code session} and {@code releasing} are
     * written holding it; {@code view} is written under this object's monitor.
     */
    static final class Local {
        final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
        final Object metadataLock = new Object();
        volatile NatsSession session;
        /** The one-operation lease this node keeps between operations, or null. Written holding {@code lock}. */
        volatile Kept kept;
        /** Set when another node asked for the lease; cleared once given up. */
        volatile boolean asked;
        /** Until when ({@link System#nanoTime()}) this node leaves the lease to the node that asked for it. */
        volatile long yieldUntil;
        /** Completes once the last session of this node on the stream released its cluster lease. */
        volatile CompletableFuture<Void> releasing = CompletableFuture.completedFuture(null);
        volatile View view;
    }

    /** A view of one generation of a stream and its writer, fed by one subscription. */
    record View(NatsLog log, NatsWriter writer, JetStreamSubscription subscription) {}

    /**
     * A stream's entry in the streams bucket: its generation (part of its subject), a fork's source and
     * fork point, and the entry's revision.
     */
    record Entry(String generation, String source, String sourceGeneration, long length, long revision) {
        byte[] encode() {
            return (source == null ? "g=" + generation
                    : "g=" + generation + ";s=" + java.util.Base64.getUrlEncoder().encodeToString(source.getBytes(UTF_8))
                            + ";sg=" + sourceGeneration + ";l=" + length).getBytes(UTF_8);
        }

        static Entry decode(byte[] value, long revision) {
            String g = null;
            String s = null;
            String sg = null;
            long l = 0;
            for (String part : new String(value, UTF_8).split(";")) {
                String v = part.substring(part.indexOf('=') + 1);
                switch (part.substring(0, part.indexOf('='))) {
                    case "g" -> g = v;
                    case "s" -> s = new String(java.util.Base64.getUrlDecoder().decode(v), UTF_8);
                    case "sg" -> sg = v;
                    case "l" -> l = Long.parseLong(v);
                    default -> { }
                }
            }
            return new Entry(g, s, sg, l, revision);
        }
    }

    Local local(String path) {
        return locals.computeIfAbsent(path, p -> new Local());
    }

    /** What this node keeps for {@code path}, or null if it never touched it. */
    Local localIfPresent(String path) {
        return locals.get(path);
    }

    @Override
    public StoredStream stream(String path) throws IOException {
        return new NatsStream(this, StorePaths.normalize(path));
    }

    /** The stream's entry, read from the cluster, or null if it does not exist. */
    Entry entry(String path) throws IOException {
        if (path.equals("/")) {
            return null;
        }
        try {
            KeyValueEntry e = streams.get(names.key(path));
            return e == null || e.getOperation() != KeyValueOperation.PUT ? null
                    : Entry.decode(e.getValue(), e.getRevision());
        } catch (JetStreamApiException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /**
     * Makes the stream at {@code path} (or finds the one another writer made meanwhile).
     *
     * <p>The lease of {@code path} serializes the creators of this one path, not a creator of {@code
     * /a} with one of {@code /a/b} on another node. So a creator writes its entry first and looks for
     * the other shape second (a stream below it, a stream above it), and takes its entry back if it
     * finds one: every entry is written to the one streams bucket, in one order, so of two such
     * creators racing at least one sees the other's entry (both may, and both are then refused).
     *
     * @throws NotAStreamException if the path is a folder of streams or lies below a stream
     */
    Entry create(String path) throws IOException {
        Entry e = entry(path);
        if (e != null) {
            return e;
        }
        String wrongShape = wrongShape(path);
        if (wrongShape != null) {
            throw new NotAStreamException(wrongShape);
        }
        Entry made = new Entry(Long.toHexString(System.currentTimeMillis()) + "x"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1), null, null, 0, 0);
        long rev;
        try {
            rev = streams.create(names.key(path), made.encode());
        } catch (JetStreamApiException ex) {
            if (ex.getApiErrorCode() == 10071) {
                return Objects.requireNonNull(entry(path), "made and deleted meanwhile: " + path);
            }
            throw new IOException(ex.getMessage(), ex);
        }
        wrongShape = wrongShape(path); // a folder or parent stream made on another node meanwhile
        if (wrongShape != null) {
            try {
                streams.delete(names.key(path), rev); // still ours: we hold the path's lease
            } catch (JetStreamApiException ex) {
                throw new IOException("taking back " + path + ": " + ex.getMessage(), ex);
            }
            throw new NotAStreamException(wrongShape);
        }
        return new Entry(made.generation(), null, null, 0, rev);
    }

    /** Why a stream cannot be made at {@code path} (a folder of streams, or below a stream), or null. */
    private String wrongShape(String path) throws IOException {
        if (path.equals("/") || folder(path)) {
            return path + " is a folder, not a stream";
        }
        for (int i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1)) {
            if (entry(path.substring(0, i)) != null) {
                return "a parent of " + path + " is a file, not a folder";
            }
        }
        return null;
    }

    /** True if some stream lies below {@code path}. */
    boolean folder(String path) throws IOException {
        try {
            return !streams.keys(names.below(path)).isEmpty();
        } catch (JetStreamApiException e) {
            throw new IOException(e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("listing " + path);
        }
    }

    /** This node's view of the generation {@code e} of the stream at {@code path}, made if need be. */
    View view(String path, Entry e) throws IOException {
        Local local = local(path);
        View v = local.view;
        if (v != null && v.log().generation.equals(e.generation())) {
            return v;
        }
        synchronized (local) {
            v = local.view;
            if (v != null && v.log().generation.equals(e.generation())) {
                return v;
            }
            if (v != null) {
                drop(v);
            }
            v = open(path, e);
            local.view = v;
            return v;
        }
    }

    /** The current view if this node has one, without I/O. */
    View cachedView(String path) {
        Local local = locals.get(path);
        View v = local == null ? null : local.view;
        return v == null || v.log().closed() ? null : v;
    }

    private View open(String path, Entry e) throws IOException {
        String subject = names.subject(path, e.generation());
        NatsLog log = new NatsLog(path, e.generation(), subject, () -> changed(path));
        if (e.source() != null) {
            Entry source = entry(e.source());
            if (source == null || !source.generation().equals(e.sourceGeneration())) {
                throw new IOException("the source " + e.source() + " of fork " + path + " is gone");
            }
            log.reference(view(e.source(), source).log(), e.length());
        }
        NatsWriter writer = new NatsWriter(js, log, names.streamOf(path), config.chunkBytes());
        JetStreamSubscription sub;
        try {
            sub = js.subscribe(subject, dispatcher, log::onMessage, false,
                    PushSubscribeOptions.builder().stream(names.streamOf(path)).ordered(true)
                            .configuration(io.nats.client.api.ConsumerConfiguration.builder()
                                    .idleHeartbeat(VIEW_HEARTBEAT).build())
                            .build());
        } catch (JetStreamApiException ex) {
            throw new IOException("following " + path + ": " + ex.getMessage(), ex);
        }
        View v = new View(log, writer, sub);
        catchUp(v);
        writer.startAt(log.committed());
        return v;
    }

    /**
     * The idle heartbeat of a view's ordered consumer. jnats makes the consumer again after missing
     * heartbeats; at its default of 5 s a view stayed behind the cluster for 10-30 s after a NATS node
     * was killed (the fault soak), and reads that wait for the view waited as long. Costs one small
     * message a second per view while idle.
     */
    static final java.time.Duration VIEW_HEARTBEAT = java.time.Duration.ofSeconds(1);

    /** Waits until the view has applied every record the cluster had when called; returns the last's sequence. */
    long catchUp(View v) throws IOException {
        long last = lastSeq(v.log());
        try {
            v.log().awaitApplied(last).get(30, TimeUnit.SECONDS);
        } catch (Exception ex) {
            throw new IOException("the view of " + v.log().path + " did not reach record " + last, ex);
        }
        if (v.log().failure() != null) {
            throw v.log().failure();
        }
        return last;
    }

    /** The sequence of the last record on the log's subject, 0 if none. */
    long lastSeq(NatsLog log) throws IOException {
        io.nats.client.api.MessageInfo m = CasRegisters.lastMessage(jsm, names.streamOf(log.path), log.subject);
        return m == null ? 0 : m.getSeq();
    }

    /** Stops a view: its subscription ends, its readers keep the bytes they had. */
    void drop(View v) {
        v.log().close();
        try {
            dispatcher.unsubscribe(v.subscription());
        } catch (RuntimeException e) {
            // the connection is closing
        }
    }

    /** Forgets this node's view of {@code path} if it is {@code v}. */
    void forget(String path, View v) {
        Local local = local(path);
        synchronized (local) {
            if (local.view == v) {
                local.view = null;
            }
        }
        drop(v);
    }

    /** Removes the stream at {@code path}: its entry, its records, this node's view. */
    void remove(String path, Entry e) throws IOException {
        try {
            streams.delete(names.key(path));
            jsm.purgeStream(names.streamOf(path),
                    io.nats.client.PurgeOptions.subject(names.subject(path, e.generation())));
        } catch (JetStreamApiException ex) {
            throw new IOException(ex.getMessage(), ex);
        }
        View v = cachedView(path);
        if (v != null) {
            forget(path, v);
        }
    }

    /** Tells the stream's watchers on this node and the change listeners. */
    void changed(String path) {
        listeners().changed(path);
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        List<String> paths = new ArrayList<>();
        try {
            for (String key : streams.keys(names.below("/"))) {
                String path = names.path(key);
                if (path != null && path.startsWith(prefix)) {
                    paths.add(path);
                }
            }
        } catch (JetStreamApiException e) {
            throw new IOException(e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("listing " + prefix);
        }
        return paths;
    }

    /**
     * Ends every append session of this node (waiting up to 10 s for their bytes to be acknowledged),
     * stops every view, and closes the connection if the store owns it.
     */
    @Override
    public void close() {
        if (!markClosed()) {
            return;
        }
        List<CompletableFuture<Void>> ends = new ArrayList<>();
        for (Local local : locals.values()) {
            try {
                if (!local.lock.tryLock(10, TimeUnit.SECONDS)) {
                    continue; // an operation still runs: the lease ages out
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            try {
                NatsLeases.Held kept = dropKept(local);
                if (kept != null) {
                    leases.release(kept);
                }
            } finally {
                local.lock.unlock();
            }
        }
        for (Local local : locals.values()) {
            NatsSession s = local.session;
            if (s != null) {
                ends.add(s.end().exceptionally(t -> null));
            }
        }
        try {
            CompletableFuture.allOf(ends.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // what was not acknowledged in time is lost to this node; the cluster keeps what it acknowledged
        }
        for (Local local : locals.values()) {
            View v = local.view;
            if (v != null) {
                drop(v);
            }
        }
        timer.shutdownNow();
        calls.shutdownNow();
        try {
            connection.closeDispatcher(dispatcher);
        } catch (RuntimeException e) {
            // the connection is closed already
        }
        if (ownsConnection) {
            try {
                connection.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
