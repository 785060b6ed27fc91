package org.httpfstream.durable;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Optional;
import org.httpfstream.durable.DurableStreams.Extent;
import org.httpfstream.durable.DurableStreams.Snapshot;
import org.httpfstream.store.Follower;
import org.httpfstream.store.StreamMetadata;

/**
 * Catch-up reads: how much of a stream one response carries (everything, or about a cap, in whole
 * JSON messages) and the read handle that sends it.
 *
 * <p>Thread safety: stateless.
 */
final class Reads {
    private static final int BLOCK = 64 * 1024;

    private Reads() {
    }

    /**
     * Opens a catch-up read of {@code s} from {@code from}, capped at about {@code max} bytes (0: no cap).
     * The extent holds the stream's file channel if the store offers one (the caller closes it).
     */
    static Extent open(Snapshot s, long from, long max) throws IOException {
        StreamMetadata.Fork fork = s.metadata().fork();
        // a fork's file has a hole below the fork point (those bytes are its source's): from there, no channel
        Optional<FileChannel> channel = fork != null && from < fork.position() ? Optional.empty()
                : s.stream().openChannel();
        FileChannel ch = channel.orElse(null);
        try {
            Follower.Reader reader = ch != null ? (at, dst) -> ch.read(dst, at) : s.stream()::read;
            long end = s.tail();
            if (max > 0 && end - from > max) {
                end = from + max;
                if (s.metadata().json()) {
                    end = messageEnd(reader, from, end, s.tail());
                }
            }
            return new Extent(s, from, end, ch);
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                ch.close();
            }
            throw e;
        }
    }

    /**
     * The end of the last whole line of {@code [from, end)}, or if it holds no line end, the end of the
     * line that starts at {@code from} (at most {@code tail}). Reads at most a block past the cap.
     */
    private static long messageEnd(Follower.Reader ch, long from, long end, long tail) throws IOException {
        ByteBuffer block = ByteBuffer.allocate(BLOCK);
        for (long hi = end; hi > from; ) { // backwards from end
            long lo = Math.max(from, hi - block.capacity());
            readFully(ch, block, lo, (int) (hi - lo));
            for (int i = (int) (hi - lo) - 1; i >= 0; i--) {
                if (block.get(i) == '\n') {
                    return lo + i + 1;
                }
            }
            hi = lo;
        }
        for (long lo = end; lo < tail; ) { // one message longer than the cap: forwards to its end
            int n = (int) Math.min(block.capacity(), tail - lo);
            readFully(ch, block, lo, n);
            for (int i = 0; i < n; i++) {
                if (block.get(i) == '\n') {
                    return lo + i + 1;
                }
            }
            lo += n;
        }
        return tail;
    }

    private static void readFully(Follower.Reader ch, ByteBuffer block, long position, int n) throws IOException {
        block.clear().limit(n);
        while (block.hasRemaining()) {
            if (ch.read(position + block.position(), block) < 0) {
                throw new IOException("stream shorter than its committed length");
            }
        }
    }

    /** The bytes {@code [from, end)}. */
    static byte[] readRange(Follower.Reader ch, long from, long end) throws IOException {
        ByteBuffer dst = ByteBuffer.allocate((int) (end - from));
        while (dst.hasRemaining()) {
            if (ch.read(from + dst.position(), dst) < 0) {
                throw new IOException("stream shorter than its committed length");
            }
        }
        return dst.array();
    }
}
