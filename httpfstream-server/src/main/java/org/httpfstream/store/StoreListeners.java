package org.httpfstream.store;

import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Who a store tells of a change, keyed by {@code K} (the {@link StreamStore}'s files, the memory and
 * NATS stores' paths): the watchers of each stream (every kind of follower: a
 * WebSocket session's, a live HTTP or SSE follower, a long poll) and the store-wide change listeners
 * (webhook wake-ups), through one call per change ({@link #changed}); and the refusal listeners
 * (metrics).
 *
 * <p>Thread safety: safe for use from any number of threads (concurrent sets and copy-on-write lists);
 * listeners run on the thread that reports the change and must return quickly.
 */
public final class StoreListeners<K> {
    private final ConcurrentHashMap<K, Set<StreamListener>> watchers = new ConcurrentHashMap<>();
    private final List<Consumer<K>> changeListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<IOException>> refusalListeners = new CopyOnWriteArrayList<>();

    /**
     * Calls {@code listener} after every change to {@code file} by any writer: committed bytes, the end
     * of an append session, or a {@link #changed} (closure, deletion). Undo with {@link
     * #unwatch}.
     */
    public void watch(K file, StreamListener listener) {
        Objects.requireNonNull(listener, "listener");
        watchers.computeIfAbsent(file, f -> ConcurrentHashMap.newKeySet()).add(listener);
    }

    /** True while some listener {@link #watch watches} {@code file} (a waiting long-poll, for one). */
    public boolean watched(K file) {
        return watchers.containsKey(file);
    }

    /** Stops calling {@code listener} for {@code file}. */
    public void unwatch(K file, StreamListener listener) {
        watchers.computeIfPresent(file, (f, set) -> {
            set.remove(listener);
            return set.isEmpty() ? null : set;
        });
    }

    /**
     * Calls {@code listener} with the file of every stream that changes (see {@link #watch}). It runs
     * on the writer's thread: it must return quickly and must not block.
     */
    public void addChangeListener(Consumer<K> listener) {
        changeListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Calls {@code listener} once for every append the store refuses: {@link StreamTooLargeException}
     * or {@link InsufficientStorageException} (for counting; it must return quickly).
     */
    public void addRefusalListener(Consumer<IOException> listener) {
        refusalListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Tells the refusal listeners of {@code refusal}; returns it. */
    public <E extends IOException> E refused(E refusal) {
        for (Consumer<IOException> l : refusalListeners) {
            l.accept(refusal);
        }
        return refusal;
    }

    /**
     * Tells the watchers of {@code file} that it changed, then the change listeners: the followers,
     * whose latency is measured, first (as before the one notification path, when a session told its
     * own followers before the store's listeners); the webhook wake-ups after.
     */
    public void changed(K file) {
        Set<StreamListener> set = watchers.get(file);
        if (set != null) {
            for (StreamListener l : set) {
                l.onChange();
            }
        }
        for (Consumer<K> l : changeListeners) {
            l.accept(file);
        }
    }

    /**
     * A follower of the stream at {@code file} over {@code length} and {@code reader} (a store without
     * files): {@code listener} {@link #watch watches} the stream until the follower is closed.
     */
    public Follower follow(K file, LongSupplier length, Follower.Reader reader, StreamListener listener,
            BooleanSupplier ended) {
        watch(file, listener);
        return new Follower(Follower.source(length, reader, () -> unwatch(file, listener)), listener, ended);
    }
}
