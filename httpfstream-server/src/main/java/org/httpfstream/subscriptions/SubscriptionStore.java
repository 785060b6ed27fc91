package org.httpfstream.subscriptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.httpfstream.json.Json;
import org.httpfstream.store.AtomicFiles;
import org.httpfstream.store.DaemonThreads;
import org.httpfstream.store.StreamStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps subscriptions across restarts: one JSON file per subscription in a folder (its configuration,
 * links, acknowledged offsets and wake generation), replaced by writing a new file and renaming it over
 * the old one, forced to disk when {@code fsync} is on. A store without a folder ({@link #memory()})
 * keeps nothing.
 *
 * <p>Writes happen on the store's own thread, never on the caller's: {@link #save} and {@link #remove}
 * take the state as it is now and return at once; their futures complete once it is written (or the
 * write failed, which is logged: the subscription goes on in memory). Saves that queue up while a write
 * is under way are written together, the latest state of each subscription only, with one directory
 * sync for all. Written by hand rather than through the stream store's metadata batches: subscription
 * files are few, small and not tied to any stream.
 *
 * <p>Thread safety: safe from any thread. {@code pending}, {@code draining} and {@code closed} are guarded by this;
 * files are touched only by the writer thread.
 */
public final class SubscriptionStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionStore.class);
    private final Path folder;
    private final boolean fsync;
    private final ExecutorService writer;
    /** Per file: the text to write (null: delete the file) and who waits for it. Guarded by this. */
    private Map<Path, Pending> pending = new LinkedHashMap<>();
    /** True while a drain is queued or running on the writer. Guarded by this. */
    private boolean draining;
    /** True once {@link #close} began: saves complete at once and write nothing. Guarded by this. */
    private boolean closed;

    private record Pending(String text, List<CompletableFuture<Void>> waiting) {}

    private SubscriptionStore(Path folder, boolean fsync) {
        this.folder = folder;
        this.fsync = fsync;
        this.writer = folder == null ? null
                : Executors.newSingleThreadExecutor(DaemonThreads.named("httpfstream-subscriptions-store"));
    }

    /** A store of files in {@code folder} (created on the first save), forced to disk if {@code fsync}. */
    public static SubscriptionStore files(Path folder, boolean fsync) {
        return new SubscriptionStore(java.util.Objects.requireNonNull(folder, "folder"), fsync);
    }

    /** A store that keeps nothing: every save completes at once. */
    public static SubscriptionStore memory() {
        return new SubscriptionStore(null, false);
    }

    /** The saved subscriptions; a file that cannot be read is logged and skipped. Call before any save. */
    List<Subscription> load() {
        List<Subscription> loaded = new ArrayList<>();
        if (folder == null || !Files.isDirectory(folder)) {
            return loaded;
        }
        try (Stream<Path> files = Files.list(folder)) {
            files.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().forEach(f -> {
                try {
                    loaded.add(restore((Map<?, ?>) Json.parse(Files.readString(f, StandardCharsets.UTF_8))));
                } catch (IOException | RuntimeException e) {
                    LOG.warn("subscription file {} is unreadable, skipped: {}", f, e.toString());
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + folder, e);
        }
        if (!loaded.isEmpty()) {
            LOG.info("{} subscriptions loaded from {}", loaded.size(), folder);
        }
        return loaded;
    }

    /** Saves {@code sub}'s state as it is now; a deleted subscription is not saved. */
    CompletableFuture<Void> save(Subscription sub) {
        return sub.deleted ? CompletableFuture.completedFuture(null) : enqueue(sub.config, Json.write(toMap(sub)));
    }

    /** Removes {@code sub}'s saved state. */
    CompletableFuture<Void> remove(Subscription sub) {
        return enqueue(sub.config, null);
    }

    private CompletableFuture<Void> enqueue(SubscriptionConfig config, String text) {
        if (folder == null) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        boolean start;
        synchronized (this) {
            if (closed) {
                done.complete(null); // closed: nothing more is written
                return done;
            }
            Pending before = pending.remove(file(config));
            List<CompletableFuture<Void>> waiting = before == null ? new ArrayList<>() : before.waiting();
            waiting.add(done);
            pending.put(file(config), new Pending(text, waiting));
            start = !draining;
            draining = true;
        }
        if (start) {
            writer.execute(this::drain); // not shut down: close() marks closed first, under this
        }
        return done;
    }

    /** On the writer thread: writes everything pending, then syncs the folder once. */
    private void drain() {
        Map<Path, Pending> batch;
        synchronized (this) {
            batch = pending;
            pending = new LinkedHashMap<>();
            draining = false;
        }
        if (batch.isEmpty()) {
            return;
        }
        boolean wrote = false;
        for (Map.Entry<Path, Pending> e : batch.entrySet()) {
            wrote |= write(e.getKey(), e.getValue().text());
        }
        if (wrote && fsync) {
            try {
                StreamStore.syncDirectory(folder);
            } catch (IOException e) {
                LOG.error("subscriptions: syncing {} failed; a crash could lose the last changes", folder, e);
            }
        }
        batch.values().forEach(p -> p.waiting().forEach(f -> f.complete(null)));
    }

    /** Writes or deletes one file; true if a file was renamed into place (the folder needs a sync). */
    private boolean write(Path file, String text) {
        try {
            if (text == null) {
                Files.deleteIfExists(file);
                return false;
            }
            writeAtomically(file, text, fsync, false);
            return true;
        } catch (IOException e) {
            LOG.error("subscription file {}: {} failed; a restart would not see the change", file,
                    text == null ? "removing it" : "saving it", e);
            return false;
        }
    }

    /** Waits for what is pending to be written, then stops the writer thread. */
    @Override
    public void close() {
        if (writer == null) {
            return;
        }
        synchronized (this) {
            closed = true;
        }
        writer.shutdown();
        try {
            if (!writer.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("subscriptions: pending saves not written within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The file of a subscription: a digest of its key, so any root and id make a safe file name. */
    private Path file(SubscriptionConfig config) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(config.key().getBytes(StandardCharsets.UTF_8));
            return folder.resolve(HexFormat.of().formatHex(d, 0, 16) + ".json");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Replaces {@code target} with {@code text}, readable by its owner only (see {@link AtomicFiles}); with
     * {@code syncFolder} the folder is synced after the rename.
     */
    static void writeAtomically(Path target, String text, boolean force, boolean syncFolder) throws IOException {
        AtomicFiles.replace(target, text.getBytes(StandardCharsets.UTF_8), force, true);
        if (syncFolder) {
            StreamStore.syncDirectory(target.getParent());
        }
    }

    /** The saved form of {@code sub}. */
    static Map<String, Object> toMap(Subscription sub) {
        SubscriptionConfig c = sub.config;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("root", c.root());
        m.put("id", c.id());
        m.put("type", c.type());
        m.put("pattern", c.pattern());
        m.put("explicit", new ArrayList<>(sub.explicit));
        m.put("webhook_url", c.webhookUrl());
        m.put("wake_stream", c.wakeStream());
        m.put("lease_ttl_ms", c.leaseMs());
        m.put("description", c.description());
        m.put("base_url", c.baseUrl());
        m.put("config", c.config());
        m.put("created_at", c.createdAt());
        m.put("generation", sub.generation);
        List<Map<String, Object>> links = new ArrayList<>();
        sub.links.forEach((p, l) -> {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("path", p);
            e.put("explicit", l.explicit);
            e.put("glob", l.glob);
            e.put("acked", l.acked);
            links.add(e);
        });
        m.put("links", links);
        return m;
    }

    /** A subscription from its saved form {@code m}; ClassCastException or NullPointerException if broken. */
    static Subscription restore(Map<?, ?> m) {
        List<String> explicit = new ArrayList<>();
        for (Object o : (List<?>) m.get("explicit")) {
            explicit.add((String) o);
        }
        Subscription sub = new Subscription(new SubscriptionConfig((String) m.get("root"), (String) m.get("id"),
                (String) m.get("type"), (String) m.get("pattern"), explicit, (String) m.get("webhook_url"),
                (String) m.get("wake_stream"), ((Number) m.get("lease_ttl_ms")).longValue(),
                (String) m.get("description"), (String) m.get("base_url"), (String) m.get("config"),
                (String) m.get("created_at")));
        sub.generation = ((Number) m.get("generation")).longValue();
        for (Object o : (List<?>) m.get("links")) {
            Map<?, ?> l = (Map<?, ?>) o;
            Subscription.Link link = new Subscription.Link(((Number) l.get("acked")).longValue());
            link.explicit = Boolean.TRUE.equals(l.get("explicit"));
            link.glob = Boolean.TRUE.equals(l.get("glob"));
            sub.links.put((String) l.get("path"), link);
        }
        return sub;
    }
}
