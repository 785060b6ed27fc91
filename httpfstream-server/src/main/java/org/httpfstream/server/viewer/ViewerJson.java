package org.httpfstream.server.viewer;

import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.httpfstream.store.InvalidStreamPathException;
import org.httpfstream.store.NotAStreamException;
import org.httpfstream.store.Storage;
import org.httpfstream.store.StoredStream;
import org.httpfstream.store.StreamStore;
import org.httpfstream.viewer.LineIndex;
import org.httpfstream.viewer.LineIndexes;
import org.httpfstream.viewer.LogSearch;
import org.httpfstream.viewer.WriterStates;

/**
 * The viewer's JSON answers: {@code ?status}, {@code ?search} and a folder's {@code ?list}, as the
 * contract shapes them. Each method blocks on the file system; run them off the event loop.
 *
 * <p>Thread safety: holds only thread-safe collaborators.
 *
 * @param store the server's files
 * @param elsewhere the streams if they are not {@code store}'s files (the memory store: listed through
 *     the seam), else null
 * @param indexes the line indexes
 * @param writers the writers' states
 * @param lines the line answers (for a Durable Streams stream's state)
 */
public record ViewerJson(StreamStore store, Storage elsewhere, LineIndexes indexes, WriterStates writers,
        LineReplies lines) {
    /** Matches counted at most. */
    static final long COUNT_CAP = 1_000_000;
    /** A search stops after this long with what it found. */
    static final long SEARCH_SECONDS = 30;
    /** Entries of a folder listed at most (the newest). */
    static final int MAX_ENTRIES = 10_000;

    /** What {@code ?search} asked for. */
    record SearchRequest(Pattern pattern, long from, int limit) {
        static SearchRequest of(QueryStringDecoder query) {
            String text = ViewerHandler.first(query, ViewerHandler.SEARCH);
            if (text == null || text.isEmpty()) {
                throw new IllegalArgumentException("search for what? (search=TEXT)");
            }
            var p = query.parameters();
            int flags = p.containsKey("case") ? 0 : Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE;
            Pattern pattern;
            try {
                pattern = p.containsKey("regex") ? Pattern.compile(text, flags)
                        : Pattern.compile(Pattern.quote(text), flags);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("bad regex: " + e.getDescription());
            }
            if (pattern.matcher("").find()) {
                throw new IllegalArgumentException("the regex matches empty text: " + text);
            }
            long from = number(ViewerHandler.first(query, "from"), 1, "from");
            long limit = number(ViewerHandler.first(query, "limit"), 1000, "limit");
            return new SearchRequest(pattern, from, (int) Math.min(limit, 100_000));
        }

        private static long number(String text, long otherwise, String name) {
            if (text == null) {
                return otherwise;
            }
            try {
                long n = Long.parseLong(text.strip());
                if (n < (name.equals("limit") ? 0 : 1)) {
                    throw new NumberFormatException();
                }
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad " + name + ": " + text);
            }
        }
    }

    Map<String, Object> status(String path) throws IOException {
        StoredStream stream = indexes.stream(path);
        LineIndex index = indexes.index(stream);
        WriterStates.Status s = writers.status(stream.name(), lines.openManaged(path) != null);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("length", index.indexedLength());
        m.put("lines", index.lineCount());
        m.put("writer", s.writer());
        m.put("since", s.since());
        return m;
    }

    Map<String, Object> search(String path, SearchRequest r) throws IOException {
        LineIndex index = indexes.index(indexes.stream(path));
        long total = index.lineCount();
        LogSearch.Result result;
        if (r.from() > total) {
            result = new LogSearch.Result(0, List.of(), false, false, false);
        } else {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SEARCH_SECONDS);
            result = LogSearch.search(index.source(), index.lineStart(r.from()), r.from(), index.indexedLength(),
                    r.pattern(), r.limit(), COUNT_CAP, deadline);
        }
        List<Map<String, Object>> matches = new ArrayList<>();
        for (LogSearch.Match match : result.matches()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("line", match.line());
            m.put("start", match.start());
            m.put("end", match.end());
            matches.add(m);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", result.count());
        m.put("matches", matches);
        m.put("truncated", result.truncated());
        if (result.countCapped()) {
            m.put("countCapped", true);
        }
        if (result.timedOut()) {
            m.put("timedOut", true);
        }
        return m;
    }

    /** The readable entries of the folder {@code path} (ending in {@code /}), newest first. */
    Map<String, Object> list(String path, Predicate<String> readable) throws IOException {
        List<Map<String, Object>> entries = elsewhere != null ? listStored(path, readable) : new ArrayList<>();
        if (elsewhere == null) {
            Path dir = folder(path);
            try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
                for (Path child : children) {
                    Map<String, Object> e = entry(path, child, readable);
                    if (e != null) {
                        entries.add(e);
                    }
                }
            }
        }
        entries.sort(Comparator.comparingLong((Map<String, Object> e) -> (Long) e.get("modified")).reversed()
                .thenComparing(e -> (String) e.get("name")));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", path);
        m.put("entries", entries.size() > MAX_ENTRIES ? entries.subList(0, MAX_ENTRIES) : entries);
        if (entries.size() > MAX_ENTRIES) {
            m.put("truncated", true);
        }
        return m;
    }

    /**
     * The entries of folder {@code path} of a store without folders of its own: a folder is a name
     * some stream's path goes through (its size 0, its time its newest stream's).
     */
    private List<Map<String, Object>> listStored(String path, Predicate<String> readable) throws IOException {
        store.resolve(path); // refuses what the file store refuses (the server's own folder): the same answers
        Map<String, Map<String, Object>> byName = new java.util.TreeMap<>();
        List<String> names = elsewhere.list(path);
        if (names.isEmpty() && !path.equals("/")) {
            throw new NoSuchFileException(path);
        }
        for (String full : names) {
            String rest = full.substring(path.length());
            int slash = rest.indexOf('/');
            String name = slash < 0 ? rest : rest.substring(0, slash);
            StoredStream s = elsewhere.stream(full);
            long modified;
            try {
                modified = s.lastModified();
            } catch (NoSuchFileException gone) {
                continue;
            }
            Map<String, Object> e = byName.get(name);
            if (slash >= 0) {
                if (e == null && readable.test(path + name + "/")) {
                    byName.put(name, folderEntry(name, modified));
                } else if (e != null && (Long) e.get("modified") < modified) {
                    e.put("modified", modified);
                }
            } else if (readable.test(full)) {
                byName.put(name, streamEntry(name, s.committedLength(), modified, full));
            }
        }
        return new ArrayList<>(byName.values());
    }

    private static Map<String, Object> folderEntry(String name, long modified) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("name", name);
        e.put("kind", "folder");
        e.put("size", 0L);
        e.put("modified", modified);
        return e;
    }

    private Map<String, Object> streamEntry(String name, long size, long modified, String path) throws IOException {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("name", name);
        e.put("kind", "stream");
        e.put("size", size);
        e.put("modified", modified);
        String writer;
        try {
            writer = writers.status(path, lines.openManaged(path) != null).writer();
        } catch (InvalidStreamPathException | NoSuchFileException gone) {
            writer = "finished"; // a file no stream path names, or gone meanwhile: nobody writes it
        }
        e.put("writer", writer);
        return e;
    }

    /** The folder's real path inside the root; never the server's own folder or anything under it. */
    private Path folder(String path) throws IOException {
        Path dir = store.resolve(path);
        Path real;
        try {
            real = dir.toRealPath();
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(path);
        }
        if (!real.startsWith(store.root()) || real.startsWith(store.root().resolve(".httpfstream"))) {
            throw new NoSuchFileException(path);
        }
        if (!Files.isDirectory(real)) {
            throw new NotAStreamException(path + " is a stream, not a folder");
        }
        return real;
    }

    private Map<String, Object> entry(String folder, Path child, Predicate<String> readable) throws IOException {
        String name = child.getFileName().toString();
        if (name.equals(".httpfstream") && child.getParent().equals(store.root())) {
            return null; // the server's own folder
        }
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(child, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException gone) {
            return null;
        }
        boolean isFolder = a.isDirectory();
        if (!isFolder && !a.isRegularFile() || !readable.test(folder + name + (isFolder ? "/" : ""))) {
            return null;
        }
        long modified = a.lastModifiedTime().toMillis();
        return isFolder ? folderEntry(name, modified) : streamEntry(name, a.size(), modified, folder + name);
    }
}
