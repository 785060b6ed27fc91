package org.httpfstream.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.httpfstream.store.Follower;
import org.httpfstream.store.Storage;
import org.httpfstream.store.StoredStream;

/**
 * The committed bytes of a stream read through the storage seam, whatever store keeps it: the check the
 * server, client and command-line tests share, so that one test runs against the files and the memory
 * store alike; and the text of a range of it, read through a stream or a follower, each read asserted
 * to return bytes (the stores' contract test and the NATS store's own tests).
 *
 * <p>Thread safety: stateless.
 */
public final class StoredBytes {
    private StoredBytes() {
    }

    /** Every committed byte of the stream at {@code path} in {@code storage}. */
    public static byte[] of(Storage storage, String path) throws IOException {
        StoredStream s = storage.stream(path);
        ByteBuffer dst = ByteBuffer.allocate(Math.toIntExact(s.committedLength()));
        while (dst.hasRemaining()) {
            if (s.read(dst.position(), dst) < 0) {
                throw new IOException(path + " is shorter than its committed length");
            }
        }
        return dst.array();
    }

    /** The text of bytes {@code from} to {@code to} of {@code s}; every read must return bytes. */
    public static String read(StoredStream s, long from, long to) throws IOException {
        ByteBuffer dst = ByteBuffer.allocate((int) (to - from));
        while (dst.hasRemaining()) {
            int n = s.read(from + dst.position(), dst);
            assertThat(n).as("read at %d", from + dst.position()).isPositive();
        }
        return new String(dst.array(), UTF_8);
    }

    /** The text of every byte {@code f} holds now; every read must return bytes. */
    public static String readAll(Follower f) throws IOException {
        ByteBuffer dst = ByteBuffer.allocate((int) f.length());
        while (dst.hasRemaining()) {
            assertThat(f.read(dst.position(), dst)).isPositive();
        }
        return new String(dst.array(), UTF_8);
    }
}
