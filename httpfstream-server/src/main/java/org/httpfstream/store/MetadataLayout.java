package org.httpfstream.store;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Where the server keeps what it knows about a stream, under {@code ROOT/.httpfstream/metadata}: one
 * file per stream and kind ({@value #META} for the Durable Streams metadata; the kinds are open for
 * more), in folders that mirror the stream's folders.
 *
 * <p>Distinct streams never share a location, and no location lies inside another's: each folder of
 * the stream's path becomes a folder named {@code <name>.d}, and the stream's own name a file named
 * {@code <name><kind suffix>}. Within one folder, a file and a folder differ in their suffix (whose
 * last characters differ), so a stream's file is never a folder of another stream ({@code /a.txt} and
 * {@code /a.txt.meta/x} were both {@code a.txt.meta} in the first layout, {@code
 * ROOT/.httpfstream/streams}). Within one kind the
 * name encoding is injective: a name that starts with {@code #} or {@code %} gets a {@code %} in
 * front, and a name too long for the file system once encoded (more than {@value #MAX_NAME_BYTES}
 * bytes) becomes {@code #} and the SHA-256 of the name in hex, which no escaped name starts with.
 * {@code MetadataLayoutProperties} checks this over generated paths.
 *
 * <p>Immutable, so thread-safe.
 */
public final class MetadataLayout {
    /** Suffix of a stream's Durable Streams metadata file. */
    static final String META = ".meta";
    /** Suffix of a folder. */
    static final String FOLDER = ".d";
    /** The longest file name common file systems (ext4, xfs, btrfs, tmpfs) take, in bytes. */
    static final int MAX_NAME_BYTES = 255;

    private final Path dir;

    /** A layout under {@code dir}. */
    MetadataLayout(Path dir) {
        this.dir = Objects.requireNonNull(dir, "dir");
    }

    /** The folder everything is under. */
    Path dir() {
        return dir;
    }

    /**
     * The location of {@code kind} (such as {@link #META}) for the stream whose file is
     * {@code relative} to the storage root (a non-empty path of plain names).
     */
    Path locate(Path relative, String kind) {
        int n = relative.getNameCount();
        if (n == 0 || relative.isAbsolute() || relative.toString().isEmpty()) {
            throw new IllegalArgumentException("not a relative stream path: " + relative);
        }
        Path p = dir;
        for (int i = 0; i < n - 1; i++) {
            p = p.resolve(name(relative.getName(i).toString(), FOLDER));
        }
        return p.resolve(name(relative.getName(n - 1).toString(), kind));
    }

    /** The encoded name of one path segment with its kind's suffix. */
    static String name(String segment, String suffix) {
        String s = segment.startsWith("#") || segment.startsWith("%") ? "%" + segment : segment;
        if (s.getBytes(StandardCharsets.UTF_8).length + suffix.length() > MAX_NAME_BYTES) {
            s = "#" + sha256(segment);
        }
        return s + suffix;
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
