package org.httpfstream.viewer;

import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.httpfstream.store.SessionLease;
import org.httpfstream.store.Storage;
import org.httpfstream.store.StoredStream;

/**
 * What the viewer says about a stream's writer: {@code live} (an append is under way and wrote within
 * the idle threshold, by default {@value #IDLE_MILLIS} ms), {@code idle} (under way, silent longer), {@code finished} (no append
 * under way, the last one ended as asked), or {@code lost} (the last appender's connection ended
 * without an end of its append). It learns from the store's one change notification ({@link
 * #changed}): each commit while a session is active, and the session's end, when it reads {@link
 * SessionLease#wasVanished()}. Any store: sessions and modification times come through the storage
 * seam; what it remembers is keyed as the store's change events key streams ({@link StreamKeys}). A Durable Streams stream that is open counts as under way (its
 * appends are requests, not sessions), with its file's modification time as its last write.
 *
 * <p>Only what a file cannot say is kept: active sessions' last write times and lost ends, at most
 * {@value #MAX_ENTRIES} (the oldest lost ends go first). After a restart a stream that was lost reads
 * {@code finished}: the server does not persist it.
 *
 * <p>Thread safety: safe for use by any thread; entries live in a concurrent map, each immutable.
 */
public final class WriterStates {
    /** By default, an append silent this long is idle. */
    public static final long IDLE_MILLIS = 5000;
    static final int MAX_ENTRIES = 10_000;
    /** A live session's last write time is recorded at most this often. */
    static final long REFRESH_MILLIS = 100;

    /** The writer's state and since when, in ms since the epoch. */
    public record Status(String writer, long since) {}

    /** What is known of a stream's last or current session. */
    private record Entry(SessionLease session, long at, boolean lost) {}

    private final Storage storage;
    private final StreamKeys keys;
    private final LongSupplier clock;
    private final long idleMillis;
    /** By stream key ({@link StoredStream#key()}). */
    private final Map<Object, Entry> entries = new ConcurrentHashMap<>();

    /**
     * @param storage the streams
     * @param keys the streams by the keys of the store's change events
     * @param clock milliseconds since the epoch
     * @param idleMillis an append silent this long is idle
     */
    public WriterStates(Storage storage, StreamKeys keys, LongSupplier clock, long idleMillis) {
        if (idleMillis <= 0) {
            throw new IllegalArgumentException("idleMillis <= 0: " + idleMillis);
        }
        this.storage = storage;
        this.keys = keys;
        this.clock = clock;
        this.idleMillis = idleMillis;
    }

    /**
     * The store committed bytes to the stream with {@code key} or ended its session. Quick, no I/O;
     * never blocks (the writer's thread calls it after every commit).
     */
    public void changed(Object key) {
        SessionLease s = keys.session(key);
        long now = clock.getAsLong();
        if (s != null && !s.ended()) {
            Entry e = entries.get(key);
            if (e != null && e.session() == s && now - e.at() < REFRESH_MILLIS) {
                return; // recent enough: no new entry per commit
            }
            entries.put(key, new Entry(s, now, false));
            trim();
            return;
        }
        Entry previous = entries.get(key);
        SessionLease ended = s != null ? s : previous == null ? null : previous.session();
        if (ended != null && ended.ended()) {
            if (ended.wasVanished()) {
                entries.put(key, new Entry(null, now, true));
            } else {
                entries.remove(key);
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
     * The writer of the stream {@code name}.
     *
     * @param openManaged true if it is a Durable Streams stream that is not closed
     * @throws java.nio.file.NoSuchFileException if there is no such stream
     */
    public Status status(String name, boolean openManaged) throws IOException {
        long now = clock.getAsLong();
        StoredStream stream = storage.stream(name);
        SessionLease s = stream.session().orElse(null);
        Entry e = entries.get(stream.key());
        if (s != null && !s.ended() || openManaged) {
            long since = e != null && e.session() != null ? e.at() : stream.lastModified();
            return new Status(now - since < idleMillis ? "live" : "idle", since);
        }
        if (e != null && e.lost()) {
            return new Status("lost", e.at());
        }
        return new Status("finished", stream.lastModified());
    }
}
