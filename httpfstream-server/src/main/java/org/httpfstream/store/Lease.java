package org.httpfstream.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * What the holder of a stream's single-writer lease may do: append, learn where the stream ends, and
 * stage metadata that is to be committed with what it appended. Valid only inside {@link
 * StoredStream#withLease}; not to be kept.
 *
 * <p>Thread safety: not thread safe; used by the thread that holds the lease.
 */
public interface Lease {

    /**
     * Appends every remaining byte of {@code srcs}, in order, all or nothing. Returns a future of the
     * stream's length after these bytes, completed once they are committed (visible to readers; with
     * durable writes on stable storage or acknowledged); a failure to commit completes it
     * exceptionally, and the bytes are then never visible.
     *
     * @throws StreamTooLargeException if the stream would pass the store's size limit
     * @throws InsufficientStorageException if the bytes could not be stored
     * @throws java.nio.channels.ClosedChannelException if the stream was deleted meanwhile
     */
    CompletableFuture<Long> append(ByteBuffer... srcs) throws IOException;

    /** The bytes an append of {@code srcs} adds: the sum of their remaining bytes. */
    static long remaining(ByteBuffer[] srcs) {
        long n = 0;
        for (ByteBuffer b : srcs) {
            n += b.remaining();
        }
        return n;
    }

    /**
     * Begins this new, empty stream with the first {@code length} bytes of {@code source} by reference,
     * copying none: reads below {@code length} go to the source, whose bytes the caller keeps (the
     * Durable Streams rules keep a forked source's bytes until its last fork is gone). The fork's
     * metadata names the source and {@code length} ({@link StreamMetadata#fork()}); the file store
     * finds the reference there, also after a restart. Afterwards {@link #written()} is {@code length}
     * and the next append goes there.
     *
     * @throws IllegalStateException if the stream is not empty
     */
    void reference(StoredStream source, long length) throws IOException;

    /**
     * Cuts the stream back to {@code length}: recovery of bytes a crash left that were never
     * acknowledged, before readers see them (see {@link StreamMetadata#length()}).
     *
     * @throws IllegalArgumentException if {@code length} is negative or past {@link #written()}
     */
    void cut(long length) throws IOException;

    /** Every byte appended so far, committed or not: where the next append goes. */
    long written();

    /**
     * Sets the stream's latest metadata now (the writers' view) and has it committed with the bytes
     * appended under this lease: never later than {@link StoredStream#flushMetadata()} or the next
     * barrier.
     */
    void stageMetadata(StreamMetadata metadata) throws IOException;

    /**
     * Undoes the creation of the stream this lease created (a failed create): closes it for writers and
     * removes its bytes and metadata.
     */
    void abandon() throws IOException;
}
