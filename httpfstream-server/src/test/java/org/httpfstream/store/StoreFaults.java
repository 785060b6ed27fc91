package org.httpfstream.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Test support: injects write and sync failures into a {@link StreamStore}'s appends through its file
 * operations seam, as a full disk would make them: a failing write first writes part of its bytes for
 * real (the kernel may write some before it runs out of space), then throws "No space left on device".
 *
 * <p>Thread safety: the switches are volatile; the store's writers call it from any thread.
 */
public final class StoreFaults implements StreamStore.FileOps {
    private volatile boolean failWrites;
    private volatile boolean failSyncs;

    private StoreFaults() {
    }

    /** Installs a new, inactive fault injector in {@code store}. */
    public static StoreFaults install(StreamStore store) {
        StoreFaults f = new StoreFaults();
        store.fileOps(f);
        return f;
    }

    /** Makes every write fail (after writing about half of its bytes), or work again. */
    public StoreFaults failWrites(boolean fail) {
        this.failWrites = fail;
        return this;
    }

    /** Makes every sync of a stream's bytes fail, or work again (fsync only). */
    public StoreFaults failSyncs(boolean fail) {
        this.failSyncs = fail;
        return this;
    }

    @Override
    public long write(Path file, FileChannel channel, ByteBuffer[] srcs) throws IOException {
        if (!failWrites) {
            return channel.write(srcs);
        }
        for (ByteBuffer b : srcs) { // the torn part: some of the bytes reach the file before the failure
            if (b.remaining() > 1) {
                ByteBuffer half = b.duplicate();
                half.limit(half.position() + b.remaining() / 2);
                channel.write(half);
                break;
            }
        }
        throw new IOException("No space left on device");
    }

    @Override
    public void force(Path file, FileChannel channel) throws IOException {
        if (failSyncs) {
            throw new IOException("Input/output error");
        }
        channel.force(false);
    }
}
