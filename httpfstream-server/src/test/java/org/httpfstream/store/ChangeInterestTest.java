package org.httpfstream.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.httpfstream.store.memory.MemoryStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A change listener with an interest ({@link Storage#addChangeListener(java.util.function.BooleanSupplier,
 * java.util.function.Consumer)}): asked at every change, told the stream's path only while it says true
 * (the webhook subscriptions: a server without any pays nothing per append), on both stores.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChangeInterestTest {
    @TempDir Path dir;
    Storage storage;

    @AfterEach
    void close() {
        if (storage != null) {
            storage.close();
        }
    }

    Storage open(String kind) throws IOException {
        storage = kind.equals("file") ? new FileStorage(new StreamStore(dir, false)) : new MemoryStorage(StoreLimits.NONE);
        return storage;
    }

    static void append(StoredStream s, String text) throws IOException {
        s.withLease(true, lease -> lease.append(ByteBuffer.wrap(text.getBytes(UTF_8)))).join();
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "memory"})
    void theListenerIsToldOnlyWhileInterested(String kind) throws IOException {
        open(kind);
        AtomicBoolean interested = new AtomicBoolean(false);
        AtomicInteger asked = new AtomicInteger();
        List<String> told = new CopyOnWriteArrayList<>();
        storage.addChangeListener(() -> {
            asked.incrementAndGet();
            return interested.get();
        }, told::add);
        StoredStream s = storage.stream("/sub/a.txt");
        append(s, "1");
        SyncGate.await("the interest is asked", () -> asked.get() > 0);
        assertThat(told).isEmpty();
        interested.set(true);
        int before = asked.get();
        append(s, "2");
        SyncGate.await("the change is told", () -> told.contains("/sub/a.txt"));
        assertThat(asked.get()).isGreaterThan(before);
        assertThat(told).containsOnly("/sub/a.txt");
    }
}
