package org.httpfstream.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocal;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.IdentityHashMap;
import java.util.Map;
import org.httpfstream.store.Follower;

/**
 * Reads of a live stream's file, shared among the followers of one event loop. After an append, every
 * caught-up follower wants the same new bytes: the first one reads them from the file into a block and
 * leaves the block here; the others get slices of it instead of a read (and a copy) each. Only the
 * newest block of each append session is kept, and only by the follower that is furthest ahead: a
 * follower that lags behind it reads the file on its own and does not evict it.
 *
 * <p>Committed bytes of an append session never change, so a block read once stays true for as long
 * as the session lives; subscriptions over a file whoever writes it (Durable Streams) are never shared,
 * because a stream can be deleted and created again under the same file.
 *
 * <p>Thread safety: every method must be called on an event loop thread; each thread has its own map,
 * so no state is shared between threads (the blocks' reference counts are atomic, as every {@code
 * ByteBuf}'s). A follower that added a block {@linkplain #forget forgets} its session when it stops,
 * so no block outlives the last of its readers on that thread.
 */
public final class TailBlocks {
    private static final FastThreadLocal<Map<Object, Block>> BLOCKS = new FastThreadLocal<>() {
        @Override
        protected Map<Object, Block> initialValue() {
            return new IdentityHashMap<>();
        }
    };

    /** Bytes [start, start + buf.readableBytes()) of a session's file; the map's own reference. */
    private record Block(long start, ByteBuf buf) {
        long end() {
            return start + buf.readableBytes();
        }
    }

    private TailBlocks() {}

    /**
     * Returns a buffer holding bytes {@code [position, position + k)} of {@code subscription}'s stream,
     * with {@code 1 <= k <= max}; the caller owns (must release) it and may change its indexes but not
     * its bytes. Every byte below {@code position + max} must be committed. Unless {@code share}, the
     * buffer holds exactly {@code max} bytes and is the caller's alone.
     *
     * @throws IOException if the file cannot be read or is shorter than its committed length
     */
    public static ByteBuf read(Follower subscription, boolean share, ByteBufAllocator alloc, long position,
            int max) throws IOException {
        Object session = subscription.sharingKey();
        if (session == null || !share) {
            return readFile(subscription, alloc, position, max);
        }
        Map<Object, Block> blocks = BLOCKS.get();
        Block block = blocks.get(session);
        if (block != null && block.start() <= position && position < block.end()) {
            int k = (int) Math.min(max, block.end() - position);
            return block.buf().retainedSlice((int) (position - block.start()), k);
        }
        ByteBuf buf = readFile(subscription, alloc, position, max);
        if (block == null || position > block.start()) { // the newest bytes: worth sharing
            blocks.put(session, new Block(position, buf.retainedDuplicate()));
            if (block != null) {
                block.buf().release();
            }
        }
        return buf;
    }

    /** Drops this thread's block of {@code session} (a {@link Follower#sharingKey()}), if any. */
    public static void forget(Object session) {
        if (session == null) {
            return;
        }
        Block block = BLOCKS.get().remove(session);
        if (block != null) {
            block.buf().release();
        }
    }

    /** Blocks held by the calling thread (for tests). */
    static int held() {
        return BLOCKS.get().size();
    }

    private static ByteBuf readFile(Follower subscription, ByteBufAllocator alloc, long position, int n)
            throws IOException {
        ByteBuf buf = alloc.ioBuffer(n);
        try {
            ByteBuffer dst = buf.nioBuffer(0, n);
            while (dst.hasRemaining()) {
                if (subscription.read(position + dst.position(), dst) < 0) {
                    throw new IOException("file shorter than its committed length");
                }
            }
            buf.writerIndex(n);
            return buf;
        } catch (IOException | RuntimeException e) {
            buf.release();
            throw e;
        }
    }
}
