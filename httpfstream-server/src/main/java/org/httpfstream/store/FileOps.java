package org.httpfstream.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * The file operations of appends: a seam for tests, which inject write and sync failures (a full
 * disk) with it. Production writes through {@link FileOps#DIRECT}.
 *
 * <p>Thread safety: implementations are called by any writer's thread and must be thread safe.
 */
interface FileOps {
    /** Writes straight to the channel. */
    FileOps DIRECT = new FileOps() {
        @Override
        public long write(Path file, FileChannel channel, ByteBuffer[] srcs) throws IOException {
            return channel.write(srcs);
        }

        @Override
        public void force(Path file, FileChannel channel) throws IOException {
            channel.force(false);
        }
    };

    /** One gathering write of {@code srcs} at the channel's position, as {@link FileChannel#write}. */
    long write(Path file, FileChannel channel, ByteBuffer[] srcs) throws IOException;

    /** Forces {@code channel}'s bytes to stable storage, as {@link FileChannel#force}{@code (false)}. */
    void force(Path file, FileChannel channel) throws IOException;
}

