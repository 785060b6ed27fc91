package org.httpfstream.durable;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.httpfstream.durable.DurableStreams.AppendRequest;
import org.httpfstream.durable.DurableStreams.CreateRequest;
import org.httpfstream.durable.DurableStreams.Extent;
import org.httpfstream.durable.DurableStreams.Snapshot;
import org.httpfstream.store.StreamListener;
import org.httpfstream.testing.StoreExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What the Durable Streams rules tell a stream's watchers (a closure that writes no byte, an expiry,
 * nothing once unwatched), that every operation lets go of the stream's lock for other threads, capped
 * reads that start past zero or find a message's end exactly one block back.
 */
class WatchersAndEdgesTest {
    @RegisterExtension
    final StoreExtension stores = new StoreExtension();

    static AppendRequest close() {
        return new AppendRequest("text/plain", null, null, true, new byte[0]);
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void aClosureThatWritesNoByteTellsTheWatchersAndAnUnwatchedOneHearsNothing(Rules.Store kind)
            throws IOException {
        Rules r = Rules.on(kind, stores);
        r.create("/w", "text/plain", "abc");
        Snapshot s = r.streams.open("/w");
        AtomicInteger kept = new AtomicInteger();
        AtomicInteger left = new AtomicInteger();
        StreamListener keptListener = kept::incrementAndGet;
        StreamListener leftListener = left::incrementAndGet;
        r.streams.watch(s, keptListener);
        r.streams.watch(s, leftListener);
        r.append("/w", Rules.append("text/plain", "d"));
        assertThat(kept.get()).isEqualTo(1);
        assertThat(left.get()).isEqualTo(1);
        r.streams.unwatch(s, leftListener);
        r.append("/w", close());
        assertThat(kept.get()).isEqualTo(2);
        assertThat(left.get()).isEqualTo(1);
        assertThat(r.streams.head("/w").closed()).isTrue();
        assertThat(r.streams.ended(s.stream())).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void anExpiredStreamsWatchersAreToldWhenItIsRemoved(Rules.Store kind) throws IOException {
        Rules r = Rules.on(kind, stores);
        r.streams.create("/e", new CreateRequest("text/plain", 10L, null, null, false, "x".getBytes(UTF_8), null))
                .join();
        Snapshot s = r.streams.open("/e");
        AtomicInteger told = new AtomicInteger();
        r.streams.watch(s, told::incrementAndGet);
        r.clock.advance(Duration.ofSeconds(10));
        assertThat(told.get()).isZero();
        assertThatThrownBy(() -> r.streams.head("/e")).isInstanceOf(DurableStreamException.class);
        assertThat(told.get()).isEqualTo(1);
        assertThat(r.streams.ended(s.stream())).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void everyOperationLetsGoOfTheStreamsLock(Rules.Store kind) throws Exception {
        Rules r = Rules.on(kind, stores);
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            r.create("/src", "text/plain", "abc");
            check(other, () -> r.streams.snapshot("/src"));
            r.append("/src", Rules.append("text/plain", "d"));
            check(other, () -> r.append("/src", Rules.append("text/plain", "e")));
            r.streams.create("/fork", new CreateRequest(null, null, null, null, false, new byte[0],
                    new DurableStreams.ForkRequest("/src", null, 0))).join();
            check(other, () -> r.append("/src", Rules.append("text/plain", "f")));
            check(other, () -> r.append("/fork", Rules.append("text/plain", "g")));
            r.streams.head("/src");
            r.streams.snapshot("/fork");
            check(other, () -> r.streams.delete("/fork").join());
            r.streams.delete("/src").join();
            check(other, () -> r.create("/src", "text/plain", "new"));
            assertThat(r.text("/src")).isEqualTo("new");
        } finally {
            other.shutdownNow();
        }
    }

    /** Runs {@code action} on another thread: it must finish, so no lock is left taken by this one. */
    static void check(ExecutorService other, java.util.concurrent.Callable<?> action) throws Exception {
        Future<?> f = other.submit(action);
        f.get(20, TimeUnit.SECONDS);
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void aCappedReadPastZeroStopsAtTheTail(Rules.Store kind) throws IOException {
        Rules r = Rules.on(kind, stores);
        r.create("/t", "text/plain", "0123456789".repeat(10));
        Snapshot s = r.streams.open("/t");
        Extent e = r.streams.openRead(s, 90, 20);
        assertThat(e.next()).isEqualTo(100);
        assertThat(e.upToDate()).isTrue();
        assertThat(Rules.read(e)).isEqualTo("0123456789");
        Extent capped = r.streams.openRead(s, 50, 20);
        assertThat(capped.next()).isEqualTo(70);
        assertThat(Rules.read(capped)).isEqualTo("01234567890123456789");
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void aMessageEndExactlyOneBlockBeforeTheCapIsFound(Rules.Store kind) throws IOException {
        Rules r = Rules.on(kind, stores);
        String first = "\"" + "a".repeat(98) + "\""; // line 0..99, its end at 100
        String second = "\"" + "b".repeat(99_998) + "\"";
        r.create("/j", "application/json", "[" + first + "," + second + "]");
        Snapshot s = r.streams.open("/j");
        assertThat(s.tail()).isEqualTo(100_102);
        Extent e = r.streams.openRead(s, 0, 100 + 65_536); // the block back from the cap starts at the '\n'
        assertThat(e.next()).isEqualTo(101);
        assertThat(Rules.read(e)).isEqualTo(first + "\n");
    }
}
