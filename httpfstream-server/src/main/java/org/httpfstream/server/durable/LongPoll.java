package org.httpfstream.server.durable;

import static io.netty.handler.codec.http.HttpHeaderNames.CACHE_CONTROL;
import static org.httpfstream.server.Headers.NEXT_OFFSET;
import static org.httpfstream.server.Headers.STREAM_CURSOR;
import static org.httpfstream.server.Headers.STREAM_UP_TO_DATE;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.httpfstream.durable.DurableStreamException;
import org.httpfstream.durable.DurableStreams;
import org.httpfstream.server.Drain;
import org.httpfstream.server.ServerStats;
import org.httpfstream.server.connection.DrainHandler;
import org.httpfstream.server.follow.FollowerQuota;
import org.httpfstream.server.routing.FailureStatus;
import org.httpfstream.server.routing.HttpErrors;
import org.httpfstream.store.Offsets;
import org.httpfstream.store.StreamListener;
import org.httpfstream.store.StreamMetadata;

/**
 * A long-poll read at the tail: answers once data arrives, the stream closes, or the timeout passes. It
 * waits without a thread: a store watcher and a timer on the channel's event loop.
 *
 * <p>Thread safety: {@link #onChange()} may be called from any thread and only schedules a check on the
 * channel's event loop; the check's look at the store runs on the store's executor if it blocks;
 * everything else runs on the event loop. {@link #done} decides the one caller that ends the
 * wait.
 */
final class LongPoll implements StreamListener {
    private final DurableReads reads;
    private final ChannelHandlerContext ctx;
    private final FullHttpRequest request;
    private final String path;
    private final DurableStreams.Snapshot snapshot;
    private final long from;
    private final String cursor;
    private final boolean keepAlive;
    /** This reader's place among the live readers, given back when the wait ends. */
    private final FollowerQuota.Place place;
    private final AtomicBoolean done = new AtomicBoolean();
    /** Ends the wait if the connection closes; removed when the wait ends, so polls do not pile up on it. */
    private final GenericFutureListener<Future<? super Void>> onClose = f -> finish();
    /** Only the channel's event loop may access this. */
    private ScheduledFuture<?> timeout;

    LongPoll(DurableReads reads, ChannelHandlerContext ctx, FullHttpRequest request, String path,
            DurableStreams.Snapshot snapshot, long from, String cursor, boolean keepAlive, FollowerQuota.Place place) {
        this.reads = reads;
        this.ctx = ctx;
        this.place = place;
        this.path = path;
        this.request = request.retainedDuplicate();
        this.snapshot = snapshot;
        this.from = from;
        this.cursor = cursor;
        this.keepAlive = keepAlive;
    }

    void start() {
        ServerStats.of(ctx.channel()).followerStarted(ServerStats.FollowerKind.LONG_POLL, null);
        ctx.channel().attr(DurableStreamsHandler.POLLING).set(Boolean.TRUE);
        reads.streams().watch(snapshot, this);
        timeout = ctx.executor().schedule(this::timedOut, reads.settings().longPollTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
        ctx.channel().closeFuture().addListener(onClose);
        // A draining server answers as the timeout would, at once (Drain).
        ctx.channel().attr(Drain.WAKE).set(this::timedOut);
        check(); // anything that happened before the watch (we are on the channel's event loop)
        if (DrainHandler.draining(ctx.channel())) {
            timedOut();
        }
    }

    @Override
    public void onChange() {
        ctx.executor().execute(this::check);
    }

    /**
     * Looks whether the stream moved (off the event loop with a store that blocks: {@link
     * org.httpfstream.server.BlockingCalls#check}), then answers on the event loop if it did.
     */
    private void check() {
        if (done.get()) {
            return;
        }
        reads.calls().check(ctx, this::look, this::answer);
    }

    /** The stream's state now if it moved (new bytes, closed, deleted: {@link Look#gone}), else null. */
    private Look look() throws IOException {
        if (done.get() || !moved()) {
            return null;
        }
        DurableStreams.Snapshot now = reads.streams().refresh(path, snapshot);
        return now == null ? Look.GONE : new Look(now);
    }

    /** What {@link #look} found: the stream's state, or none ({@link #GONE}). */
    private record Look(DurableStreams.Snapshot now) {
        static final Look GONE = new Look(null);
    }

    private void answer(Look look, IOException failure) {
        try {
            if (failure != null) {
                throw failure;
            }
            if (look == null) {
                return;
            }
            if (look.now() == null) {
                if (finish()) {
                    HttpErrors.fail(ctx, new DurableStreamException(DurableStreamException.Reason.NOT_FOUND,
                            "no such stream: " + path), FailureStatus.Operation.DURABLE, "long-poll", keepAlive);
                }
                return;
            }
            DurableStreams.Snapshot now = look.now();
            if (now.tail() > from || now.closed()) {
                if (finish()) {
                    reads.catchUp(ctx, request, now, from, false, true, cursor, keepAlive);
                }
            }
        } catch (IOException e) {
            if (finish()) {
                HttpErrors.fail(ctx, e, FailureStatus.Operation.DURABLE, "long-poll", keepAlive);
            }
        }
    }

    /**
     * A cheap first look, without the stream's lock or path resolution: false only if the stream is
     * certainly still open, not deleted and no longer than {@code from}. Anything else (new bytes,
     * closure, deletion, a failure) is left to a full snapshot.
     */
    private boolean moved() {
        try {
            Optional<StreamMetadata> m = snapshot.stream().publishedMetadata();
            if (m.isPresent() && (m.get().closed() || m.get().softDeleted())) {
                return true;
            }
            return snapshot.stream().committedLength() > from;
        } catch (IOException e) {
            return true; // gone or unreadable: the snapshot says which
        }
    }

    private void timedOut() {
        if (!finish()) {
            return;
        }
        FullHttpResponse r = DurableStreamsHandler.empty(HttpResponseStatus.NO_CONTENT);
        r.headers().set(NEXT_OFFSET, Offsets.format(from))
                .set(STREAM_UP_TO_DATE, "true")
                .set(STREAM_CURSOR, StreamCursors.next(cursor, System.currentTimeMillis()))
                .set(CACHE_CONTROL, "no-store");
        HttpErrors.send(ctx, r, keepAlive);
    }

    /** True for the one caller that ends the wait. */
    private boolean finish() {
        if (!done.compareAndSet(false, true)) {
            return false;
        }
        reads.streams().unwatch(snapshot, this);
        ctx.channel().closeFuture().removeListener(onClose);
        ctx.channel().attr(DurableStreamsHandler.POLLING).set(null);
        ctx.channel().attr(Drain.WAKE).set(null);
        if (timeout != null) {
            timeout.cancel(false);
        }
        place.release();
        ServerStats.of(ctx.channel()).followerEnded(ServerStats.FollowerKind.LONG_POLL, null);
        ctx.executor().execute(request::release);
        return true;
    }
}
