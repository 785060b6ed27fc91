package org.httpfstream.store;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The file store's path rules: a request path names a file under the root, never outside it (no
 * {@code .} or {@code ..} segments, no backslash or NUL, no symbolic link leading out) and never in the
 * server's own folder. The rules on the path's text ({@link #normalize}) are every store's, so that a
 * client gets the same answer from each.
 *
 * <p>Thread safety: immutable.
 */
public final class StorePaths {
    private final Path root;
    /** {@code ROOT/.httpfstream}: never reachable through a stream path. */
    private final Path privateFolder;

    StorePaths(Path root, Path privateFolder) {
        this.root = root;
        this.privateFolder = privateFolder;
    }

    /**
     * Checks a percent-decoded request path against the rules every store shares and returns it with
     * empty segments dropped ({@code "/"} for none). The messages quote the path printable and short.
     *
     * @throws InvalidStreamPathException for {@code .} or {@code ..} segments, backslashes, NUL bytes, a
     *     path not starting with {@code /}, or the server's own folder at the top
     */
    public static String normalize(String path) throws InvalidStreamPathException {
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("/")) {
            throw new InvalidStreamPathException("path must start with '/': " + printable(path));
        }
        if (path.indexOf('\0') >= 0) {
            throw new InvalidStreamPathException("path contains a NUL byte: " + printable(path));
        }
        if (path.indexOf('\\') >= 0) {
            throw new InvalidStreamPathException("path contains a backslash: " + printable(path));
        }
        StringBuilder sb = new StringBuilder(path.length());
        for (String segment : path.split("/")) {
            if (segment.isEmpty()) {
                continue;
            }
            if (sb.length() == 0 && segment.equals(MetadataStore.FOLDER)) {
                throw new InvalidStreamPathException("path " + printable(path) + " is reserved for the server");
            }
            if (segment.equals(".") || segment.equals("..")) {
                throw new InvalidStreamPathException(
                        "path contains a '" + segment + "' segment: " + printable(path));
            }
            sb.append('/').append(segment);
        }
        return sb.length() == 0 ? "/" : sb.toString();
    }

    /**
     * Maps a percent-decoded request path to a file under the root, without touching the file system.
     *
     * @throws InvalidStreamPathException for what {@link #normalize} refuses, or a name the file system
     *     cannot hold
     */
    Path resolve(String path) throws InvalidStreamPathException {
        Path file = root;
        for (String segment : normalize(path).split("/")) {
            if (segment.isEmpty()) {
                continue;
            }
            try {
                file = file.resolve(segment);
            } catch (InvalidPathException e) {
                throw new InvalidStreamPathException("invalid path " + printable(path) + ": " + e.getReason());
            }
        }
        if (!file.normalize().startsWith(root)) { // cannot happen after the checks above; kept as a guard
            throw new OutsideRootException(printable(path));
        }
        return file;
    }

    /**
     * Resolves the symbolic links in the existing part of {@code file} and checks that the result is
     * still inside the root. Returns the real path of the file, or of its deepest existing ancestor
     * with the rest of the path appended.
     */
    Path confine(Path file, String path) throws IOException {
        Path existing = file;
        while (!Files.exists(existing)) {
            if (Files.isSymbolicLink(existing)) { // a dangling link: it would lead wherever it points
                throw new OutsideRootException(printable(path));
            }
            existing = existing.getParent();
            if (existing == null || !existing.startsWith(root)) {
                throw new OutsideRootException(printable(path));
            }
        }
        Path real = existing.toRealPath();
        if (!real.startsWith(root)) {
            throw new OutsideRootException(printable(path));
        }
        Path confined = real.resolve(existing.relativize(file));
        if (confined.startsWith(privateFolder)) { // through a link: the folder's own name is refused earlier
            throw OutsideRootException.intoPrivateFolder(printable(path));
        }
        return confined;
    }

    private static String printable(String path) {
        StringBuilder sb = new StringBuilder(Math.min(path.length(), 200) + 2).append('"');
        for (int i = 0; i < path.length() && i < 200; i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append(path.length() > 200 ? "…\"" : "\"").toString();
    }

    /**
     * Creates the missing parent folders of {@code file} (the stream at {@code path}), telling {@code
     * created} of the folder holding each new entry (with fsync it is forced with the next group
     * commit, so a new stream's path is as durable as its first bytes).
     *
     * @throws NotAStreamException if a parent is a file
     * @throws OutsideRootException if a folder created was swapped for a link leading out meanwhile
     */
    void createParents(Path file, String path, Consumer<Path> created) throws IOException {
        Path parent = file.getParent();
        if (Files.isDirectory(parent, LinkOption.NOFOLLOW_LINKS)) {
            return; // confine() resolved it: a real folder inside the root
        }
        try {
            createDirectories(parent, created);
        } catch (FileAlreadyExistsException | NotDirectoryException e) {
            throw new NotAStreamException("a parent of " + path + " is a file, not a folder");
        }
        // The folders just created are real folders, but one may have been swapped for a link since.
        Path real = parent.toRealPath();
        if (!real.startsWith(root) || real.startsWith(privateFolder)) {
            throw new OutsideRootException(path);
        }
    }

    private static void createDirectories(Path dir, Consumer<Path> created) throws IOException {
        Path existing = dir;
        while (existing != null && !Files.isDirectory(existing)) {
            existing = existing.getParent();
        }
        Files.createDirectories(dir);
        if (existing != null) {
            for (Path d = dir; !d.equals(existing); d = d.getParent()) {
                created.accept(d.getParent());
            }
        }
    }
}
