package org.httpfstream.store.nats;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.nats.client.Dispatcher;
import io.nats.client.Message;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.httpfstream.store.AbstractSessionLease;
import org.httpfstream.store.Follower;
import org.httpfstream.store.SessionLease;
import org.httpfstream.store.StreamListener;
import org.httpfstream.store.WriterConflictException;

/**
 * The append sessions other front nodes hold, as this node sees them: the original protocol's "writer
 * is live" state ({@link org.httpfstream.store.StoredStream#session()}) on every node, so that a FOLLOW
 * on node B of a stream appended to on node A stays live until A's appender ends. Fed by one plain
 * subscription on the namespace's lease subjects (every lease change is also a NATS message) and, the
 * first time this node is asked about a path, by one read of that path's lease. A session whose lease
 * was not renewed within the lease TTL (its node died) is ended by a sweep every third of the TTL.
 *
 * <p>Thread safety: sessions are kept in a concurrent map; a {@link RemoteSession}'s state is volatile.
 * Lease messages arrive on the dispatcher's thread, which only records them; making a session's view
 * and ending one (which catches the view up, blocking) run on the store's timer thread.
 */
final class NatsRemoteSessions {
    private final NatsStorage storage;
    private final String node;
    private final ConcurrentHashMap<String, RemoteSession> sessions = new ConcurrentHashMap<>();
    /**
     * Paths whose lease this node has read (or is reading: the future completes when the read is done)
     * or been told of since it started. Concurrent first callers for a path wait for the one read, so
     * that none of them answers "no session" while it is under way.
     */
    private final ConcurrentHashMap<String, CompletableFuture<Void>> known = new ConcurrentHashMap<>();
    private static final CompletableFuture<Void> TOLD = CompletableFuture.completedFuture(null);
    /** How long a caller waits for another's first read of a path's lease, or a queued session start. */
    static final long FIRST_READ_WAIT_MILLIS = 5_000;

    NatsRemoteSessions(NatsStorage storage, String node, Dispatcher dispatcher) {
        this.storage = storage;
        this.node = node;
        dispatcher.subscribe(NatsNames.LEASE_SUBJECT_PREFIX + "*." + storage.config.namespace() + ".*", this::onLease);
        long every = Math.max(100, storage.config.leaseTtl().toMillis() / 3);
        storage.timer.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.MILLISECONDS);
    }

    /** The session another node holds on {@code path}, if any; reads the lease once on a path's first use. */
    Optional<SessionLease> session(String path) {
        CompletableFuture<Void> reading = new CompletableFuture<>();
        CompletableFuture<Void> first = known.putIfAbsent(path, reading);
        if (first == null) {
            try {
                String holder = storage.leases.holder(path);
                if (holder.startsWith(NatsLeases.SESSION + " ") && !holder.endsWith(" " + node)) {
                    started(path, reading);
                }
            } catch (IOException e) {
                known.remove(path, reading); // asked again next time
            } finally {
                reading.complete(null);
            }
        } else if (!first.isDone() && !storage.onTimer()) {
            // Another caller's read of the lease (one round trip), or a session start queued on the timer.
            // Never on the timer itself (a listener told of one start may ask while the next start of the
            // same path waits behind it: that wait would never end), and bounded: on a slow cluster the
            // caller goes on with what this node knows.
            try {
                first.get(FIRST_READ_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                // what is known now
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        RemoteSession s = sessions.get(path);
        return s == null || s.ended() ? Optional.empty() : Optional.of(s);
    }

    private void onLease(Message m) {
        String[] tokens = m.getSubject().split("\\.");
        String path = new String(Base64.getUrlDecoder().decode(tokens[tokens.length - 1]), UTF_8);
        String holder = new String(m.getData(), UTF_8);
        if (holder.startsWith(NatsLeases.SESSION + " ") && !holder.endsWith(" " + node)) {
            RemoteSession s = sessions.get(path);
            if (s != null && !s.ending) {
                s.renewed = System.nanoTime();
            } else {
                // callers of session() wait until it is known here (as for a first read)
                CompletableFuture<Void> starting = new CompletableFuture<>();
                known.put(path, starting);
                storage.timer.execute(() -> {
                    try {
                        started(path, starting);
                    } finally {
                        starting.complete(null);
                    }
                });
            }
        } else {
            known.putIfAbsent(path, TOLD);
            RemoteSession s = sessions.get(path);
            if (s != null) {
                storage.timer.execute(() -> end(path, s));
            }
        }
    }

    /**
     * Makes the session of another node on {@code path} known here, with its view; completes {@code
     * ready} (what callers of {@link #session} for the path wait on) before the listeners are told, as
     * they may ask for the session on this very thread.
     */
    private void started(String path, CompletableFuture<Void> ready) {
        try {
            NatsStorage.Entry e = storage.entry(path);
            if (e == null) {
                return;
            }
            NatsStorage.View v = storage.view(path, e);
            RemoteSession s = new RemoteSession(path, v);
            RemoteSession old = sessions.put(path, s);
            ready.complete(null);
            if (old != null && old != s) {
                end(path, old);
            }
            storage.changed(path);
        } catch (IOException e) {
            known.remove(path); // asked again next time
        }
    }

    /** Ends {@code s} once this node's view has every record of it. */
    private void end(String path, RemoteSession s) {
        if (s.ending) {
            return;
        }
        s.ending = true;
        try {
            storage.catchUp(s.view);
        } catch (IOException e) {
            // the view keeps what it has
        }
        s.finish(s.view.log().committed());
        sessions.remove(path, s);
        storage.changed(path);
    }

    private void sweep() {
        long ttl = storage.config.leaseTtl().toNanos();
        for (var e : sessions.entrySet()) {
            if (System.nanoTime() - e.getValue().renewed > ttl) {
                end(e.getKey(), e.getValue());
            }
        }
    }

    /**
     * An append session of another front node, read through this node's view: followers read committed
     * bytes and end with it; it takes no appends, and its appender cannot vanish here (only the node
     * holding a session is told of that).
     *
     * <p>Thread safety: volatile state, written by the timer thread (and {@code renewed} by the dispatcher).
     */
    final class RemoteSession extends AbstractSessionLease {
        private final String path;
        final NatsStorage.View view;
        volatile long renewed = System.nanoTime();
        volatile boolean ending;

        RemoteSession(String path, NatsStorage.View view) {
            super(view.log()::committed, view.log()::committed); // what this node sees is committed
            this.path = path;
            this.view = view;
        }

        @Override
        public String name() {
            return path;
        }

        /** Ends the session at {@code length}, once this node's view has every record of it. */
        void finish(long length) {
            endAt(length);
            markEnded();
        }

        /** Refused: another front node holds this session. */
        @Override
        public void append(ByteBuffer... srcs) throws IOException {
            throw new WriterConflictException();
        }

        /** Nothing: only the node holding a session ends it. */
        @Override
        public CompletableFuture<Void> end() {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public Follower follow(long from, StreamListener listener) {
            return NatsSession.follow(storage, path, this, view.log(), from, listener);
        }
    }
}
