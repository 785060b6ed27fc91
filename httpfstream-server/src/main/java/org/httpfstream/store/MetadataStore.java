package org.httpfstream.store;

import org.httpfstream.durable.DurableStreams;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Persists {@link StreamMetadata} out of the way of the streams: the metadata of {@code ROOT/a/b.log}
 * is the properties file {@code ROOT/.httpfstream/metadata/a.d/b.log.meta} ({@link MetadataLayout}:
 * distinct streams never share a place). The folder {@value #FOLDER} is refused as a stream path by
 * {@link StreamStore}, also through links, so the root stays a plain tree of stream files. Metadata
 * of the first layout ({@code ROOT/.httpfstream/streams/a/b.log.meta}, where {@code /x} and {@code
 * /x.meta/y} collided) is moved to this one when the store opens ({@link #migrate}). Each file is replaced atomically (written beside, then renamed), so a crash leaves the
 * old or the new metadata, never a mix; without fsync, a change of producers or {@code Stream-Seq}
 * alone is appended to the file as lines that override the earlier ones ({@link #appendChanges}), and
 * the file is rewritten whole once those lines make it four times its size.
 *
 * <p>Two views: {@link #get} is the latest state, for the writers of a stream; {@link #published} is
 * what readers may see. Without a group commit they are one, and {@link #put} writes the file at once.
 * With one (fsync), {@code put} updates the latest state and hands the file write to the next batch,
 * which forces it (with the stream's bytes) and only then publishes it to readers: a reader never sees
 * a stream closed before the bytes written before the close are visible. The latest state is ahead of
 * the published one only by changes that a batch is writing or will write: a failed batch's changes
 * are retried by the next one, never dropped (see {@link GroupCommit}), so an answer that depends on
 * the latest state, given once a {@link StreamStore#barrier()} taken after reading it completes,
 * never claims a state that is not durable.
 *
 * <p>Thread safety: reads may come from any thread (concurrent caches in front of the files, holding
 * the streams that exist); writers of one stream's metadata must be serialized by the caller ({@link
 * DurableStreams} holds the stream's lock). A file write of the group commit and a {@link #remove} of
 * the same stream are serialized by one of a few striped monitors, so a removed stream's file never
 * comes back.
 */
public final class MetadataStore {
    /** The hidden folder under the root that holds everything that is not stream bytes. */
    public static final String FOLDER = ".httpfstream";

    /** The folder of the first layout, moved to {@link #LAYOUT} on opening. */
    static final String OLD_LAYOUT = "streams";
    /** The folder of the current layout. */
    static final String LAYOUT = "metadata";

    private final Path root;
    private final MetadataLayout layout;
    private final boolean fsync;
    private final GroupCommit groupCommit;
    /** Told when a change is published by the group commit; null without one. */
    private final StreamStore store;
    private final ConcurrentHashMap<Path, Optional<StreamMetadata>> cache = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Path, Optional<StreamMetadata>> published = new ConcurrentHashMap<>();
    private final Object[] fileLocks = new Object[16];

    /** Metadata of the streams under {@code root} (a real path, as {@link StreamStore#root()}). */
    public MetadataStore(Path root) {
        this(root, false);
    }

    /** As {@link #MetadataStore(Path)}; with {@code fsync}, each write is on stable storage when put() returns. */
    public MetadataStore(Path root, boolean fsync) {
        this(root, fsync, null, null);
    }

    /** The metadata of {@code store}'s streams; with fsync, written by its group commit. */
    MetadataStore(StreamStore store) {
        this(store.root(), store.fsync(), store.groupCommit(), store);
    }

    private MetadataStore(Path root, boolean fsync, GroupCommit groupCommit, StreamStore store) {
        this.root = Objects.requireNonNull(root, "root");
        this.layout = new MetadataLayout(root.resolve(FOLDER).resolve(LAYOUT));
        this.fsync = fsync;
        this.groupCommit = groupCommit;
        this.store = store;
        for (int i = 0; i < fileLocks.length; i++) {
            fileLocks[i] = new Object();
        }
        migrate();
    }

    /**
     * Moves the metadata of the first layout ({@value #OLD_LAYOUT}) to the current one, each file
     * written (atomically, forced with fsync) before the old one is removed, so an interrupted
     * migration is finished by the next opening. Where both layouts hold a stream's metadata, the
     * current one wins. A file that cannot be moved stays, with a warning.
     */
    private void migrate() {
        Path old = root.resolve(FOLDER).resolve(OLD_LAYOUT);
        if (!Files.isDirectory(old, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        java.util.List<Path> files;
        try (var walk = Files.walk(old)) {
            files = walk.filter(f -> Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)).toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            StreamStore.LOG.warn("cannot read the old metadata folder {}", old, e);
            return;
        }
        int moved = 0;
        boolean left = false;
        for (Path f : files) {
            String name = old.relativize(f).toString();
            if (!name.endsWith(".meta")) {
                tryDelete(f); // a temporary file of an interrupted write
                continue;
            }
            Path stream = root.resolve(name.substring(0, name.length() - ".meta".length()));
            try {
                if (!Files.exists(metaFile(stream))) {
                    Optional<StreamMetadata> m = load(f);
                    if (m.isPresent()) {
                        Path folder = write(stream, m.get(), fsync);
                        if (folder != null) {
                            StreamStore.syncDirectory(folder);
                        }
                    }
                }
                Files.delete(f);
                moved++;
            } catch (IOException | RuntimeException e) {
                left = true;
                StreamStore.LOG.warn("cannot move the metadata {} to the current layout", f, e);
            }
        }
        if (!left) {
            try (var walk = Files.walk(old)) {
                for (Path d : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    tryDelete(d);
                }
            } catch (IOException | java.io.UncheckedIOException e) {
                StreamStore.LOG.debug("cannot remove the old metadata folder {}", old, e);
            }
        }
        StreamStore.LOG.info("moved the metadata of {} streams from {} to {}", moved, old, layout.dir());
    }

    private static void tryDelete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            StreamStore.LOG.debug("cannot remove {}", p, e);
        }
    }

    /** The latest metadata of the stream file {@code file}, if any was stored (the writers' view). */
    public Optional<StreamMetadata> get(Path file) throws IOException {
        Optional<StreamMetadata> cached = cache.get(file);
        if (cached != null) {
            return cached;
        }
        return load(file, false);
    }

    /**
     * The metadata of {@code file} that readers may see: as {@link #get}, except that with a group
     * commit a change is seen only once it is durable.
     */
    public Optional<StreamMetadata> published(Path file) throws IOException {
        Optional<StreamMetadata> p = published.get(file);
        if (p != null) {
            return p;
        }
        return load(file, true);
    }

    /** Reads the file into both views where they have nothing yet; returns the view asked for. */
    private Optional<StreamMetadata> load(Path file, boolean forReaders) throws IOException {
        if (file.equals(root)) {
            return Optional.empty(); // the root folder: never a stream
        }
        Optional<StreamMetadata> loaded = load(metaFile(file));
        if (loaded.isPresent() || Files.exists(file)) { // paths of no stream are not remembered
            Optional<StreamMetadata> latest = cache.putIfAbsent(file, loaded);
            Optional<StreamMetadata> seen = published.putIfAbsent(file, loaded); // on disk: durable
            return forReaders ? (seen != null ? seen : loaded) : (latest != null ? latest : loaded);
        }
        return loaded;
    }

    /**
     * Stores {@code metadata} for {@code file}, replacing what was there. With a group commit the file
     * is written by the next batch, after the stream's bytes are synced (wait for it with {@link
     * StreamStore#barrier()}; if that batch fails, the write is retried by the next); else now.
     */
    public void put(Path file, StreamMetadata metadata) throws IOException {
        Objects.requireNonNull(metadata, "metadata");
        if (groupCommit == null) {
            synchronized (fileLock(file)) { // against a flush() writing an older state after this one
                write(file, metadata, fsync);
                Optional<StreamMetadata> m = Optional.of(metadata);
                cache.put(file, m);
                published.put(file, m);
            }
            return;
        }
        cache.put(file, Optional.of(metadata));
        groupCommit.defer(file, new GroupCommit.Deferred() {
            @Override
            public Path stream() {
                return file;
            }

            @Override
            public Path write() throws IOException {
                synchronized (fileLock(file)) {
                    if (removed(file)) {
                        return null;
                    }
                    return MetadataStore.this.write(file, metadata, true);
                }
            }

            @Override
            public void publish() {
                synchronized (fileLock(file)) {
                    if (removed(file)) {
                        return;
                    }
                    published.put(file, Optional.of(metadata));
                }
                store.changed(file); // a closure wakes the followers now
            }
        });
    }

    /**
     * As {@link #put}, except without fsync: then only the latest state changes now, for the writers,
     * and the file is written, and the state published to readers, by the next {@link #flush} of
     * {@code file}. A stream's writers call this holding its lock and {@code flush} after letting go
     * of it, before they answer, so that appends of many producers to one stream share the writes of
     * their metadata: one write covers every change made while the previous one ran.
     */
    public void putLater(Path file, StreamMetadata metadata) throws IOException {
        if (groupCommit != null || fsync) {
            put(file, metadata);
            return;
        }
        cache.put(file, Optional.of(Objects.requireNonNull(metadata, "metadata")));
    }

    /**
     * Writes and publishes the latest state of {@code file} if a {@link #putLater} left it unwritten;
     * returns once the state as it was when this was called is in the file (written by this call or
     * an earlier one). Does nothing with fsync (a group commit writes it). A failed write leaves the
     * change pending: the next flush writes it.
     */
    public void flush(Path file) throws IOException {
        if (groupCommit != null || fsync || cache.get(file) == published.get(file)) {
            return; // published is set only once written: nothing left to write (the usual append)
        }
        synchronized (fileLock(file)) {
            Optional<StreamMetadata> latest = cache.get(file);
            Optional<StreamMetadata> written = published.get(file);
            if (latest == null || latest.isEmpty() || latest == written) {
                return; // removed, or written already
            }
            if (written == null || written.isEmpty() || !appendChanges(file, written.get(), latest.get())) {
                write(file, latest.get(), false);
            }
            published.put(file, latest);
        }
    }

    /**
     * Without fsync: says the change from {@code written} (what the file of {@code file} holds) to {@code
     * latest} by appending lines to the file, one positional write at its end: the producers whose state
     * changed, in their order in {@code latest}, and {@code lastSeq}. Loading reads the file top to
     * bottom, so a later line of a key overrides an earlier one and moves a producer to the most
     * recently used end, as {@link StreamMetadata#withProducer} does; the result is {@code latest}.
     * A producer's append then writes one line (about 30 bytes) instead of every producer of the stream,
     * which with 64 producers on one stream cost a fifth of the server's time (building the file and
     * writing 2.5 KB). One write call is all or nothing for a process that dies, as {@link #overwrite}.
     *
     * <p>False, and nothing written, when added lines cannot say it: another field changed, a producer
     * was forgotten, {@code lastSeq} was removed, there is no file, or the file has grown past {@link
     * #compactAt}; then the caller rewrites the file whole, which compacts it.
     */
    private boolean appendChanges(Path file, StreamMetadata written, StreamMetadata latest) throws IOException {
        if (!sameBesidesProducersAndSeq(written, latest)
                || latest.lastSeq() == null && written.lastSeq() != null) {
            return false;
        }
        Map<String, StreamMetadata.Producer> before = written.producers();
        StringBuilder sb = new StringBuilder(64);
        int kept = 0;
        for (Map.Entry<String, StreamMetadata.Producer> e : latest.producers().entrySet()) {
            StreamMetadata.Producer old = before.get(e.getKey());
            if (old != null) {
                kept++;
            }
            if (!e.getValue().equals(old)) {
                producerLine(sb, e.getKey(), e.getValue());
            }
        }
        if (kept != before.size()) {
            return false; // a producer was forgotten: only a rewrite says so
        }
        if (!Objects.equals(written.lastSeq(), latest.lastSeq())) {
            line(sb, "lastSeq", latest.lastSeq());
        }
        java.nio.channels.FileChannel ch;
        try {
            ch = java.nio.channels.FileChannel.open(metaFile(file), java.nio.file.StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            return false;
        }
        try (ch) {
            long end = ch.size();
            if (end + sb.length() > compactAt(latest)) {
                return false;
            }
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(sb.toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            while (b.hasRemaining()) {
                ch.write(b, end + b.position());
            }
        }
        return true;
    }

    /**
     * The size past which a metadata file with appended lines is rewritten whole: four times a rough
     * estimate of its compact size, at least 8 KiB, so that rewrites are rare and a file loads in a
     * time proportional to its stream's producers.
     */
    static long compactAt(StreamMetadata m) {
        return Math.max(8192, 4L * (256 + 48L * m.producers().size()));
    }

    /** True if {@code a} and {@code b} differ at most in their producers and {@code lastSeq}. */
    private static boolean sameBesidesProducersAndSeq(StreamMetadata a, StreamMetadata b) {
        return a.contentType().equals(b.contentType()) && Objects.equals(a.ttlSeconds(), b.ttlSeconds())
                && Objects.equals(a.expiresAt(), b.expiresAt())
                && Objects.equals(a.expiresAtInstant(), b.expiresAtInstant()) && a.closed() == b.closed()
                && Objects.equals(a.closedBy(), b.closedBy()) && Objects.equals(a.fork(), b.fork())
                && a.forkRefs() == b.forkRefs() && a.softDeleted() == b.softDeleted() && a.length() == b.length();
    }

    private boolean removed(Path file) {
        Optional<StreamMetadata> m = cache.get(file);
        return m == null || m.isEmpty();
    }

    /** Writes the file; with {@code force}, forces it and returns its folder (to force), else null. */
    private Path write(Path file, StreamMetadata metadata, boolean force) throws IOException {
        Path target = metaFile(file);
        if (!force && overwrite(target, metadata)) {
            return null;
        }
        AtomicFiles.replace(target, serialize(metadata), force, false);
        if (force && groupCommit == null) {
            StreamStore.syncDirectory(target.getParent());
        }
        return force ? target.getParent() : null;
    }

    /**
     * Without fsync: replaces an existing metadata file's content in place with one positional write,
     * padded with blank lines (which loading skips) to at least its old length; false if there is no
     * file yet. Every producer or {@code Stream-Seq} append changes its stream's metadata, and a
     * temporary file renamed over the old one cost about 300 µs each (ext4 starts writing a file back
     * when it replaces another by rename); this costs one {@code open}, one {@code pwrite} and one
     * {@code close}. One write call is all or nothing for a process that dies; what a power loss can
     * do to a page-cache write is what the page cache (no fsync) accepts anyway. Then the file is cut
     * back to its content: that drops only the padding, so a process that dies before it leaves blank
     * lines, and the lines {@link #appendChanges} added are gone with the rewrite.
     */
    private static boolean overwrite(Path target, StreamMetadata metadata) throws IOException {
        java.nio.channels.FileChannel ch;
        try {
            ch = java.nio.channels.FileChannel.open(target, java.nio.file.StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            return false;
        }
        try (ch) {
            byte[] content = serialize(metadata);
            byte[] bytes = content;
            long old = ch.size();
            if (content.length < old) {
                bytes = java.util.Arrays.copyOf(content, (int) old);
                java.util.Arrays.fill(bytes, content.length, bytes.length, (byte) '\n');
            }
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b, b.position());
            }
            if (content.length < old) {
                ch.truncate(content.length); // the padding only: a process that dies before this leaves blank lines
            }
        }
        return true;
    }

    /** Forgets the metadata of {@code file} (a pending write of it is dropped). */
    public void remove(Path file) throws IOException {
        synchronized (fileLock(file)) {
            if (groupCommit != null) {
                groupCommit.cancel(file);
            }
            Files.deleteIfExists(metaFile(file));
            cache.remove(file);
            published.remove(file);
        }
    }

    private Object fileLock(Path file) {
        return fileLocks[Math.floorMod(file.hashCode(), fileLocks.length)];
    }

    /** Where the metadata of the stream file {@code file} (under the root) is kept. */
    Path metaFile(Path file) {
        return layout.locate(root.relativize(Objects.requireNonNull(file, "file")), MetadataLayout.META);
    }

    private static Optional<StreamMetadata> load(Path metaFile) throws IOException {
        // A set in the order of the producers' last lines (least recent first): a producer's state may
        // be on many lines (appendChanges), the last one wins and gives its place.
        java.util.Set<String> producerOrder = new java.util.LinkedHashSet<>();
        Properties p = new Properties() {
            private static final long serialVersionUID = 1L;

            @Override
            public synchronized Object put(Object key, Object value) {
                if (key instanceof String k && k.startsWith("producer.")) {
                    producerOrder.remove(k);
                    producerOrder.add(k);
                }
                return super.put(key, value);
            }
        };
        try (InputStream in = Files.newInputStream(metaFile)) {
            p.load(in);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        Map<String, StreamMetadata.Producer> producers = new LinkedHashMap<>();
        for (String key : producerOrder) {
            String[] v = p.getProperty(key).trim().split(" ");
            producers.put(key.substring("producer.".length()),
                    new StreamMetadata.Producer(Long.parseLong(v[0]), Long.parseLong(v[1])));
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
                Boolean.parseBoolean(p.getProperty("softDeleted")),
                Long.parseLong(p.getProperty("length", "-1"))));
    }

    /**
     * The metadata as a properties file ({@link Properties#load(InputStream)} reads it), written
     * directly: {@link Properties#store} costs several times more (a date, a synchronized copy, an
     * encoder), and a producer's every append pays it.
     */
    static byte[] serialize(StreamMetadata m) {
        StringBuilder sb = new StringBuilder(128 + 32 * m.producers().size());
        line(sb, "contentType", m.contentType());
        if (m.ttlSeconds() != null) {
            line(sb, "ttl", Long.toString(m.ttlSeconds()));
        }
        if (m.expiresAt() != null) {
            line(sb, "expiresAt", m.expiresAt());
            line(sb, "expiresAtInstant", m.expiresAtInstant().toString());
        }
        line(sb, "closed", Boolean.toString(m.closed()));
        if (m.lastSeq() != null) {
            line(sb, "lastSeq", m.lastSeq());
        }
        if (m.closedBy() != null) {
            line(sb, "closedBy", m.closedBy());
        }
        if (m.fork() != null) {
            line(sb, "fork.source", m.fork().source());
            line(sb, "fork.offset", Long.toString(m.fork().offset()));
            line(sb, "fork.subOffset", Long.toString(m.fork().subOffset()));
            line(sb, "fork.position", Long.toString(m.fork().position()));
        }
        line(sb, "forkRefs", Integer.toString(m.forkRefs()));
        line(sb, "softDeleted", Boolean.toString(m.softDeleted()));
        if (m.length() >= 0) {
            line(sb, "length", Long.toString(m.length()));
        }
        m.producers().forEach((id, s) -> producerLine(sb, id, s));
        return sb.toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1); // all ASCII
    }

    private static void producerLine(StringBuilder sb, String id, StreamMetadata.Producer s) {
        line(sb, "producer." + id, s.epoch() + " " + s.seq());
    }

    private static void line(StringBuilder sb, String key, String value) {
        escape(sb, key, true);
        sb.append('=');
        escape(sb, value, false);
        sb.append('\n');
    }

    /** True if {@code s} has nothing to escape (see {@link #escape}). */
    private static boolean plain(String s, boolean key) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < ' ' || (c == ' ' && (key || i == 0)) || c > '~' || c == '\\' || c == '=' || c == ':'
                    || c == '#' || c == '!') {
                return false;
            }
        }
        return true;
    }

    /**
     * Escapes as the properties format needs: separators, comment marks, controls, non-ASCII, and
     * spaces (in a key all of them, in a value a leading one), as {@link Properties#store} does.
     */
    private static void escape(StringBuilder sb, String s, boolean key) {
        if (plain(s, key)) { // the usual case: copied whole
            sb.append(s);
            return;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\', '=', ':', '#', '!' -> sb.append('\\').append(c);
                case ' ' -> sb.append(key || i == 0 ? "\\ " : " ");
                case '\t' -> sb.append("\\t");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
    }
}
