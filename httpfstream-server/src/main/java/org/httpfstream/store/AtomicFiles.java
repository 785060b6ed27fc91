package org.httpfstream.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The one way the server replaces a small file whole (a stream's metadata, a subscription, the signing
 * keys): write a sibling {@code .tmp} file, force it if asked, then rename it over the target, so a reader
 * or a crash sees the old content or the new, never a mix. Syncing the target's folder after the rename is
 * left to the caller: the group commit syncs each folder once for a batch of files.
 *
 * <p>Thread safety: stateless; two threads must not replace the same target at once (they would share the
 * {@code .tmp} file): callers hold a lock per file or write from one thread.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /**
     * Replaces {@code target} with {@code bytes}. Folders missing on the way are created; with {@code
     * force} the new file is forced before the rename and each new folder's entry is forced in its parent.
     * With {@code ownerOnly} the file is readable by its owner only (where the file system has POSIX
     * permissions; elsewhere the folder's apply). The rename is atomic where the file system can do it.
     */
    public static void replace(Path target, byte[] bytes, boolean force, boolean ownerOnly) throws IOException {
        createFolders(target.getParent(), force);
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            if (ownerOnly) {
                ownerOnly(tmp);
            }
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            if (force) {
                ch.force(true);
            }
        }
        try {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Creates {@code folder} and its missing parents; with {@code force}, forces each new one's entry, top down. */
    private static void createFolders(Path folder, boolean force) throws IOException {
        if (Files.isDirectory(folder)) {
            return;
        }
        Path existing = folder;
        while (!Files.isDirectory(existing)) {
            existing = existing.getParent();
        }
        Files.createDirectories(folder);
        if (force) {
            for (Path d = folder; !d.equals(existing); d = d.getParent()) {
                StreamStore.syncDirectory(d.getParent());
            }
        }
    }

    private static void ownerOnly(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the folder's permissions apply
        }
    }
}
