package org.httpfstream.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.httpfstream.store.GatedStoreTest.bytes;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Who the store tells about a change: watchers of a stream (long-polls, followers of the file), change
 * listeners (the webhook wake-up) and a session's subscribers, with and without fsync.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StreamStoreListenersTest extends GatedStoreTest {
    @Nested
    class Watchers {
        @Test
        void oneWatcherLeavingKeepsTheOthers() throws IOException {
            open(false);
            Path f = store.root().resolve("w.log");
            AtomicInteger left = new AtomicInteger();
            AtomicInteger stays = new AtomicInteger();
            StreamListener leaving = left::incrementAndGet;
            StreamListener staying = stays::incrementAndGet;
            store.watch(f, leaving);
            store.watch(f, staying);
            store.unwatch(f, leaving);
            assertThat(store.watched(f)).isTrue();
            store.changed(f);
            assertThat(left).hasValue(0);
            assertThat(stays).hasValue(1);
            store.unwatch(f, staying);
            assertThat(store.watched(f)).isFalse();
            store.changed(f);
            assertThat(stays).hasValue(1);
            store.unwatch(f, staying); // nobody left: harmless
            assertThat(store.watched(f)).isFalse();
        }

        @Test
        void watchersOfOneStreamAreNotToldOfAnother() throws IOException {
            open(false);
            AtomicInteger calls = new AtomicInteger();
            store.watch(store.root().resolve("a"), calls::incrementAndGet);
            store.changed(store.root().resolve("b"));
            assertThat(calls).hasValue(0);
        }

        @Test
        void aWatcherIsToldOfEveryAppendAndOfTheSessionsEnd() throws IOException {
            open(false);
            AppendSession s = store.startAppend("/e.log");
            List<String> seen = new CopyOnWriteArrayList<>();
            store.watch(s.file(), () -> seen.add(s.length() + (s.ended() ? " ended" : "")));
            s.append(bytes("ab"));
            s.append(new ByteBuffer[] {bytes("c"), bytes("de")});
            s.end();
            assertThat(seen).containsExactly("2", "5", "5 ended");
        }
    }

    @Nested
    class ChangeListeners {
        @Test
        void areCalledWithTheFileOfEveryAppend() throws IOException {
            open(false);
            List<Path> changed = new CopyOnWriteArrayList<>();
            store.addChangeListener(changed::add);
            AppendSession s = store.startAppend("/c.log");
            s.append(bytes("x"));
            assertThat(changed).containsExactly(s.file());
            s.end();
            assertThat(changed).containsExactly(s.file(), s.file());
        }

        @Test
        void areCalledAfterTheStreamsWatchers() throws IOException {
            open(false);
            List<String> order = new CopyOnWriteArrayList<>();
            store.addChangeListener(f -> order.add("listener"));
            AppendSession s = store.startAppend("/o.log");
            Follower follower = s.follow(0, () -> order.add("follower"));
            store.watch(s.file(), () -> order.add("watcher"));
            s.append(bytes("x"));
            assertThat(order).hasSize(3).endsWith("listener").contains("follower", "watcher");
            follower.close();
            s.end();
        }

        @Test
        void withFsyncAreCalledOnceTheBytesAreSynced() throws Exception {
            AppendSession s = openWithFsyncAndStart("/c.log");
            List<Long> lengths = new CopyOnWriteArrayList<>();
            store.addChangeListener(f -> lengths.add(s.length()));
            gate.holdRounds();
            s.append(bytes("xyz"));
            assertThat(lengths).isEmpty();
            gate.releaseRounds();
            SyncGate.await("the listener is told", () -> !lengths.isEmpty());
            assertThat(lengths.get(0)).isEqualTo(3);
            s.end().get(20, TimeUnit.SECONDS);
        }
    }

    @Nested
    class SessionEnd {
        @Test
        void subscribersAndWatchersAreToldWhenAWebSocketSessionEndsOnlyOnceItsBytesAreSynced() throws Exception {
            AppendSession s = openWithFsyncAndStart("/ws.log");
            List<String> follower = new CopyOnWriteArrayList<>();
            List<String> longPoll = new CopyOnWriteArrayList<>();
            Follower sub = s.follow(0, () -> follower.add(s.length() + (s.ended() ? " ended" : "")));
            store.watch(s.file(), () -> longPoll.add(s.length() + (s.ended() ? " ended" : "")));
            gate.holdRounds();
            s.append(bytes("last"));
            var ended = s.end();
            assertThat(store.activeSessions()).as("the lease is released at once").isZero();
            assertThat(ended).isNotDone();
            assertThat(s.ended()).isFalse();
            assertThat(follower).isEmpty();
            assertThat(longPoll).isEmpty();
            gate.releaseRounds();
            ended.get(20, TimeUnit.SECONDS);
            assertThat(s.ended()).isTrue();
            assertThat(follower).last().isEqualTo("4 ended");
            assertThat(longPoll).last().isEqualTo("4 ended");
            sub.close();
        }

        @Test
        void aSessionWhoseFinalSyncFailsEndsExceptionallyAndStillTellsItsFollowers() throws Exception {
            AppendSession s = openWithFsyncAndStart("/bad.log");
            StoreFaults.install(store).failSyncs(true);
            AtomicInteger told = new AtomicInteger();
            store.watch(s.file(), told::incrementAndGet);
            s.append(bytes("lost"));
            var ended = s.end();
            assertThat(ended).failsWithin(20, TimeUnit.SECONDS);
            assertThat(s.ended()).isTrue();
            assertThat(told.get()).isPositive();
            assertThat(s.length()).isZero();
        }
    }
}
