package org.httpfstream.store.nats;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.httpfstream.store.AbstractSessionLease;
import org.httpfstream.store.Follower;
import org.httpfstream.store.SessionLease;
import org.httpfstream.store.StreamListener;
import org.httpfstream.store.WriterConflictException;

/**
 * The long-held lease of a {@link NatsStream}: an original-protocol append session. It holds this
 * node's local lease ({@link NatsStorage.Local#session}) and the stream's key in the lease bucket,
 * renewed every third of the bucket's TTL; appends go through the node's writer of the stream without
 * waiting and are committed when JetStream acknowledges them. A renewal that fails (the lease expired,
 * or another node took it) fails the next append; fencing on the log refuses the late records of a
 * session that was paused past its lease.
 *
 * <p>Thread safety: {@link #append} and {@link #end} are synchronized, so an end from another thread
 * never interleaves with an append; {@code held} and {@code lost} are volatile and read without the
 * monitor, as the base class's end length and flags are. Guarded by this: {@code endFuture}, {@code
 * renewal}.
 */
final class NatsSession extends AbstractSessionLease {
    private final NatsStorage storage;
    private final NatsStream stream;
    private final NatsStorage.View view;
    private final NatsStorage.Local local;
    private volatile NatsLeases.Held held;
    private volatile IOException lost;
    private CompletableFuture<Void> endFuture;
    private ScheduledFuture<?> renewal;

    private NatsSession(NatsStorage storage, NatsStream stream, NatsStorage.View view, NatsStorage.Local local,
            NatsLeases.Held held) {
        super(view.log()::committed, view.writer()::written);
        this.storage = storage;
        this.stream = stream;
        this.view = view;
        this.local = local;
        this.held = held;
    }

    /** Takes the stream's long-held lease on this node and on the cluster; see {@link NatsStream#startSession()}. */
    static NatsSession start(NatsStorage storage, NatsStream stream) throws IOException {
        if (storage.closed()) {
            throw new ClosedChannelException();
        }
        NatsStorage.Local local = storage.local(stream.name());
        local.lock.lock();
        try {
            if (local.session != null) {
                throw new WriterConflictException();
            }
            NatsStream.awaitReleased(local);
            storage.dropKept(local); // a kept one-operation lease of this node is taken over below
            NatsLeases.Held held = storage.leases.acquire(stream.name(), NatsLeases.SESSION);
            try {
                NatsStorage.Entry e = storage.create(stream.name()); // under the lease: one creator
                storage.guard().check(stream);
                NatsStorage.View v = storage.view(stream.name(), e);
                v.writer().refresh(storage.lastSeq(v.log()), held.seq());
                NatsSession s = new NatsSession(storage, stream, v, local, held);
                local.session = s;
                s.scheduleRenewal();
                return s;
            } catch (IOException | RuntimeException ex) {
                storage.leases.release(held);
                throw ex;
            }
        } finally {
            local.lock.unlock();
        }
    }

    private synchronized void scheduleRenewal() {
        long every = Math.max(100, storage.config.leaseTtl().toMillis() / 3);
        renewal = storage.timer.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
    }

    private void renew() {
        if (endStarted() || lost != null) {
            return;
        }
        try {
            held = storage.leases.renew(held, NatsLeases.SESSION);
        } catch (IOException e) {
            lost = e;
        } catch (RuntimeException e) {
            lost = new IOException("renewing the lease: " + e.getMessage(), e); // the connection closed
        }
    }

    @Override
    public String name() {
        return stream.name();
    }

    @Override
    public synchronized void append(ByteBuffer... srcs) throws IOException {
        if (endStarted()) {
            throw new ClosedChannelException();
        }
        if (lost != null) {
            throw lost;
        }
        view.writer().append(srcs, storage.limits().maxStreamBytes(), NatsLease.sizeCheck(storage));
    }

    @Override
    public synchronized CompletableFuture<Void> end() {
        if (endFuture != null) {
            return endFuture;
        }
        endAt(view.writer().written());
        if (renewal != null) {
            renewal.cancel(false);
        }
        CompletableFuture<Void> released = new CompletableFuture<>();
        local.releasing = released;
        if (local.session == this) {
            local.session = null; // a new appender on this node may start; it waits for the release below
        }
        endFuture = view.writer().idle().handleAsync((v, t) -> {
            IOException failure = view.writer().failure();
            storage.leases.release(held);
            released.complete(null);
            markEnded();
            storage.changed(stream.name());
            if (failure != null) {
                throw new java.util.concurrent.CompletionException(failure);
            }
            return (Void) null;
        }, storage.timer.isShutdown() ? Runnable::run : storage.timer);
        return endFuture;
    }

    @Override
    public Follower follow(long from, StreamListener listener) {
        return follow(storage, stream.name(), this, view.log(), from, listener);
    }

    /**
     * A follower of {@code session} (this node's or another's) on {@code path}, reading {@code log}; null
     * if the session has ended. See {@link SessionLease#follow}.
     */
    static Follower follow(NatsStorage storage, String path, SessionLease session, NatsLog log, long from,
            StreamListener listener) {
        if (from < 0) {
            throw new IllegalArgumentException("from < 0: " + from);
        }
        if (session.ended()) {
            return null;
        }
        return storage.listeners().follow(path, session::length, log, listener, session::ended);
    }
}
