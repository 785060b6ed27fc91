package org.httpfstream.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * A long-held single-writer lease on one stream: an original-protocol append session (a WebSocket
 * appender), from {@link StoredStream#startSession()} until {@link #end()}. One per stream across the
 * server; while it is held, another session and every one-operation lease ({@link StoredStream#withLease})
 * are refused with {@link WriterConflictException}.
 *
 * <p>Appends are written as they arrive and need no answer each: {@link #append} hands the bytes to the
 * store and returns; they become <em>committed</em> (readable, {@link #length()} grows, the session's
 * followers are told) when the store has them, which for the file store without fsync is at once, with
 * fsync after the group commit's sync, and for an engine whose appends are asynchronous when it
 * acknowledges them (their offsets are then known). A failure to commit bytes already handed over is
 * thrown by the next {@link #append} and completes {@link #end()} exceptionally; the bytes before the
 * failed ones stay.
 *
 * <p>Followers of a session ({@link #follow}) read committed bytes from their own positions and end once
 * the session has ended and every byte of it is committed: that is the "writer is live" state of the
 * original protocol's reads ({@link StoredStream#session()}).
 *
 * <p>Thread safety: every method may be called from any thread; {@link #append} is meant for the one
 * writer, {@link #end()} may come from another (server shutdown) and never interleaves with an append.
 */
public interface SessionLease {

    /** The request path the session was opened for. */
    String name();

    /**
     * Bytes committed so far, those before the session included: every byte below it can be read. Once
     * the session has ended, never more than the stream held at its end.
     */
    long length();

    /**
     * Where this session's first byte goes: the stream's length when the session started, every byte
     * handed over before it counted (committed or not). A compare-and-append session ({@code
     * Stream-Expected-Offset}) starts only if this is the expected offset; no other writer can append
     * while the session holds the lease.
     */
    long start();

    /** Bytes this session has handed over, committed or not. */
    long appended();

    /** Nanoseconds since the session started. */
    long elapsedNanos();

    /**
     * True once {@link #end()} has run and every byte of the session is committed: {@link #length()} is
     * final.
     */
    boolean ended();

    /**
     * Records that the appender vanished: its connection ended without an end of its append (no Close
     * frame). The viewer says "lost" for such an end. Call before {@link #end()}.
     */
    void vanished();

    /** True if {@link #vanished()} was called. */
    boolean wasVanished();

    /**
     * Appends every remaining byte of {@code srcs}, in order, at the end of the stream, all or nothing.
     * Does not wait for the bytes to be committed (see the class comment).
     *
     * @throws java.nio.channels.ClosedChannelException if the session has ended or the stream was
     *     deleted meanwhile
     * @throws StreamTooLargeException if the stream would pass the store's size limit (nothing of {@code
     *     srcs} is kept)
     * @throws InsufficientStorageException if the bytes cannot be stored, or earlier bytes could not be
     *     committed (they are cut off); end the session then
     * @throws IOException if the bytes cannot be stored otherwise; the bytes already committed stay
     */
    void append(ByteBuffer... srcs) throws IOException;

    /**
     * Ends the session: releases the lease at once (a new appender may start) and tells followers that
     * {@link #length()} is final once every byte of the session is committed. Idempotent; safe from any
     * thread.
     *
     * @return completes when the session's bytes are committed, exceptionally if that failed; for a
     *     store with durable writes on the store's own thread
     */
    CompletableFuture<Void> end();

    /**
     * Follows the session from offset {@code from}, where the follower reads first: {@code listener} is
     * told after each commit and once when the session has ended (at once if it already has); the
     * follower ends with the session. Returns null if the session has ended and can no longer be
     * followed (read the stream itself then). The caller closes the follower.
     *
     * <p>The file and memory stores read on demand at any position and need {@code from} only to check
     * it; a store that pushes bytes to its followers (a subscription on a replicated log) starts there.
     *
     * @throws IllegalArgumentException if {@code from} is negative
     */
    Follower follow(long from, StreamListener listener);

    /**
     * A session's {@link #length()}: the stream's {@code committed} length, but never more than {@code
     * endLength}, the stream's length when the session ended (-1 while it runs).
     */
    static long lengthWithin(long committed, long endLength) {
        return endLength >= 0 && committed > endLength ? endLength : committed;
    }
}
