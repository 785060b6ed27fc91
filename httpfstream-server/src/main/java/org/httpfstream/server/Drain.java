package org.httpfstream.server;

import org.httpfstream.server.connection.DrainHandler;
import org.httpfstream.server.follow.FollowerHandler;
import org.httpfstream.server.ws.AppendHandler;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ServerChannel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The graceful drain of a closing server, before its connections are cut. In order:
 *
 * <ol>
 *   <li>The listeners close: new connections are refused from here on.
 *   <li>Each connection, on its own event loop: a live reader ({@link FollowerHandler}) is ended at once
 *       with its resume offset — a WebSocket follower with Close 1001, a {@code ?follow} response with
 *       its last chunk and the trailers {@code Stream-Next-Offset} and {@code Stream-Writer-Active:
 *       true}, an SSE response with a last {@code control} event holding {@code streamNextOffset}; a
 *       waiting long-poll is answered as its timeout would be (204 with {@code Stream-Next-Offset}); an
 *       HTTP connection answers the requests it has read, {@code POST}s waiting for their sync included,
 *       and closes ({@link DrainHandler}); an idle one closes now; an HTTP/2 connection sends GOAWAY and
 *       closes once its streams, each drained like a connection, have ended. Appenders are left to finish.
 *   <li>It waits until every connection has closed, at most the drain timeout, or until {@link #force()}.
 * </ol>
 *
 * What is left after that (appenders still appending) the server ends as before: Close 1001, every byte
 * received kept. The store stays open throughout, so syncs in progress finish.
 *
 * <p>Thread safety: thread safe. {@link #begin()} admits one drain; {@link #draining()} and {@link
 * #force()} may be called from any thread.
 */
public final class Drain {
    private static final Logger LOG = LoggerFactory.getLogger(Drain.class);

    /**
     * Set on a channel while something on it waits that the drain should end now (a long-poll): run on
     * the channel's event loop, it answers. Cleared by whoever ends the wait.
     */
    public static final AttributeKey<Runnable> WAKE = AttributeKey.valueOf("httpfstream.drain.wake");

    private final AtomicBoolean begun = new AtomicBoolean();
    private final CompletableFuture<Void> forced = new CompletableFuture<>();
    private volatile boolean draining;

    /** True from {@link #begin()} on: the server no longer accepts connections and is ending them. */
    boolean draining() {
        return draining;
    }

    /** Marks the drain begun; true for the one caller that should {@link #run} it. */
    boolean begin() {
        if (!begun.compareAndSet(false, true)) {
            return false;
        }
        draining = true;
        return true;
    }

    /** Ends the wait of {@link #run} now (a second SIGTERM, a second close). Idempotent. */
    void force() {
        forced.complete(null);
    }

    /**
     * Runs the drain over {@code channels} (listeners and connections), as the class comment says. Blocks.
     *
     * @return true if every connection ended within {@code timeout}; false if some are still open
     */
    boolean run(Iterable<Channel> channels, Duration timeout) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        for (Channel ch : channels) {
            if (ch instanceof ServerChannel) {
                ch.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
        }
        List<Channel> open = new ArrayList<>();
        for (Channel ch : channels) {
            if (!(ch instanceof ServerChannel) && ch.isOpen()) {
                open.add(ch);
            }
        }
        CompletableFuture<Void> allClosed = new CompletableFuture<>();
        AtomicInteger left = new AtomicInteger(open.size() + 1);
        Kinds kinds = new Kinds();
        // HTTP/2 connections last: their streams' channels share their event loop, so each stream is drained
        // (its reader told where to resume) before its connection's GOAWAY goes out behind it.
        open.sort(java.util.Comparator.comparing(ch -> ch.pipeline().get(Http2FrameCodec.class) != null));
        for (Channel ch : open) {
            ch.eventLoop().execute(() -> drain(ch, kinds));
            ch.closeFuture().addListener(f -> {
                if (left.decrementAndGet() == 0) {
                    allClosed.complete(null);
                }
            });
        }
        if (left.decrementAndGet() == 0) {
            allClosed.complete(null);
        }
        LOG.info("draining: {} connections, waiting up to {} ms for appenders and answers", open.size(),
                timeout.toMillis());
        boolean done;
        try {
            CompletableFuture.anyOf(allClosed, forced)
                    .get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            done = allClosed.isDone();
        } catch (TimeoutException | ExecutionException e) {
            done = allClosed.isDone();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            done = allClosed.isDone();
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        if (done) {
            LOG.info("drained in {} ms ({} followers, {} long-polls, {} HTTP connections ended)", millis,
                    kinds.followers.get(), kinds.polls.get(), kinds.http.get());
        } else {
            LOG.info("drain {} after {} ms: ending {} connections still open (appenders get Close 1001, every "
                    + "byte received is kept)", forced.isDone() ? "forced" : "timed out", millis, left.get());
        }
        return done;
    }

    /** Ends what should end now on one connection. On its event loop. */
    private static void drain(Channel ch, Kinds kinds) {
        ChannelPipeline p = ch.pipeline();
        FollowerHandler follower = p.get(FollowerHandler.class);
        if (follower != null) {
            kinds.followers.incrementAndGet();
            follower.goAway();
            return;
        }
        if (p.get(AppendHandler.class) != null) {
            return; // the appender may finish
        }
        Http2FrameCodec h2 = p.get(Http2FrameCodec.class);
        if (h2 != null) {
            // An HTTP/2 connection: its streams are drained as channels of their own; the GOAWAY goes out
            // once none is active any more (a client may fail every stream still open when it arrives).
            kinds.http.incrementAndGet();
            closeWhenIdle(ch, h2);
            return;
        }
        ChannelHandlerContext http = p.context(DrainHandler.class);
        if (http != null) {
            kinds.http.incrementAndGet();
            ((DrainHandler) http.handler()).drain(http);
        }
        Runnable wake = ch.attr(WAKE).getAndSet(null);
        if (wake != null) {
            kinds.polls.incrementAndGet();
            wake.run();
        }
    }

    /** Closes an HTTP/2 connection once it has no active stream; looks again every 10 ms. On its event loop. */
    private static void closeWhenIdle(Channel ch, Http2FrameCodec h2) {
        if (!ch.isOpen()) {
            return;
        }
        if (h2.connection().numActiveStreams() == 0) {
            ch.close();
        } else {
            ch.eventLoop().schedule(() -> closeWhenIdle(ch, h2), 10, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * After the drain: ends every live reader ({@link FollowerHandler#goAway}, Close 1001) first, so
     * that followers learn the server went away rather than see the append sessions end, which would
     * look like a normal end of their streams; then every append session ({@link AppendHandler#goAway},
     * Close 1001 too, so that appenders know their append did not end as they asked). Each on its
     * channel's event loop; waits at most 5 s for each.
     */
    static void endSessions(Iterable<Channel> channels) {
        List<Future<?>> followers = new ArrayList<>();
        for (Channel ch : channels) {
            FollowerHandler follower = ch.pipeline().get(FollowerHandler.class);
            if (follower != null) {
                followers.add(ch.eventLoop().submit(follower::goAway));
            }
        }
        awaitAll(followers);
        List<Future<?>> appenders = new ArrayList<>();
        for (Channel ch : channels) {
            ChannelHandlerContext appender = ch.pipeline().context(AppendHandler.class);
            if (appender != null) {
                appenders.add(ch.eventLoop().submit(() -> ((AppendHandler) appender.handler()).goAway(appender)));
            }
        }
        awaitAll(appenders);
    }

    private static void awaitAll(List<Future<?>> futures) {
        for (Future<?> f : futures) {
            f.awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /** What the drain ended, for its log line. */
    private static final class Kinds {
        final AtomicInteger followers = new AtomicInteger();
        final AtomicInteger polls = new AtomicInteger();
        final AtomicInteger http = new AtomicInteger();
    }
}
