package org.httpfstream.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Persists {@link StreamMetadata} out of the way of the streams: the metadata of {@code ROOT/a/b.log}
 * is the properties file {@code ROOT/.httpfstream/streams/a/b.log.meta}. The folder {@value
 * #FOLDER} is refused as a stream path by {@link StreamStore}, so the root stays a plain tree of
 * stream files. Each file is replaced atomically (written beside, then renamed), so a crash leaves the
 * old or the new metadata, never a mix.
 *
 * <p>Thread safety: reads may come from any thread (a concurrent cache in front of the files, holding
 * the streams that exist); writers of one stream's metadata must be serialized by the caller ({@link
 * DurableStreams} holds the stream's lock).
 */
public final class MetadataStore {
    /** The hidden folder under the root that holds everything that is not stream bytes. */
    public static final String FOLDER = ".httpfstream";

    private final Path root;
    private final Path dir;
    private final boolean fsync;
    private final ConcurrentHashMap<Path, Optional<StreamMetadata>> cache = new ConcurrentHashMap<>();

    /** Metadata of the streams under {@code root} (a real path, as {@link StreamStore#root()}). */
    public MetadataStore(Path root) {
        this(root, false);
    }

    /** As {@link #MetadataStore(Path)}; with {@code fsync}, each write is on stable storage when put() returns. */
    public MetadataStore(Path root, boolean fsync) {
        this.root = Objects.requireNonNull(root, "root");
        this.dir = root.resolve(FOLDER).resolve("streams");
        this.fsync = fsync;
    }

    /** The metadata of the stream file {@code file}, if any was stored. */
    public Optional<StreamMetadata> get(Path file) throws IOException {
        Optional<StreamMetadata> cached = cache.get(file);
        if (cached != null) {
            return cached;
        }
        Optional<StreamMetadata> loaded = load(metaFile(file));
        if (loaded.isPresent() || Files.exists(file)) { // paths of no stream are not remembered
            cache.putIfAbsent(file, loaded);
        }
        return loaded;
    }

    /** Stores {@code metadata} for {@code file}, replacing what was there. */
    public void put(Path file, StreamMetadata metadata) throws IOException {
        Objects.requireNonNull(metadata, "metadata");
        Path target = metaFile(file);
        Files.createDirectories(target.getParent());
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Properties p = toProperties(metadata);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE,
                java.nio.file.StandardOpenOption.TRUNCATE_EXISTING);
                OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
            p.store(out, null);
            out.flush();
            if (fsync) {
                ch.force(true);
            }
        }
        try {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        if (fsync) {
            StreamStore.syncDirectory(target.getParent());
        }
        cache.put(file, Optional.of(metadata));
    }

    /** Forgets the metadata of {@code file}. */
    public void remove(Path file) throws IOException {
        Files.deleteIfExists(metaFile(file));
        cache.remove(file);
    }

    private Path metaFile(Path file) {
        Path rel = root.relativize(Objects.requireNonNull(file, "file"));
        return dir.resolve(rel.toString() + ".meta");
    }

    private static Optional<StreamMetadata> load(Path metaFile) throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(metaFile)) {
            p.load(in);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        Map<String, StreamMetadata.Producer> producers = new LinkedHashMap<>();
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith("producer.")) {
                String[] v = p.getProperty(key).trim().split(" ");
                producers.put(key.substring("producer.".length()),
                        new StreamMetadata.Producer(Long.parseLong(v[0]), Long.parseLong(v[1])));
            }
        }
        String ttl = p.getProperty("ttl");
        String expiresAt = p.getProperty("expiresAt");
        return Optional.of(new StreamMetadata(
                p.getProperty("contentType", StreamMetadata.DEFAULT_CONTENT_TYPE),
                ttl == null ? null : Long.parseLong(ttl),
                expiresAt,
                expiresAt == null ? null : Instant.parse(p.getProperty("expiresAtInstant")),
                Boolean.parseBoolean(p.getProperty("closed")),
                p.getProperty("lastSeq"),
                producers,
                p.getProperty("closedBy"),
                p.getProperty("fork.source") == null ? null : new StreamMetadata.Fork(p.getProperty("fork.source"),
                        Long.parseLong(p.getProperty("fork.offset")), Long.parseLong(p.getProperty("fork.subOffset")),
                        Long.parseLong(p.getProperty("fork.position"))),
                Integer.parseInt(p.getProperty("forkRefs", "0")),
                Boolean.parseBoolean(p.getProperty("softDeleted"))));
    }

    private static Properties toProperties(StreamMetadata m) {
        Properties p = new Properties();
        p.setProperty("contentType", m.contentType());
        if (m.ttlSeconds() != null) {
            p.setProperty("ttl", Long.toString(m.ttlSeconds()));
        }
        if (m.expiresAt() != null) {
            p.setProperty("expiresAt", m.expiresAt());
            p.setProperty("expiresAtInstant", m.expiresAtInstant().toString());
        }
        p.setProperty("closed", Boolean.toString(m.closed()));
        if (m.lastSeq() != null) {
            p.setProperty("lastSeq", m.lastSeq());
        }
        if (m.closedBy() != null) {
            p.setProperty("closedBy", m.closedBy());
        }
        if (m.fork() != null) {
            p.setProperty("fork.source", m.fork().source());
            p.setProperty("fork.offset", Long.toString(m.fork().offset()));
            p.setProperty("fork.subOffset", Long.toString(m.fork().subOffset()));
            p.setProperty("fork.position", Long.toString(m.fork().position()));
        }
        p.setProperty("forkRefs", Integer.toString(m.forkRefs()));
        p.setProperty("softDeleted", Boolean.toString(m.softDeleted()));
        m.producers().forEach((id, s) -> p.setProperty("producer." + id, s.epoch() + " " + s.seq()));
        return p;
    }
}
