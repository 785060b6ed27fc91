package org.httpfstream.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.UUID;

/**
 * Where each open stream's last whole append ends, kept in a small memory-mapped file ({@code
 * ROOT/.httpfstream/tails}) so that a server process killed in the middle of writing an append (a
 * {@code kill -9} can cut even one {@code write} short, between pages) leaves no part of it behind:
 * at the next start, every stream that was open is cut back to the end of its last whole append
 * before anything reads it.
 *
 * <p>Each open {@link StreamWriter} holds one {@link Mark}, a slot of {@value #SLOT} bytes: state,
 * the machine's boot id, the file's identity (device and inode), the length, and the stream's path
 * relative to the root. Moving the length is one store into the mapped page, no system call: the page
 * cache keeps it through the death of the process (not through the machine's: so a mark is trusted
 * only in the boot that wrote it; after a power loss nothing is cut, and the stream keeps what the file
 * system kept). A writer closed normally frees its slot. Paths longer than a slot holds, and writers
 * past {@value #SLOTS} at once, get no mark (their streams are not cut back after a kill).
 *
 * <p>The file is written in full when created (a mapped page that the file system must first allocate
 * would raise {@code SIGBUS} on a full disk, not an exception) and locked by one store at a time; a
 * second store on the same root, in this process or another, keeps no marks.
 *
 * <p>Thread safety: slots are handed out and taken back under this object's monitor; each slot is
 * written only by the writer holding it (under that writer's monitor), at its own offsets.
 */
public final class TailMarks implements AutoCloseable {
    static final String FILE = "tails";
    static final int SLOT = 512;
    static final int SLOTS = 640;
    // A slot's fields, in order, each where the one before it ends; the path's bytes follow the header.
    private static final int STATE = 0;
    private static final int PATH_LENGTH = STATE + Integer.BYTES;
    private static final int BOOT = PATH_LENGTH + Integer.BYTES;
    private static final int KEY = BOOT + Long.BYTES;
    private static final int LENGTH = KEY + Long.BYTES;
    private static final int HEADER = LENGTH + Long.BYTES;
    private static final int OPEN = 0x4f50454e; // "OPEN"
    private static final int FREE = 0;

    /** This boot of the machine, 0 if unknown (then no mark is ever trusted after a restart). */
    static final long BOOT_ID = bootId();

    private final Path root;
    private final FileChannel channel;
    private final FileLock lock;
    private final MappedByteBuffer map;
    // Guarded by this.
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    private boolean closed;

    private TailMarks(Path root, FileChannel channel, FileLock lock, MappedByteBuffer map) {
        this.root = root;
        this.channel = channel;
        this.lock = lock;
        this.map = map;
        for (int i = 0; i < SLOTS; i++) {
            free.add(i);
        }
    }

    /**
     * Opens the marks of the store at {@code root} (a real path) in {@code folder}: first cuts every
     * stream the last process left open (in this boot) back to its mark, then frees every slot. Returns
     * null, after logging why, if the marks cannot be kept (another store holds them, or the disk is
     * full): the store works without them.
     */
    static TailMarks open(Path root, Path folder) {
        FileChannel ch = null;
        try {
            Files.createDirectories(folder);
            ch = FileChannel.open(folder.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                StreamStore.LOG.warn("another store uses {}: appends cut short by a crash are not cut back",
                        folder.resolve(FILE));
                ch.close();
                return null;
            }
            long size = (long) SLOT * SLOTS;
            if (ch.size() == size) {
                recover(root, ch);
            }
            ByteBuffer zeros = ByteBuffer.allocate(SLOT * 64);
            for (long at = 0; at < size; at += zeros.capacity()) { // really allocated: see above
                zeros.clear();
                while (zeros.hasRemaining()) {
                    ch.write(zeros, at + zeros.position());
                }
            }
            ch.truncate(size);
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 0, size);
            return new TailMarks(root, ch, lock, map);
        } catch (IOException | RuntimeException e) {
            StreamStore.LOG.warn("cannot keep tail marks in {}: appends cut short by a crash are not cut back",
                    folder, e);
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // closing is all that is left
                }
            }
            return null;
        }
    }

    /** Cuts each stream left open by the last process of this boot back to its mark. */
    private static void recover(Path root, FileChannel ch) throws IOException {
        ByteBuffer slot = ByteBuffer.allocate(SLOT);
        for (int i = 0; i < SLOTS; i++) {
            slot.clear();
            while (slot.hasRemaining() && ch.read(slot, (long) i * SLOT + slot.position()) > 0) {
                // read the whole slot
            }
            if (slot.getInt(STATE) != OPEN || BOOT_ID == 0 || slot.getLong(BOOT) != BOOT_ID) {
                continue;
            }
            int n = slot.getInt(PATH_LENGTH);
            if (n <= 0 || n > SLOT - HEADER) {
                continue;
            }
            String relative = new String(slot.array(), HEADER, n, StandardCharsets.UTF_8);
            try {
                cut(root, relative, slot.getLong(KEY), slot.getLong(LENGTH));
            } catch (IOException | RuntimeException e) {
                StreamStore.LOG.warn("cannot cut {} back to its last whole append", relative, e);
            }
        }
    }

    private static void cut(Path root, String relative, long key, long length) throws IOException {
        Path file = root.resolve(relative).normalize();
        if (!file.startsWith(root) || file.equals(root)
                || file.startsWith(root.resolve(MetadataStore.FOLDER))) {
            return;
        }
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return;
        }
        if (!a.isRegularFile() || fileKey(a) != key || a.size() <= length) {
            return;
        }
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            c.truncate(length);
        }
        StreamStore.LOG.warn("{}: cut {} bytes of an append that was being written when the server stopped;"
                + " the stream ends at its last whole append ({} bytes)", file, a.size() - length, length);
    }

    /**
     * Takes a slot for the stream {@code file} (opened by a writer, {@code length} bytes long); null if
     * none is free or its path is too long.
     */
    Mark acquire(Path file, long length) {
        byte[] path = root.relativize(file).toString().getBytes(StandardCharsets.UTF_8);
        if (path.length > SLOT - HEADER) {
            return null;
        }
        long key;
        try {
            key = fileKey(Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
        } catch (IOException e) {
            return null;
        }
        int slot;
        synchronized (this) {
            if (closed || free.isEmpty()) {
                return null;
            }
            slot = free.poll();
        }
        int at = slot * SLOT;
        map.putInt(at + STATE, FREE);
        map.put(at + HEADER, path);
        map.putInt(at + PATH_LENGTH, path.length);
        map.putLong(at + BOOT, BOOT_ID);
        map.putLong(at + KEY, key);
        map.putLong(at + LENGTH, length);
        map.putInt(at + STATE, OPEN);
        return new Mark(slot);
    }

    /** Frees every slot and lets the file go (a clean stop: nothing to cut at the next start). */
    @Override
    public void close() {
        if (markClosed()) {
            letGo("closing");
        }
    }

    /**
     * Lets the file go as a killed process does, every slot as it is (tests only: the next store on the
     * root then recovers from these marks).
     */
    void abandon() {
        markClosed();
        letGo("abandoning");
    }

    /** Marks these marks closed; true for the call that closed them. */
    private synchronized boolean markClosed() {
        boolean wasOpen = !closed;
        closed = true;
        return wasOpen;
    }

    /** Releases the lock on the file and closes it; {@code doing} names the step in a failure's log line. */
    private void letGo(String doing) {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            StreamStore.LOG.debug(doing + " the tail marks failed", e);
        }
    }

    /** One open stream's slot. Used under its writer's monitor only. */
    final class Mark {
        private final int at;
        private boolean released;

        private Mark(int slot) {
            this.at = slot * SLOT;
        }

        /** The stream's last whole append now ends at {@code length}. */
        void set(long length) {
            if (!released) {
                map.putLong(at + LENGTH, length);
            }
        }

        /** The writer closed with every append whole: frees the slot. */
        void release() {
            if (released) {
                return;
            }
            released = true;
            map.putInt(at + STATE, FREE);
            synchronized (TailMarks.this) {
                if (!closed) {
                    free.add(at / SLOT);
                }
            }
        }
    }

    private static long fileKey(BasicFileAttributes a) {
        Object k = a.fileKey();
        if (k == null) {
            return 0;
        }
        String s = k.toString();
        long h = 1125899906842597L;
        for (int i = 0; i < s.length(); i++) {
            h = 31 * h + s.charAt(i);
        }
        return h;
    }

    private static long bootId() {
        try {
            String id = Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim();
            UUID u = UUID.fromString(id);
            long v = u.getMostSignificantBits() ^ u.getLeastSignificantBits();
            return v == 0 ? 1 : v;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
