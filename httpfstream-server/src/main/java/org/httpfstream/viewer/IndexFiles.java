package org.httpfstream.viewer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * The files of one {@link LineIndex}, all starting with one base path under the metadata folder:
 * {@code .lines} (the start offset of every line, 8 bytes each, line 1 first), {@code .ckpt} (the
 * checkpoints, {@value LineIndex#CHECKPOINT} bytes each: offset, line, position of its state),
 * {@code .state} (the saved states, each once: a length then the SGR state and the open sections) and
 * {@code .head} (which file the index is of, how many checkpoints are valid, and a checksum of the
 * {@value #CRC_BYTES} bytes before the last one). All reads are positional. For a store without files
 * (the memory store) the same three areas are kept on the heap ({@link HeapArea}) and there is no
 * header: such an index does not outlive the server, as its streams do not.
 *
 * <p>Thread safety: appends and truncation come from the index's single writer (under its lock);
 * positional reads are safe from any thread at the same time ({@link FileChannel} allows both, {@link
 * HeapArea} is synchronized).
 */
final class IndexFiles {
    static final int CRC_BYTES = 256;
    private static final int MAGIC = 0x48464c49; // "HFLI"
    private static final int VERSION = 1;
    private static final String[] KINDS = {".lines", ".ckpt", ".state"};
    /** Every name the index makes after its base (the data areas, the header and its temporary file). */
    static final String[] SUFFIXES = {".lines", ".ckpt", ".state", ".head", ".head.tmp"};

    /** What the header says. */
    record Header(String fileKey, long checkpoints, long crc) {}

    /** One data area of the index: positional reads and writes, as {@link FileChannel} has them. */
    interface Area {
        long size() throws IOException;

        int read(ByteBuffer dst, long position) throws IOException;

        int write(ByteBuffer src, long position) throws IOException;

        void truncate(long size) throws IOException;

        void close() throws IOException;
    }

    /** An area in a file. */
    private record FileArea(FileChannel channel) implements Area {
        @Override
        public long size() throws IOException {
            return channel.size();
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return channel.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            return channel.write(src, position);
        }

        @Override
        public void truncate(long size) throws IOException {
            channel.truncate(size);
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /**
     * An area on the heap, for a store without files. Written here, not a library's: a growable byte
     * array with positional access is all it is. Thread safety: synchronized on this (one writer, any
     * number of readers). Guarded by this: {@code bytes}, {@code size}.
     */
    static final class HeapArea implements Area {
        private byte[] bytes = new byte[256];
        private int size;

        @Override
        public synchronized long size() {
            return size;
        }

        @Override
        public synchronized int read(ByteBuffer dst, long position) {
            if (position >= size) {
                return -1;
            }
            int n = (int) Math.min(dst.remaining(), size - position);
            dst.put(bytes, (int) position, n);
            return n;
        }

        @Override
        public synchronized int write(ByteBuffer src, long position) {
            int n = src.remaining();
            long end = position + n;
            if (end > Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("an in-memory line index holds at most 2 GiB: " + end);
            }
            if (end > bytes.length) {
                bytes = Arrays.copyOf(bytes, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(end, 2L * bytes.length)));
            }
            src.get(bytes, (int) position, n);
            size = (int) Math.max(size, end);
            return n;
        }

        @Override
        public synchronized void truncate(long newSize) {
            size = (int) Math.min(size, newSize);
        }

        @Override
        public void close() {
            // nothing held but memory
        }
    }

    /** The three data areas of an index, opened, cut and closed together. */
    private record Areas(Area starts, Area checkpoints, Area states) {
        static Areas onHeap() {
            return new Areas(new HeapArea(), new HeapArea(), new HeapArea());
        }

        void truncate(long startBytes, long checkpointBytes, long stateBytes) throws IOException {
            starts.truncate(startBytes);
            checkpoints.truncate(checkpointBytes);
            states.truncate(stateBytes);
        }

        void close() {
            closeAll(starts, checkpoints, states);
        }
    }

    private final Path base;
    private final StreamSource source;
    private final Areas areas;
    /** Checkpoint entries not yet written; only the index's writer touches it. */
    private final ByteBuffer pendingCheckpoints = ByteBuffer.allocate(LineIndex.CHECKPOINT * 1024);

    private IndexFiles(Path base, StreamSource source, Areas areas) {
        this.base = base;
        this.source = source;
        this.areas = areas;
    }

    /**
     * The index data of {@code source}, in files starting with {@code base}, or on the heap if {@code
     * base} is null. Takes over {@code source} (closed with the index, also if this fails).
     */
    static IndexFiles open(StreamSource source, Path base) throws IOException {
        if (base == null) {
            return new IndexFiles(null, source, Areas.onHeap());
        }
        Area[] opened = new Area[KINDS.length];
        try {
            Files.createDirectories(base.getParent());
            for (int i = 0; i < KINDS.length; i++) {
                opened[i] = new FileArea(FileChannel.open(sibling(base, KINDS[i]), StandardOpenOption.CREATE,
                        StandardOpenOption.READ, StandardOpenOption.WRITE));
            }
        } catch (IOException e) {
            source.close();
            closeAll(opened);
            throw e;
        }
        return new IndexFiles(base, source, new Areas(opened[0], opened[1], opened[2]));
    }

    private static void closeAll(Area... areas) {
        for (Area c : areas) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (IOException e) {
                // nothing to keep: the index is rebuilt if its files are wrong
            }
        }
    }

    private static Path sibling(Path base, String kind) {
        return base.resolveSibling(base.getFileName() + kind);
    }

    static Object fileKey(Path stream) throws IOException {
        BasicFileAttributes a = Files.readAttributes(stream, BasicFileAttributes.class);
        Object key = a.fileKey(); // (device, inode): not reused while this index holds the file open
        return key == null ? "" : key.toString();
    }

    static void delete(Path base) throws IOException {
        for (String kind : SUFFIXES) {
            Files.deleteIfExists(sibling(base, kind));
        }
    }

    StreamSource source() {
        return source;
    }

    long sourceSize() throws IOException {
        return source.size();
    }

    long lineStartBytes() throws IOException {
        return areas.starts().size();
    }

    long checkpointBytes() throws IOException {
        return areas.checkpoints().size();
    }

    /** Cuts the three data files to these sizes. */
    void truncate(long startBytes, long checkpointBytes, long stateBytes) throws IOException {
        pendingCheckpoints.clear();
        areas.truncate(startBytes, checkpointBytes, stateBytes);
    }

    int readSource(ByteBuffer dst, long position) throws IOException {
        return source.read(position, dst);
    }

    void appendLineStarts(ByteBuffer src) throws IOException {
        appendFully(areas.starts(), src);
    }

    /** Writes every remaining byte of {@code src} at the end of {@code area}; returns where they start. */
    private static long appendFully(Area area, ByteBuffer src) throws IOException {
        long start = area.size();
        for (long at = start; src.hasRemaining();) {
            at += area.write(src, at);
        }
        return start;
    }

    long readLineStart(long position) throws IOException {
        return readFully(areas.starts(), ByteBuffer.allocate(8), position).getLong(0);
    }

    /** Appends one checkpoint entry; it reaches the file at the latest with {@link #flushCheckpoints}. */
    void appendCheckpoint(long offset, long line, long statePosition) throws IOException {
        if (pendingCheckpoints.remaining() < LineIndex.CHECKPOINT) {
            flushCheckpoints();
        }
        pendingCheckpoints.putLong(offset).putLong(line).putLong(statePosition);
    }

    void flushCheckpoints() throws IOException {
        pendingCheckpoints.flip();
        appendFully(areas.checkpoints(), pendingCheckpoints);
        pendingCheckpoints.clear();
    }

    long[] readCheckpoint(long position) throws IOException {
        ByteBuffer b = readFully(areas.checkpoints(), ByteBuffer.allocate(LineIndex.CHECKPOINT), position);
        return new long[] {b.getLong(0), b.getLong(8), b.getLong(16)};
    }

    /** Appends one state (its length first); returns where it starts. */
    long appendState(byte[] state) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 + state.length).putInt(state.length).put(state);
        return appendFully(areas.states(), b.flip());
    }

    /** Reads the state at {@code position} into {@code sgr} and {@code sections}; returns its size on disk. */
    int readState(long position, Sgr sgr, Sections sections) throws IOException {
        int length = readFully(areas.states(), ByteBuffer.allocate(4), position).getInt(0);
        if (length < 0 || length > 1 << 20) {
            throw new IOException("corrupt line index state at " + position + " in " + base);
        }
        LineIndex.readState(stateBytes(position, length + 4), sgr, sections);
        return length + 4;
    }

    /** The state at {@code position}, without its length. */
    byte[] stateBytes(long position, int sizeOnDisk) throws IOException {
        ByteBuffer b = readFully(areas.states(), ByteBuffer.allocate(sizeOnDisk), position);
        byte[] bytes = new byte[sizeOnDisk - 4];
        b.position(4);
        b.get(bytes);
        return bytes;
    }

    /** CRC-32 of the up to {@value #CRC_BYTES} bytes of the stream before {@code offset}. */
    long crcBefore(long offset) throws IOException {
        int n = (int) Math.min(CRC_BYTES, offset);
        ByteBuffer b = ByteBuffer.allocate(n);
        for (long p = offset - n; b.hasRemaining();) {
            int read = source.read(p, b);
            if (read < 0) {
                throw new EOFException("stream of " + base + " ends before byte " + p);
            }
            p += read;
        }
        CRC32 crc = new CRC32();
        crc.update(b.array(), 0, n);
        return crc.getValue();
    }

    private ByteBuffer readFully(Area channel, ByteBuffer b, long position) throws IOException {
        for (long p = position; b.hasRemaining();) {
            int n = channel.read(b, p);
            if (n < 0) {
                throw new EOFException("line index of " + base + " ends before byte " + p);
            }
            p += n;
        }
        return b;
    }

    /** The header, or null if it is missing or torn. */
    Header readHeader() throws IOException {
        if (base == null) {
            return null; // on the heap: always built afresh
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(sibling(base, ".head"));
        } catch (NoSuchFileException e) {
            return null;
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            if (in.readInt() != MAGIC || in.readInt() != VERSION) {
                return null;
            }
            return new Header(in.readUTF(), in.readLong(), in.readLong());
        } catch (EOFException e) {
            return null;
        }
    }

    /** Replaces the header (written aside, then moved over the old one). */
    void writeHeader(Header h) throws IOException {
        if (base == null) {
            return;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeUTF(h.fileKey());
            out.writeLong(h.checkpoints());
            out.writeLong(h.crc());
        }
        Path tmp = sibling(base, ".head.tmp");
        Files.write(tmp, bytes.toByteArray());
        Files.move(tmp, sibling(base, ".head"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    void close() {
        source.close();
        areas.close();
    }
}
