package org.httpfstream.viewer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.httpfstream.store.AppendSession;

/**
 * What the viewer says about a stream's writer: {@code live} (an append is under way and wrote in the
 * last {@value #IDLE_MILLIS} ms), {@code idle} (under way, silent longer), {@code finished} (no append
 * under way, the last one ended as asked), or {@code lost} (the last appender's connection ended
 * without an end of its append). It learns from the store's one change notification ({@link
 * #changed}): each commit while a session is active, and the session's end, when it reads {@link
 * AppendSession#wasVanished()}. A Durable Streams stream that is open counts as under way (its
 * appends are requests, not sessions), with its file's modification time as its last write.
 *
 * <p>Only what a file cannot say is kept: active sessions' last write times and lost ends, at most
 * {@value #MAX_ENTRIES} (the oldest lost ends go first). After a restart a stream that was lost reads
 * {@code finished}: the server does not persist it.
 *
 * <p>Thread safety: safe for use by any thread; entries live in a concurrent map, each immutable.
 */
public final class WriterStates {
    /** An append silent this long is idle. */
    public static final long IDLE_MILLIS = 5000;
    static final int MAX_ENTRIES = 10_000;
    /** A live session's last write time is recorded at most this often. */
    static final long REFRESH_MILLIS = 100;

    /** The writer's state and since when, in ms since the epoch. */
    public record Status(String writer, long since) {}

    /** What is known of a stream's last or current session. */
    private record Entry(AppendSession session, long at, boolean lost) {}

    private final Function<Path, AppendSession> sessions;
    private final LongSupplier clock;
    private final Map<Path, Entry> entries = new ConcurrentHashMap<>();

    /**
     * @param sessions the active append session of a stream's file, or null
     * @param clock milliseconds since the epoch
     */
    public WriterStates(Function<Path, AppendSession> sessions, LongSupplier clock) {
        this.sessions = sessions;
        this.clock = clock;
    }

    /** The store committed bytes to {@code file} or ended its session. Quick; never blocks. */
    public void changed(Path file) {
        AppendSession s = sessions.apply(file);
        long now = clock.getAsLong();
        if (s != null && !s.ended()) {
            Entry e = entries.get(file);
            if (e != null && e.session() == s && now - e.at() < REFRESH_MILLIS) {
                return; // recent enough: no new entry per commit
            }
            entries.put(file, new Entry(s, now, false));
            trim();
            return;
        }
        Entry previous = entries.get(file);
        AppendSession ended = s != null ? s : previous == null ? null : previous.session();
        if (ended != null && ended.ended()) {
            if (ended.wasVanished()) {
                entries.put(file, new Entry(null, now, true));
            } else {
                entries.remove(file);
            }
        }
    }

    private void trim() {
        if (entries.size() <= MAX_ENTRIES) {
            return;
        }
        for (Iterator<Entry> i = entries.values().iterator(); i.hasNext() && entries.size() > MAX_ENTRIES;) {
            if (i.next().lost()) {
                i.remove();
            }
        }
    }

    /**
     * The writer of the stream in {@code file}.
     *
     * @param openManaged true if it is a Durable Streams stream that is not closed
     */
    public Status status(Path file, boolean openManaged) throws IOException {
        long now = clock.getAsLong();
        AppendSession s = sessions.apply(file);
        Entry e = entries.get(file);
        if (s != null && !s.ended() || openManaged) {
            long since = e != null && e.session() != null ? e.at() : Files.getLastModifiedTime(file).toMillis();
            return new Status(now - since < IDLE_MILLIS ? "live" : "idle", since);
        }
        if (e != null && e.lost()) {
            return new Status("lost", e.at());
        }
        return new Status("finished", Files.getLastModifiedTime(file).toMillis());
    }
}
