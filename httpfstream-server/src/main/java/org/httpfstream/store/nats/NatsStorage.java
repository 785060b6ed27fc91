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
    final CasRegisters metadata;
    final NatsLeases leases;
    private final boolean ownsConnection;
    private final Dispatcher dispatcher;
    final ScheduledExecutorService timer;
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
        this.metadata = new CasRegisters(js, jsm, names, NatsNames.META_STREAM_PREFIX, NatsNames.META_SUBJECT_PREFIX);
        String node = Long.toHexString(ThreadLocalRandom.current().nextLong());
        this.leases = new NatsLeases(js, jsm, names, node);
        this.dispatcher = connection.createDispatcher();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "httpfstream-nats-leases");
            t.setDaemon(true);
            return t;
        });
        this.remote = new NatsRemoteSessions(this, node, dispatcher);
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
                    PushSubscribeOptions.builder().stream(names.streamOf(path)).ordered(true).build());
        } catch (JetStreamApiException ex) {
            throw new IOException("following " + path + ": " + ex.getMessage(), ex);
        }
        View v = new View(log, writer, sub);
        catchUp(v);
        writer.startAt(log.committed());
        return v;
    }

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
