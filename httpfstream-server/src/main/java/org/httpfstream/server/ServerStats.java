package org.httpfstream.server;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;

/**
 * The transport's counts of one server: connections, bytes on the wire, live readers by kind, appends by
 * protocol, stream bytes sent to live readers, and the live readers themselves (for their lag). The
 * handlers count here with {@link LongAdder} increments only; the metrics endpoint reads the sums when
 * it is scraped. Labels are the fixed {@link FollowerKind}s and {@link AppendProtocol}s, never a stream
 * path. One instance per server; a handler finds it on its channel ({@link #of(Channel)}).
 *
 * <p>Thread safety: safe for use by any thread; counts are {@link LongAdder}s, the live readers a
 * concurrent set.
 */
public final class ServerStats {
    /** How a live reader reads. */
    public enum FollowerKind {
        /** A WebSocket FOLLOW. */
        WEBSOCKET,
        /** A plain-HTTP chunked read, {@code GET …?follow}. */
        FOLLOW,
        /** A Durable Streams long-poll waiting for data. */
        LONG_POLL,
        /** A Durable Streams SSE read. */
        SSE;

        /** The metric label value: the name in lower case. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** How an append came. */
    public enum AppendProtocol {
        /** An httpfstream APPEND session over a WebSocket (counted once per session). */
        WEBSOCKET,
        /** A Durable Streams {@code POST} with a body (counted once answered). */
        HTTP;

        /** The metric label value: the name in lower case. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A live reader whose lag can be read from any thread. */
    public interface Lagging {
        /** Committed bytes not yet sent to this reader; 0 or more. */
        long lag();
    }

    /** Set on every channel of a server by its {@link HttpFStreamInitializer}. */
    static final AttributeKey<ServerStats> KEY = AttributeKey.valueOf("httpfstream.stats");

    /** Counts of handlers used outside an {@link HttpFStreamInitializer} (embedded); read by nobody. */
    private static final ServerStats DETACHED = new ServerStats();

    private final Map<FollowerKind, LongAdder> followers = new EnumMap<>(FollowerKind.class);
    private final Map<AppendProtocol, LongAdder> appends = new EnumMap<>(AppendProtocol.class);
    private final LongAdder accepted = new LongAdder();
    private final LongAdder open = new LongAdder();
    private final LongAdder received = new LongAdder();
    private final LongAdder sent = new LongAdder();
    private final LongAdder followed = new LongAdder();
    private final Set<Lagging> live = ConcurrentHashMap.newKeySet();

    public ServerStats() {
        for (FollowerKind k : FollowerKind.values()) {
            followers.put(k, new LongAdder());
        }
        for (AppendProtocol p : AppendProtocol.values()) {
            appends.put(p, new LongAdder());
        }
    }

    /**
     * The counts of the server that owns {@code channel} (or, for an HTTP/2 stream's channel, its
     * connection); a detached instance if none was set.
     */
    public static ServerStats of(Channel channel) {
        ServerStats s = channel.attr(KEY).get();
        if (s == null && channel.parent() != null) {
            s = channel.parent().attr(KEY).get();
        }
        return s == null ? DETACHED : s;
    }

    public void connectionOpened() {
        accepted.increment();
        open.increment();
    }

    public void connectionClosed() {
        open.decrement();
    }

    public void received(long bytes) {
        received.add(bytes);
    }

    public void sent(long bytes) {
        sent.add(bytes);
    }

    public void followed(long bytes) {
        followed.add(bytes);
    }

    public void followerStarted(FollowerKind kind, Lagging reader) {
        followers.get(kind).increment();
        if (reader != null) {
            live.add(reader);
        }
    }

    public void followerEnded(FollowerKind kind, Lagging reader) {
        followers.get(kind).decrement();
        if (reader != null) {
            live.remove(reader);
        }
    }

    public void appendStarted(AppendProtocol protocol) {
        appends.get(protocol).increment();
    }

    /** TCP connections accepted on the stream port so far, refused ones included. */
    public long connectionsAccepted() {
        return accepted.sum();
    }

    /** TCP connections open on the stream port now. */
    public long connectionsOpen() {
        return open.sum();
    }

    /** Bytes read from clients on the stream port so far (request heads and bodies, WebSocket frames). */
    public long bytesReceived() {
        return received.sum();
    }

    /** Bytes written to clients on the stream port so far (response heads, bodies and frames). */
    public long bytesSent() {
        return sent.sum();
    }

    /** Stream bytes sent to live readers (WebSocket, {@code ?follow}, SSE) so far. */
    public long followedBytes() {
        return followed.sum();
    }

    /** Live readers of {@code kind} now. */
    public long followers(FollowerKind kind) {
        return followers.get(kind).sum();
    }

    /** Appends by {@code protocol} so far. */
    public long appends(AppendProtocol protocol) {
        return appends.get(protocol).sum();
    }

    /**
     * Gives the lag of every live reader that sends from a cursor (WebSocket, {@code ?follow}, SSE) to
     * {@code sink}: committed bytes not yet sent. Costs one look at each reader's stream; for scrapes.
     */
    public void followerLags(LongConsumer sink) {
        for (Lagging l : live) {
            sink.accept(l.lag());
        }
    }
}
