package org.httpfstream.subscriptions;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.httpfstream.durable.DurableStreams;
import org.httpfstream.store.StreamStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server's {@link StreamAccess} over a real store on temp files. */
class DurableStreamAccessTest {
    @TempDir Path root;
    StreamStore store;
    DurableStreams streams;
    DurableStreamAccess access;

    @BeforeEach
    void open() throws IOException {
        store = new StreamStore(root);
        streams = new DurableStreams(store, Clock.systemUTC());
        access = new DurableStreamAccess(streams);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private void create(String path, String type, String body) throws IOException {
        streams.create(path, new DurableStreams.CreateRequest(type, null, null, null, false, body.getBytes(UTF_8),
                null)).join();
    }

    @Test
    void tailsAreCommittedLengthsAndZeroWithoutAStream() throws IOException {
        create("/logs/a", "text/plain", "hello");
        assertThat(access.tail("/logs/a")).isEqualTo(5);
        assertThat(access.tail("/logs/none")).isZero();
        assertThat(access.tail("/../../etc")).isZero();
    }

    @Test
    void theStreamsUnderARootAreListedWithoutTheMetadataFolder() throws IOException {
        create("/logs/a", "text/plain", "x");
        create("/logs/deep/b", "text/plain", "x");
        create("/other", "text/plain", "x");
        assertThat(access.streamsUnder("/logs")).containsExactlyInAnyOrder("a", "deep/b");
        assertThat(access.streamsUnder("")).containsExactlyInAnyOrder("logs/a", "logs/deep/b", "other")
                .noneMatch(p -> p.startsWith(".httpfstream"));
        assertThat(Files.isDirectory(root.resolve(".httpfstream"))).isTrue();
        assertThat(access.streamsUnder("/other")).isEmpty(); // a stream, not a folder
        assertThat(access.streamsUnder("/missing")).isEmpty();
        assertThat(access.streamsUnder("/../..")).isEmpty();
    }

    @Test
    void wakeEventsAreAppendedAsJsonMessages() throws Exception {
        create("/wake", "application/json", "");
        access.appendJson("/wake", "[{\"a\":1}]".getBytes(UTF_8)).get(5, TimeUnit.SECONDS);
        assertThat(access.tail("/wake")).isPositive();
        assertThat(access.appendJson("/none", "[1]".getBytes(UTF_8))).isCompletedExceptionally();
    }

    @Test
    void changesAreToldAsAbsolutePathsOnlyWhileSomeoneIsInterested() throws Exception {
        AtomicBoolean interested = new AtomicBoolean(false);
        List<String> changed = new CopyOnWriteArrayList<>();
        access.onChange(interested::get, changed::add);
        create("/logs/a", "text/plain", "x");
        interested.set(true);
        streams.append("/logs/a", new DurableStreams.AppendRequest("text/plain", null, null, false,
                "y".getBytes(UTF_8))).get(5, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (changed.isEmpty()) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        assertThat(changed).containsOnly("/logs/a");
    }

    @Test
    void closingTheStoreTellsTheCloseListener() {
        AtomicInteger closed = new AtomicInteger();
        access.onClose(closed::incrementAndGet);
        store.close();
        assertThat(closed).hasValue(1);
    }
}
