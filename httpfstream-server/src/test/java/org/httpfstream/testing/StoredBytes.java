package org.httpfstream.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.httpfstream.store.Storage;
import org.httpfstream.store.StoredStream;

/**
 * The committed bytes of a stream read through the storage seam, whatever store keeps it: the check the
 * server, client and command-line tests share, so that one test runs against the files and the memory
 * store alike.
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
}
