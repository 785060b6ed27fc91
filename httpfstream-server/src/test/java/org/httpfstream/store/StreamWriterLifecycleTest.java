package org.httpfstream.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.httpfstream.durable.DurableStreams;
import org.httpfstream.testing.ManualClock;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * When a stream's writer is closed: idle for the timeout, evicted when too many are open, or discarded
 * with its stream (deleted or expired), so that no appender keeps writing into a deleted file; and what
 * the Durable Streams layer keeps of forks across a restart.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StreamWriterLifecycleTest extends GatedStoreTest {
    static ByteBuffer[] buffers(String s) {
        return new ByteBuffer[] {ByteBuffer.wrap(s.getBytes(UTF_8))};
    }

    @Nested
    class IdleAndEviction {
        @Test
        void onlyWritersWithNoLeaseAndNothingUnsyncedAreClosedWhenIdle() throws Exception {
            StreamStore store = open(true);
            StreamWriter idle = store.writer("/idle.log", true);
            AppendSession leased = store.startAppend("/leased.log");
            StreamWriter unsynced = store.writer("/unsynced.log", true);
            store.barrier().get(20, TimeUnit.SECONDS);
            gate.holdRounds();
            unsynced.exclusive(w -> {
                w.write(buffers("pending"));
                return null;
            });
            store.idleTimeout(0);
            SyncGate.await("the idle writer is closed", () -> !idle.isOpen());
            StreamWriter leasedWriter = store.openWriterOf(leased.file());
            assertThat(leasedWriter).isNotNull();
            assertThat(leasedWriter.isOpen()).isTrue();
            assertThat(unsynced.isOpen()).as("bytes wait for their sync").isTrue();
            assertThat(store.openWriters()).isEqualTo(2);
            gate.releaseRounds();
            SyncGate.await("the synced writer is closed", () -> !unsynced.isOpen());
            leased.end().get(20, TimeUnit.SECONDS);
            SyncGate.await("the writer of the ended session is closed", () -> !leasedWriter.isOpen());
            assertThat(store.openWriters()).isZero();
            assertThat(store.cachedWriter("/idle.log")).isNull();
        }

        @Test
        void beyondTheLimitTheLeastRecentlyUsedIdleWritersAreClosed() throws IOException {
            StreamStore store = open(false);
            List<StreamWriter> opened = new ArrayList<>();
            for (int i = 0; i < StreamStore.MAX_OPEN_WRITERS; i++) {
                opened.add(store.writer("/e/" + i, true));
            }
            assertThat(store.openWriters()).isEqualTo(StreamStore.MAX_OPEN_WRITERS);
            StreamWriter last = store.writer("/e/last", true);
            int kept = StreamStore.MAX_OPEN_WRITERS * 3 / 4;
            assertThat(store.openWriters()).isEqualTo(kept + 1);
            int closedCount = StreamStore.MAX_OPEN_WRITERS - kept;
            for (int i = 0; i < opened.size(); i++) {
                assertThat(opened.get(i).isOpen()).as("writer %d", i).isEqualTo(i >= closedCount);
            }
            assertThat(last.isOpen()).isTrue();
            assertThat(store.cachedWriter("/e/0")).isNull();
            assertThat(store.cachedWriter("/e/last")).isSameAs(last);
        }
    }

    @Nested
    class Discarded {
        @Test
        void aDiscardedStreamsSessionCannotWriteAnyMore() throws IOException {
            StreamStore store = open(false);
            AppendSession s = store.startAppend("/d.log");
            s.append(ByteBuffer.wrap("kept".getBytes(UTF_8)));
            StreamWriter w = store.openWriterOf(s.file());
            store.discard(s.file());
            assertThat(w.isOpen()).isFalse();
            assertThat(store.openWriterOf(s.file())).isNull();
            assertThatThrownBy(() -> s.append(ByteBuffer.wrap("lost".getBytes(UTF_8))))
                    .isInstanceOf(ClosedChannelException.class);
            assertThat(Files.readString(s.file())).isEqualTo("kept");
            s.end();
        }

        @Test
        void anExpiredStreamsWriterIsClosedSoItsAppenderWritesNoMore() throws IOException {
            StreamStore store = open(false);
            ManualClock clock = new ManualClock();
            DurableStreams streams = new DurableStreams(store, clock);
            streams.create("/ttl.txt", new DurableStreams.CreateRequest("text/plain", 1L, null, null, false,
                    "a".getBytes(UTF_8), null)).join();
            AppendSession s = store.startAppend("/ttl.txt");
            s.append(ByteBuffer.wrap("b".getBytes(UTF_8)));
            StreamWriter w = store.openWriterOf(s.file());
            clock.advance(Duration.ofSeconds(2));
            assertThat(streams.snapshot("/ttl.txt")).isNull();
            assertThat(w.isOpen()).isFalse();
            assertThatThrownBy(() -> s.append(ByteBuffer.wrap("c".getBytes(UTF_8))))
                    .isInstanceOf(ClosedChannelException.class);
            assertThat(s.file()).doesNotExist();
            s.end();
        }
    }

    @Nested
    class Forks {
        @ParameterizedTest(name = "fsync={0}")
        @ValueSource(booleans = {false, true})
        void forkReferenceCountsArePersistedAcrossARestart(boolean fsync) throws Exception {
            StreamStore first = open(fsync);
            DurableStreams streams = new DurableStreams(first, Clock.systemUTC());
            streams.create("/src.txt", new DurableStreams.CreateRequest("text/plain", null, null, null, false,
                    "abc".getBytes(UTF_8), null)).join();
            for (String fork : new String[] {"/f1.txt", "/f2.txt"}) {
                streams.create(fork, new DurableStreams.CreateRequest("text/plain", null, null, null, false,
                        new byte[0], new DurableStreams.ForkRequest("/src.txt", null, 0))).join();
            }
            first.close();

            StreamStore second = open(fsync);
            DurableStreams again = new DurableStreams(second, Clock.systemUTC());
            assertThat(again.storage().stream("/src.txt").publishedMetadata().orElseThrow().forkRefs()).isEqualTo(2);
            again.delete("/src.txt").join(); // forks refer to it: soft-deleted
            assertThat(again.storage().stream("/src.txt").publishedMetadata().orElseThrow().softDeleted()).isTrue();
            again.delete("/f1.txt").join();
            second.close();

            StreamStore third = open(fsync);
            DurableStreams last = new DurableStreams(third, Clock.systemUTC());
            assertThat(last.storage().stream("/src.txt").publishedMetadata().orElseThrow().forkRefs()).isEqualTo(1);
            last.delete("/f2.txt").join(); // the last reference: the source goes too
            assertThat(last.storage().stream("/src.txt").publishedMetadata()).isEmpty();
        }
    }
}
