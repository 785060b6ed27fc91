package org.httpfstream.subscriptions;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * {@link StreamAccess} in memory for tests: streams are paths with a length; {@link #grow} makes a stream
 * longer and tells the listener as the store would. Appended wake events are kept in {@link #appended}.
 *
 * <p>Thread safety: synchronized.
 */
final class FakeStreams implements StreamAccess {
    /** Stream lengths by absolute path. */
    final Map<String, Long> tails = new LinkedHashMap<>();
    /** What was appended, as text, by path. */
    final List<String> appended = new ArrayList<>();
    BooleanSupplier interested;
    Consumer<String> listener;
    Runnable closeListener;
    boolean listingFails;
    boolean appendFails;

    synchronized FakeStreams with(String path, long length) {
        tails.put(path, length);
        return this;
    }

    /** Appends {@code n} bytes to {@code path} (creating it) and tells the listener if it is interested. */
    void grow(String path, long n) {
        synchronized (this) {
            tails.merge(path, n, Long::sum);
        }
        if (interested.getAsBoolean()) {
            listener.accept(path);
        }
    }

    @Override
    public synchronized long tail(String path) {
        return tails.getOrDefault(path, 0L);
    }

    @Override
    public synchronized List<String> streamsUnder(String root) {
        if (listingFails) {
            throw new UncheckedIOException(new java.io.IOException("listing failed"));
        }
        List<String> paths = new ArrayList<>();
        for (String p : tails.keySet()) {
            if (p.startsWith(root + "/")) {
                paths.add(p.substring(root.length() + 1));
            }
        }
        return paths;
    }

    @Override
    public synchronized CompletableFuture<?> appendJson(String path, byte[] json) {
        if (appendFails) {
            return CompletableFuture.failedFuture(new java.io.IOException("no such stream"));
        }
        appended.add(path + " " + new String(json, StandardCharsets.UTF_8));
        tails.merge(path, (long) json.length, Long::sum);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void onChange(BooleanSupplier interested, Consumer<String> listener) {
        this.interested = interested;
        this.listener = listener;
    }

    @Override
    public void onClose(Runnable listener) {
        this.closeListener = listener;
    }
}
