package org.httpfstream.viewer;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.httpfstream.store.StoredStream;
import org.httpfstream.store.StreamMetadata;

/**
 * Where the viewer reads a stream's bytes: through the storage seam ({@link StoredStream#read}), which
 * every store offers and which reads a Durable Streams fork's inherited bytes from its source, or,
 * where the store keeps the stream in a file, from that file directly (the fast path: one open channel,
 * positional reads, no lookup per read). A fork's own file has a hole below its fork point, so only
 * the bytes from the fork point on are read from it.
 *
 * <p>Thread safety: {@link #read}, {@link #size} and {@link #identity} may be called from any number
 * of threads at once (positional reads); {@link #close} once, when no read is under way.
 */
public final class StreamSource implements Closeable {
    /** What a store without files names every stream's bytes: replacement is seen by its change events. */
    private static final Object IN_MEMORY = "in-memory";

    private final StoredStream stream;
    private final Path file;
    private final FileChannel channel;
    private final long ownFrom;

    private StreamSource(StoredStream stream, Path file, FileChannel channel, long ownFrom) {
        this.stream = stream;
        this.file = file;
        this.channel = channel;
        this.ownFrom = ownFrom;
    }

    /** The bytes of the plain file {@code file} (no store: for tests and tools). */
    public static StreamSource ofFile(Path file) throws IOException {
        return new StreamSource(null, file, FileChannel.open(file, StandardOpenOption.READ), 0);
    }

    /**
     * The bytes of {@code stream}, read from {@code file} where the store keeps them there (null: the
     * store has no files, read through the seam).
     *
     * @throws java.nio.file.NoSuchFileException if the stream does not exist
     */
    public static StreamSource of(StoredStream stream, Path file) throws IOException {
        if (file == null) {
            stream.committedLength(); // fails if there is no such stream
            return new StreamSource(stream, null, null, Long.MAX_VALUE);
        }
        Optional<StreamMetadata> m = stream.publishedMetadata();
        long forkPoint = m.isPresent() && m.get().fork() != null ? m.get().fork().position() : 0;
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        return new StreamSource(stream, file, channel, forkPoint);
    }

    /** Reads bytes at {@code position} into {@code dst}, as {@link FileChannel#read(ByteBuffer, long)}. */
    public int read(long position, ByteBuffer dst) throws IOException {
        if (channel != null && position >= ownFrom) {
            return channel.read(dst, position);
        }
        ByteBuffer part = dst;
        if (channel != null) { // a fork: the seam reads its source, never past the fork point
            part = dst.slice();
            part.limit((int) Math.min(part.remaining(), ownFrom - position));
        }
        int n = stream.read(position, part);
        if (n > 0 && part != dst) {
            dst.position(dst.position() + n);
        }
        return n;
    }

    /** The bytes readers may see now. */
    public long size() throws IOException {
        return stream != null ? stream.committedLength() : channel.size();
    }

    /**
     * What the bytes at the stream's name are: another value once the stream was deleted and made
     * again (a file store: the file's identity; a store without files: always the same value, its
     * deletions are seen by the store's change events).
     */
    public Object identity() throws IOException {
        return file == null ? IN_MEMORY : IndexFiles.fileKey(file);
    }

    /** True if the index's data of these bytes lives in files (else on the heap). */
    boolean inFile() {
        return file != null;
    }

    @Override
    public void close() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // a read-only channel: nothing is lost
            }
        }
    }
}
