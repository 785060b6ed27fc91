package org.httpfstream.testing;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Deletes a test's temporary folder, first giving back any permission a test took away from a folder in
 * it. Written here rather than taken from JUnit: its {@code @TempDir} cannot be made by an extension
 * for a test, and this is one file walk.
 *
 * <p>Thread safety: stateless.
 */
public final class TempFolders {
    private TempFolders() {}

    /** Makes a new temporary folder. */
    public static Path create() throws IOException {
        return Files.createTempDirectory("httpfstream-test-");
    }

    /** Deletes {@code folder} and all it holds; nothing if it is null or gone. */
    public static void delete(Path folder) throws IOException {
        if (folder == null || !Files.exists(folder)) {
            return;
        }
        Files.walkFileTree(folder, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
