package org.httpfstream.viewer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The line index of one stream: line number to byte offset, and checkpoints of the ANSI SGR state and
 * the open sections every {@value #CHECKPOINT_BYTES} bytes or so, kept in files beside each other
 * (see {@link IndexFiles}) so that its size on the heap does not grow with the log: line {@code N}'s
 * offset is one positional read of 8 bytes, its state a binary search over the fixed-width checkpoint
 * entries plus a scan of at most a few KiB from the checkpoint before it ({@link #position}).
 *
 * <p>The index is built incrementally: {@link #catchUp} scans the bytes committed since the last call
 * and appends their entries. On disk it is valid up to its last checkpoint, which the header names
 * with the stream's file identity and a checksum of the bytes before it; {@link #open} resumes from
 * there, and rebuilds from the start when the header is missing, torn, or names another file or other
 * bytes (the stream was replaced or cut).
 *
 * <p>Written here rather than kept in an embedded database (SQLite, MapDB, RocksDB): the index is
 * append-only, fixed-width and rebuildable from the log, so three plain files read positionally do the
 * whole job with no dependency, no page cache of their own, and nothing on the heap per line.
 *
 * <p>Thread safety: {@link #catchUp} and {@link #close} are synchronized on this index (one writer);
 * readers ({@link #lineCount}, {@link #lineStart}, {@link #position}) take no lock: they read the
 * immutable {@link Published} snapshot and only entries below its counts, which are in the files
 * before the snapshot is published.
 */
public final class LineIndex implements Closeable {
    /** A checkpoint is taken at the first possible point this many bytes after the previous one. */
    static final int CHECKPOINT_BYTES = 4096;
    private static final int READ_BUFFER = 256 * 1024;
    private static final int ENTRY = 8;
    static final int CHECKPOINT = 24;
    private static final long MID_LINE = 1L << 63;

    /** What readers may use: everything below these counts is in the files. */
    record Published(long length, long lineStarts, long checkpoints) {}

    private final Object fileKey;
    private final IndexFiles files;
    /** Guarded by this. */
    private final LogScanner scanner = new LogScanner();
    /** Guarded by this: line starts not yet written, 8 bytes each. */
    private final ByteBuffer pendingStarts = ByteBuffer.allocate(64 * 1024);
    /** Guarded by this. */
    private long lineStarts;
    /** Guarded by this. */
    private long checkpoints;
    /** Guarded by this. */
    private long lastCheckpoint;
    /** Guarded by this: the bytes of the last saved state and where they are, to share equal states. */
    private byte[] lastState = new byte[0];
    private long lastStatePosition = -1;
    private volatile Published published;

    private LineIndex(Object fileKey, IndexFiles files) {
        this.fileKey = fileKey;
        this.files = files;
    }

    /**
     * Opens the index of {@code stream}, whose files start with {@code base}: resumes the saved index
     * if it is still the stream's, else starts a new one. Nothing is scanned yet: see {@link #catchUp}.
     */
    public static LineIndex open(Path stream, Path base) throws IOException {
        return open(StreamSource.ofFile(stream), base);
    }

    /**
     * Opens the index of the bytes of {@code source} (which it takes over and closes), in files that start
     * with {@code base}, or on the heap if {@code base} is null (a store without files: built afresh).
     */
    public static LineIndex open(StreamSource source, Path base) throws IOException {
        Object key;
        try {
            key = source.identity();
        } catch (IOException | RuntimeException e) {
            source.close();
            throw e;
        }
        IndexFiles files = IndexFiles.open(source, base);
        LineIndex index = new LineIndex(key, files);
        try {
            if (!index.resume()) {
                index.restart();
            }
        } catch (IOException | RuntimeException e) {
            files.close();
            throw e;
        }
        return index;
    }

    /** True if this index still describes the stream's bytes (not replaced, not cut below what it read). */
    public boolean current() throws IOException {
        StreamSource source = files.source();
        return source.identity().equals(fileKey) && source.size() >= published.length();
    }

    private boolean resume() throws IOException {
        IndexFiles.Header h = files.readHeader();
        if (h == null || !h.fileKey().equals(String.valueOf(fileKey)) || h.checkpoints() < 1
                || files.checkpointBytes() < h.checkpoints() * CHECKPOINT) {
            return false;
        }
        long[] ck = checkpoint(h.checkpoints() - 1);
        long offset = ck[0];
        long line = ck[1] & ~MID_LINE;
        if (offset > files.sourceSize() || files.lineStartBytes() < line * ENTRY
                || files.crcBefore(offset) != h.crc()) {
            return false;
        }
        Sgr sgr = new Sgr();
        Sections sections = new Sections();
        int stateLength = files.readState(ck[2], sgr, sections);
        files.truncate(line * ENTRY, h.checkpoints() * CHECKPOINT, ck[2] + stateLength);
        scanner.resume(offset, line, (ck[1] & MID_LINE) != 0, sgr, sections);
        lineStarts = line;
        checkpoints = h.checkpoints();
        lastCheckpoint = offset;
        lastStatePosition = ck[2];
        lastState = files.stateBytes(ck[2], stateLength);
        published = new Published(offset, lineStarts, checkpoints);
        return true;
    }

    private void restart() throws IOException {
        files.truncate(0, 0, 0);
        scanner.resume(0, 1, false, new Sgr(), new Sections());
        pendingStarts.clear();
        pendingStarts.putLong(0);
        lineStarts = 1;
        checkpoints = 0;
        lastState = new byte[0];
        lastStatePosition = -1;
        addCheckpoint();
        flush();
        published = new Published(0, lineStarts, checkpoints);
    }

    /** Bytes of the stream this index has read. */
    public long indexedLength() {
        return published.length();
    }

    /**
     * Reads the stream's bytes from where it stopped up to {@code committed} (the stream's committed
     * length) and indexes them; returns at once if there is nothing new. Blocks while it reads.
     */
    public synchronized void catchUp(long committed) throws IOException {
        long from = scanner.offset();
        if (committed <= from) {
            return;
        }
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(READ_BUFFER, committed - from));
        LogScanner.Sink sink = new LogScanner.Sink() {
            @Override
            public void lineStart(long line, long offset) {
                addLineStart(offset);
            }

            @Override
            public void checkpointable(LogScanner s) {
                if (s.offset() - lastCheckpoint >= CHECKPOINT_BYTES) {
                    addCheckpoint();
                }
            }
        };
        long position = from;
        while (position < committed) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), committed - position));
            int n = files.readSource(buffer, position);
            if (n <= 0) {
                break; // the file is shorter than said: index what is there
            }
            scanner.feed(buffer.array(), 0, n, sink);
            position += n;
        }
        flush();
        published = new Published(scanner.offset(), lineStarts, checkpoints);
    }

    private void addLineStart(long offset) {
        if (!pendingStarts.hasRemaining()) {
            flushStarts();
        }
        pendingStarts.putLong(offset);
        lineStarts++;
    }

    private void flushStarts() {
        try {
            pendingStarts.flip();
            files.appendLineStarts(pendingStarts);
            pendingStarts.clear();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void addCheckpoint() {
        try {
            byte[] state = state(scanner.sgr(), scanner.sections());
            if (!Arrays.equals(state, lastState)) {
                lastStatePosition = files.appendState(state);
                lastState = state;
            }
            long line = scanner.line() | (scanner.midLine() ? MID_LINE : 0);
            files.appendCheckpoint(scanner.offset(), line, lastStatePosition);
            checkpoints++;
            lastCheckpoint = scanner.offset();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes what is pending, then the header that names the last checkpoint. */
    private void flush() throws IOException {
        try {
            flushStarts();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        files.flushCheckpoints();
        long[] last = checkpoint(checkpoints - 1);
        files.writeHeader(new IndexFiles.Header(String.valueOf(fileKey), checkpoints, files.crcBefore(last[0])));
    }

    private static byte[] state(Sgr sgr, Sections sections) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(32);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            sgr.write(out);
            sections.write(out);
        }
        return bytes.toByteArray();
    }

    /** The saved state at {@code position}, {@code length} bytes, into {@code sgr} and {@code sections}. */
    static void readState(byte[] bytes, Sgr sgr, Sections sections) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            sgr.read(in);
            sections.read(in);
        }
    }

    /** Lines in the indexed bytes, an unterminated last line counted. */
    public long lineCount() throws IOException {
        Published p = published;
        if (p.length() == 0) {
            return 0;
        }
        return lineStartAt(p.lineStarts()) < p.length() ? p.lineStarts() : p.lineStarts() - 1;
    }

    /** The byte offset where line {@code line} (1-based, at most {@link #lineCount()} + 1) starts. */
    public long lineStart(long line) throws IOException {
        Published p = published;
        if (line < 1 || line > p.lineStarts() + 1) {
            throw new IllegalArgumentException("line out of range: " + line);
        }
        return line > p.lineStarts() ? p.length() : lineStartAt(line);
    }

    private long lineStartAt(long line) throws IOException {
        return files.readLineStart((line - 1) * ENTRY);
    }

    /** The offset, line (with {@link #MID_LINE}) and state position of checkpoint {@code i}. */
    private long[] checkpoint(long i) throws IOException {
        return files.readCheckpoint(i * CHECKPOINT);
    }

    /** Line {@code line}'s start, the SGR sequence that restores its ANSI state, and its open sections. */
    public record Position(long line, long offset, String sgr, List<Section> sections) {}

    /**
     * Where line {@code line} (1-based, at most {@link #lineCount()}) starts, with the ANSI state and the
     * sections open there: from the checkpoint before it plus a scan of the bytes in between.
     */
    public Position position(long line) throws IOException {
        return stateAt(line, lineStart(line));
    }

    /** The state at byte {@code offset} (at most {@link #indexedLength()}), inside line {@code line}. */
    public Position stateAt(long line, long offset) throws IOException {
        long lo = 0;
        long hi = published.checkpoints() - 1;
        while (lo < hi) { // the last checkpoint at or before the offset
            long mid = (lo + hi + 1) >>> 1;
            if (checkpoint(mid)[0] <= offset) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        long[] ck = checkpoint(lo);
        Sgr sgr = new Sgr();
        Sections sections = new Sections();
        files.readState(ck[2], sgr, sections);
        LogScanner s = new LogScanner();
        s.resume(ck[0], ck[1] & ~MID_LINE, (ck[1] & MID_LINE) != 0, sgr, sections);
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(READ_BUFFER, Math.max(1, offset - ck[0])));
        LogScanner.Sink none = (l, o) -> { };
        for (long p = ck[0]; p < offset;) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), offset - p));
            int n = files.readSource(buffer, p);
            if (n <= 0) {
                break;
            }
            s.feed(buffer.array(), 0, n, none);
            p += n;
        }
        return new Position(line, offset, s.sgr().escape(), s.sections().open());
    }

    /** The stream's bytes, open for reading (owned by this index: do not close). */
    public StreamSource source() {
        return files.source();
    }

    @Override
    public synchronized void close() {
        files.close();
    }

    /** Deletes every file of the index at {@code base} (for tests and for removed streams). */
    static void delete(Path base) throws IOException {
        IndexFiles.delete(base);
    }
}
