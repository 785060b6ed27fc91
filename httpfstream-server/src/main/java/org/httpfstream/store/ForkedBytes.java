package org.httpfstream.store;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The rule of a stream kept as one growable byte array whose fork holds only its own bytes (the memory
 * store's streams, the NATS store's views): a read below the fork point goes to the source, a read
 * above it to the array, whose first byte is at the fork point; the array grows by copying.
 *
 * <p>Written here rather than taken from a library: it is a few lines over the stores' own fields, and
 * both stores must keep those fields (volatile, read in a set order) themselves.
 *
 * <p>Thread safety: stateless; the caller passes what it read of its fields, in the order its own
 * Javadoc requires (the committed length before the array).
 */
public final class ForkedBytes {
    private ForkedBytes() {
    }

    /**
     * Reads committed bytes at {@code position} into {@code dst}, as {@link
     * java.nio.channels.FileChannel#read}: below {@code base} from {@code source} (at most up to {@code
     * base}), else from {@code data}, whose first byte is at {@code base}.
     *
     * @param end the committed length, read before {@code data}
     * @param source the fork's source; only called when {@code position < base}
     * @return the bytes read, -1 at or past {@code end}
     */
    public static int read(long position, ByteBuffer dst, long end, long base, byte[] data, Follower.Reader source)
            throws IOException {
        if (position >= end) {
            return -1;
        }
        if (position < base) {
            ByteBuffer part = dst.slice();
            part.limit((int) Math.min(part.remaining(), base - position));
            int n = source.read(position, part);
            dst.position(dst.position() + Math.max(n, 0));
            return n;
        }
        int n = (int) Math.min(dst.remaining(), end - position);
        dst.put(data, (int) (position - base), n);
        return n;
    }

    /**
     * A larger copy of {@code data} holding its first {@code used} bytes, with room for at least {@code
     * needed} bytes: twice as long, or {@code needed} if more, but never over {@code max}.
     */
    public static byte[] grown(byte[] data, int used, long needed, long max) {
        byte[] grown = new byte[(int) Math.min(max, Math.max(needed, 2L * data.length))];
        System.arraycopy(data, 0, grown, 0, used);
        return grown;
    }
}
