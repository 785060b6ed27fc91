package org.httpfstream.store.nats;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.httpfstream.testing.StoredBytes.read;
import static org.httpfstream.testing.StoredBytes.readAll;

import io.nats.client.Connection;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;
import org.httpfstream.store.Follower;
import org.httpfstream.store.SessionLease;
import org.httpfstream.store.StoreLimits;
import org.httpfstream.store.StoredStream;
import org.httpfstream.store.WriterConflictException;
import org.httpfstream.testing.Await;
import org.httpfstream.testing.NatsCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the NATS store does beyond the seam's contract, on a real 3-node cluster: two front nodes (two
 * stores, each on its own connection to its own NATS server) over one namespace share streams, one
 * writer across both, appends cut into records and shown whole, records checked by CRC32C, a writer
 * paused past its lease fenced by the log, and acknowledged appends that outlive a killed NATS node.
 */
class NatsStorageTest {
    @RegisterExtension
    static final NatsCluster nats = new NatsCluster();
    private static final AtomicInteger namespaces = new AtomicInteger();
    /** Small records, so that a test append is cut into several. */
    static final int CHUNK = 1024;
    /** Four shards: a 2-core test machine makes 3 × 16 R3 streams slowly (16 s), 3 × 4 in a few. */
    static final NatsConfig TEST_CONFIG = new NatsConfig("test", 4, 3, Duration.ofSeconds(10), 256 * 1024);

    private final List<AutoCloseable> toClose = new ArrayList<>();
    NatsStorage a;
    NatsStorage b;
    NatsConfig config;

    @BeforeEach
    void twoFrontNodes() throws Exception {
        config = new NatsConfig("s" + namespaces.incrementAndGet(), TEST_CONFIG.shards(), 3, Duration.ofSeconds(10), CHUNK);
        a = node(0);
        b = node(1);
    }

    /** A front node attached to NATS server {@code i}. */
    NatsStorage node(int i) throws Exception {
        Connection c = nats.connect(i);
        NatsStorage s = new NatsStorage(c, true, config, StoreLimits.NONE);
        toClose.add(s);
        return s;
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    static ByteBuffer bytes(String text) {
        return ByteBuffer.wrap(text.getBytes(UTF_8));
    }

    /** What each thread of {@link #concurrently} does, once per turn, to its node's stream. */
    interface Turn {
        void run(StoredStream s) throws Exception;
    }

    /**
     * Runs {@code turn} {@code times} times on the stream at {@code path}, on one thread per entry of
     * {@code nodes}, all at once; fails if any thread failed.
     */
    static void concurrently(List<NatsStorage> nodes, String path, int times, Turn turn) throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (NatsStorage node : nodes) {
            Thread t = new Thread(() -> {
                try {
                    StoredStream s = node.stream(path);
                    for (int i = 0; i < times; i++) {
                        turn.run(s);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join(60_000);
        }
        assertThat(failures).isEmpty();
    }

    @Nested
    class TwoFrontNodes {
        @Test
        void anAppendSessionOnOneIsFollowedLiveOnTheOtherWithTheSameOffsets() throws Exception {
            StoredStream onA = a.stream("/live/x.log");
            SessionLease session = onA.startSession();
            session.append(bytes("hello "));
            StoredStream onB = b.stream("/live/x.log");
            Await.until("node B sees the stream", onB::exists);
            AtomicInteger told = new AtomicInteger();
            try (Follower f = onB.follow(told::incrementAndGet, () -> false)) {
                session.append(bytes("from "), bytes("A"));
                Await.until("B's follower sees every byte", () -> f.length() == 12);
                assertThat(readAll(f)).isEqualTo("hello from A");
                assertThat(told.get()).isPositive();
                session.end().join();
            }
            assertThat(onB.committedLength()).isEqualTo(12);
            assertThat(b.list("/live/")).containsExactly("/live/x.log");
        }

        @Test
        void aSecondAppenderOnTheOtherNodeIsRefusedUntilTheFirstEnds() throws Exception {
            SessionLease first = a.stream("/one.log").startSession();
            StoredStream onB = b.stream("/one.log");
            assertThatThrownBy(onB::startSession).isInstanceOf(WriterConflictException.class)
                    .hasMessage(WriterConflictException.MESSAGE);
            assertThatThrownBy(() -> onB.withLease(false, lease -> null)).isInstanceOf(WriterConflictException.class);
            first.append(bytes("a"));
            first.end().join();
            SessionLease second = onB.startSession();
            second.append(bytes("b"));
            second.end().join();
            assertThat(read(a.stream("/one.log"), 0, 2)).isEqualTo("ab");
        }

        @Test
        void oneOperationLeasesOnBothNodesTakeTurnsAndLoseNoAppend() throws Exception {
            int each = 150; // KV create and update double-granted within a few hundred turns on 2.9.10
            concurrently(List.of(a, b), "/turns.log", each,
                    s -> s.withLease(true, lease -> lease.append(bytes("x"))).join());
            assertThat(a.stream("/turns.log").committedLength()).isEqualTo(2L * each);
            assertThat(b.stream("/turns.log").committedLength()).isEqualTo(2L * each);
        }

        @Test
        void metadataUpdatesFromBothNodesAtOnceAreAtomic() throws Exception {
            StoredStream onA = a.stream("/count.txt");
            onA.withLease(true, lease -> lease.append(bytes("x"))).join();
            onA.putMetadata(org.httpfstream.store.StreamMetadata.defaults("text/plain"));
            int each = 40;
            concurrently(List.of(a, b, a, b), "/count.txt", each,
                    s -> s.updateMetadata(m -> m.map(x -> x.withForkRefs(x.forkRefs() + 1))));
            assertThat(b.stream("/count.txt").metadata().orElseThrow().forkRefs()).isEqualTo(4 * each);
        }

        @Test
        void metadataAndDeletionAreSeenFromBothNodes() throws Exception {
            StoredStream onA = a.stream("/m.txt");
            onA.withLease(true, lease -> lease.append(bytes("x"))).join();
            onA.putMetadata(org.httpfstream.store.StreamMetadata.defaults("text/plain"));
            assertThat(b.stream("/m.txt").metadata().orElseThrow().contentType()).isEqualTo("text/plain");
            b.stream("/m.txt").delete(() -> { });
            assertThat(onA.exists()).isFalse();
            assertThat(onA.withLease(true, lease -> lease.append(bytes("new"))).join()).isEqualTo(3);
            assertThat(read(b.stream("/m.txt"), 0, 3)).isEqualTo("new");
        }
    }

    @Nested
    class Records {
        @Test
        void aLargeAppendIsCutIntoRecordsAndReadBackWhole() throws Exception {
            byte[] big = new byte[5 * CHUNK + 17];
            ThreadLocalRandom.current().nextBytes(big);
            StoredStream s = a.stream("/big.bin");
            assertThat(s.withLease(true, lease -> lease.append(ByteBuffer.wrap(big))).join()).isEqualTo(big.length);
            assertThat(recordsOf("/big.bin")).hasSize(6);
            StoredStream onB = b.stream("/big.bin");
            assertThat(onB.committedLength()).isEqualTo(big.length);
            ByteBuffer dst = ByteBuffer.allocate(big.length);
            while (dst.hasRemaining()) {
                assertThat(onB.read(dst.position(), dst)).isPositive();
            }
            assertThat(dst.array()).isEqualTo(big);
        }

        @Test
        void theRecordsOfAnAppendWhoseWriterDiedAreNeverShownAndTheNextWriterStartsOver() throws Exception {
            StoredStream s = a.stream("/died.log");
            s.withLease(true, lease -> lease.append(bytes("ok:"))).join();
            // a writer dies after the first record of a two-record append (3..8 of an append to 13)
            publishRaw("/died.log", 3, 13, "HALF-".getBytes(UTF_8), true);
            StoredStream onB = b.stream("/died.log");
            assertThat(onB.committedLength()).isEqualTo(3);
            // the next writer takes the lease afresh, on another node (a gives up the lease it kept)
            assertThat(onB.withLease(false, lease -> {
                assertThat(lease.written()).isEqualTo(3);
                return lease.append(bytes("whole"));
            }).join()).isEqualTo(8);
            Await.until("B sees the new append", () -> onB.knownCommittedLength() == 8);
            assertThat(read(onB, 0, 8)).isEqualTo("ok:whole");
            assertThat(read(node(2).stream("/died.log"), 0, 8)).isEqualTo("ok:whole"); // a late joiner too
        }

        @Test
        void theRestOfABatchWhoseHeadDidNotLandIsRefusedByEveryNode() throws Exception {
            StoredStream s = a.stream("/orphan.log");
            s.withLease(true, lease -> lease.append(bytes("head:"))).join();
            // the second record of a batch whose head was refused: it continues the bytes exactly, with the
            // current lease's token, but no head of its batch was applied
            String token = a.jsm.getLastMessage(a.names.streamOf("/orphan.log"),
                    a.names.subject("/orphan.log", a.entry("/orphan.log").generation())).getHeaders()
                    .getFirst(NatsLog.LEASE);
            publishRaw("/orphan.log", 5, 11, "orphan".getBytes(UTF_8), Long.parseLong(token), "b0");
            assertThat(b.stream("/orphan.log").withLease(false, lease -> { // takes the lease afresh
                assertThat(lease.written()).isEqualTo(5);
                return lease.append(bytes("next"));
            }).join()).isEqualTo(9);
            for (NatsStorage node : List.of(a, b, node(2))) {
                StoredStream onNode = node.stream("/orphan.log");
                assertThat(onNode.committedLength()).isEqualTo(9);
                assertThat(read(onNode, 0, 9)).isEqualTo("head:next");
            }
        }

        @Test
        void aRecordThatFailsItsCrcIsNotShown() throws Exception {
            StoredStream s = a.stream("/crc.log");
            s.withLease(true, lease -> lease.append(bytes("good"))).join();
            publishRaw("/crc.log", 4, 7, "bad".getBytes(UTF_8), false);
            NatsStorage late = node(2);
            StoredStream onLate = late.stream("/crc.log");
            assertThatThrownBy(onLate::committedLength).hasMessageContaining("CRC32C");
            assertThat(s.knownCommittedLength()).isEqualTo(4);
            assertThat(read(s, 0, 4)).isEqualTo("good");
        }
    }

    @Nested
    class Fencing {
        @Test
        void aWriterPausedPastItsLeaseIsRefusedByTheLogAndNeverInterleaved() throws Exception {
            SessionLease paused = a.stream("/fence.log").startSession();
            paused.append(bytes("A1"));
            Await.until("A1 is committed", () -> paused.length() == 2);
            // the pause outlasts the lease: its message ages out (purged here, as max_age would)
            a.jsm.purgeStream(NatsNames.leaseStreamName(a.names.shard("/fence.log")),
                    io.nats.client.PurgeOptions.subject(a.names.leaseSubject("/fence.log")));
            SessionLease next = b.stream("/fence.log").startSession();
            next.append(bytes("B1"));
            Await.until("B1 is committed", () -> next.length() == 4);
            // Woke up: its record is fenced by the log (10071). If its lease renewal ran first (a slow
            // cluster, after the node kills of NodeLoss), the session already knows its lease is gone and
            // refuses the append itself: either way the late bytes never land.
            Throwable refused = org.assertj.core.api.Assertions.catchThrowable(() -> {
                paused.append(bytes("late"));
                paused.end().join();
            });
            Throwable why = refused instanceof CompletionException ? refused.getCause() : refused;
            assertThat(why).isInstanceOfAny(NatsWriter.FencedException.class,
                    org.httpfstream.store.WriterConflictException.class);
            next.append(bytes("B2"));
            next.end().join();
            StoredStream onA = a.stream("/fence.log");
            assertThat(onA.committedLength()).isEqualTo(6);
            assertThat(read(onA, 0, 6)).isEqualTo("A1B1B2");
        }

        /**
         * The log's own check, deterministically: the paused writer is driven directly, so neither its
         * session's lease renewal nor the lease tokens can refuse it first. JetStream refuses its record
         * (10071, wrong last sequence: another writer appended since), and the record is not on the log
         * at all, not merely ignored by readers.
         */
        @Test
        void thePausedWritersRecordIsRefusedByJetStreamWithWrongLastSequenceAndNeverStored() throws Exception {
            String path = "/fence-log.log";
            SessionLease paused = a.stream(path).startSession();
            paused.append(bytes("A1"));
            Await.until("A1 is committed", () -> paused.length() == 2);
            NatsWriter pausedWriter = a.cachedView(path).writer(); // the paused session's writer, as it was
            a.jsm.purgeStream(NatsNames.leaseStreamName(a.names.shard(path)),
                    io.nats.client.PurgeOptions.subject(a.names.leaseSubject(path))); // its lease aged out
            SessionLease next = b.stream(path).startSession();
            next.append(bytes("B1"));
            Await.until("B1 is committed", () -> next.length() == 4);
            Await.until("node A's view applied B1", () -> a.stream(path).committedLength() == 4);

            var late = pausedWriter.append(new ByteBuffer[] {bytes("late")}, 0, (length, n, max) -> { });
            Throwable refused = org.assertj.core.api.Assertions.catchThrowable(late::join);
            assertThat(refused).isInstanceOf(CompletionException.class)
                    .hasCauseInstanceOf(NatsWriter.FencedException.class);
            assertThat(apiErrorCode(refused)).isEqualTo(10071);
            assertThatThrownBy(() -> pausedWriter.append(new ByteBuffer[] {bytes("later")}, 0, (l, n, m) -> { }))
                    .isInstanceOf(NatsWriter.FencedException.class); // and it stays refused

            next.append(bytes("B2"));
            next.end().join();
            String subject = a.cachedView(path).log().subject;
            var state = a.jsm.getStreamInfo(a.names.streamOf(path),
                    io.nats.client.api.StreamInfoOptions.filterSubjects(subject)).getStreamState();
            assertThat(state.getSubjectMap()).containsEntry(subject, 3L); // A1, B1, B2: no late record
            for (NatsStorage node : List.of(a, b, node(2))) {
                assertThat(node.stream(path).committedLength()).isEqualTo(6);
                assertThat(read(node.stream(path), 0, 6)).isEqualTo("A1B1B2");
            }
        }

        /** The JetStream API error code in {@code t}'s causes, or -1. */
        static int apiErrorCode(Throwable t) {
            for (Throwable x = t; x != null; x = x.getCause()) {
                if (x instanceof io.nats.client.JetStreamApiException j) {
                    return j.getApiErrorCode();
                }
            }
            return -1;
        }
    }

    @Nested
    class StaleLeases {
        @Test
        void aStaleWritersRecordThatSlipsPastTheServersCheckIsIgnoredByEveryReader() throws Exception {
            StoredStream s = a.stream("/token.log");
            s.withLease(true, lease -> lease.append(bytes("one"))).join(); // lease token t1
            // a later lease, on another node: t2 > t1 (a asked to give up the lease it kept)
            b.stream("/token.log").withLease(false, lease -> lease.append(bytes("two"))).join();
            // a writer of the first lease, whose record the server's pre-check let through (nats-server#4320)
            publishRaw("/token.log", 6, 11, "stale".getBytes(UTF_8), true, 1);
            s.withLease(false, lease -> {
                assertThat(lease.written()).isEqualTo(6);
                return lease.append(bytes("three"));
            }).join();
            for (NatsStorage node : List.of(a, b, node(2))) {
                StoredStream onNode = node.stream("/token.log");
                assertThat(onNode.committedLength()).isEqualTo(11);
                assertThat(read(onNode, 0, 11)).isEqualTo("onetwothree");
            }
        }
    }

    /** Elections and a rejoining node catching up take tens of seconds on a loaded 2-core machine. */
    @Nested
    @org.junit.jupiter.api.Timeout(value = 300, unit = java.util.concurrent.TimeUnit.SECONDS)
    class NodeLoss {
        @Test
        void everyAcknowledgedAppendOutlivesAKilledNatsNode() throws Exception {
            StoredStream s = a.stream("/kill.log");
            StringBuilder expected = new StringBuilder();
            int total = 60;
            for (int i = 0; i < total; i++) {
                if (i == 20) {
                    nats.kill(2); // SIGKILL, mid-stream; A and B are attached to the other two
                }
                String piece = String.format("%03d,", i);
                appendUntilAcknowledged(s, expected.length(), piece);
                expected.append(piece);
            }
            nats.restart(2);
            assertThat(b.stream("/kill.log").committedLength()).isEqualTo(expected.length());
            assertThat(read(b.stream("/kill.log"), 0, expected.length())).isEqualTo(expected.toString());
            assertThat(read(node(2).stream("/kill.log"), 0, expected.length())).isEqualTo(expected.toString());
        }

        @Test
        void theStreamsLeaderKilledThreeTimesInARowLosesNoAcknowledgedAppend() throws Exception {
            StoredStream s = a.stream("/leader.log");
            StringBuilder expected = new StringBuilder();
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 10; i++) {
                    String piece = String.format("%d.%02d,", round, i);
                    appendUntilAcknowledged(s, expected.length(), piece);
                    expected.append(piece);
                }
                int leader = leaderOf(a.names.streamOf("/leader.log"));
                nats.kill(leader); // SIGKILL the stream's leader, then append through the election
                for (int i = 10; i < 20; i++) {
                    String piece = String.format("%d.%02d,", round, i);
                    appendUntilAcknowledged(s, expected.length(), piece);
                    expected.append(piece);
                }
                nats.restart(leader);
            }
            for (NatsStorage node : List.of(a, b, node(2))) {
                StoredStream onNode = node.stream("/leader.log");
                assertThat(onNode.committedLength()).isEqualTo(expected.length());
                assertThat(read(onNode, 0, expected.length())).isEqualTo(expected.toString());
            }
        }

        /** The node (0..2) that leads {@code stream}, waiting for an election if there is none. */
        private int leaderOf(String stream) throws Exception {
            String[] leader = new String[1];
            Await.until("stream " + stream + " has a leader", () -> {
                leader[0] = a.jsm.getStreamInfo(stream).getClusterInfo().getLeader();
                return leader[0] != null;
            });
            return Integer.parseInt(leader[0].substring(1)); // server_name n<i>
        }

        /**
         * Appends {@code piece} at {@code at}, trying again after a failure (a leader election): each try
         * takes the lease and first learns where the stream ends, so a piece that was stored although its
         * acknowledgement was lost is not appended twice.
         */
        private void appendUntilAcknowledged(StoredStream s, long at, String piece) throws Exception {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            for (;;) {
                try {
                    s.withLease(true, lease -> {
                        if (lease.written() == at) {
                            return lease.append(bytes(piece));
                        }
                        assertThat(lease.written()).as("stored although unacknowledged").isEqualTo(at + piece.length());
                        return java.util.concurrent.CompletableFuture.completedFuture(lease.written());
                    }).join();
                    return;
                } catch (IOException | CompletionException e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                }
            }
        }
    }

    /** The records of {@code path}'s current generation, read with a consumer of its own. */
    List<Message> recordsOf(String path) throws Exception {
        NatsStorage.Entry e = a.entry(path);
        String subject = a.names.subject(path, e.generation());
        JetStreamSubscription sub = a.js.subscribe(subject,
                PushSubscribeOptions.builder().stream(a.names.streamOf(path)).ordered(true).build());
        long last = a.jsm.getLastMessage(a.names.streamOf(path), subject).getSeq();
        List<Message> records = new ArrayList<>();
        while (records.isEmpty() || records.get(records.size() - 1).metaData().streamSequence() < last) {
            Message m = sub.nextMessage(Duration.ofSeconds(10));
            assertThat(m).as("record %d of %s", records.size(), path).isNotNull();
            records.add(m);
        }
        sub.unsubscribe();
        return records;
    }

    /**
     * Publishes one record of {@code path} as the holder of the current lease would, with a right or
     * wrong CRC32C.
     */
    void publishRaw(String path, long off, long end, byte[] payload, boolean rightCrc) throws Exception {
        NatsStorage.Entry e = a.entry(path);
        String token = a.jsm.getLastMessage(a.names.streamOf(path), a.names.subject(path, e.generation()))
                .getHeaders().getFirst(NatsLog.LEASE); // the current lease's: the writer that died held it
        publishRaw(path, off, end, payload, rightCrc, Long.parseLong(token));
    }

    /** A record that is not the head of batch {@code batch} (no expected sequence), as a writer's rest. */
    void publishRaw(String path, long off, long end, byte[] payload, long token, String batch) throws Exception {
        NatsStorage.Entry e = a.entry(path);
        CRC32C crc = new CRC32C();
        crc.update(payload);
        Headers h = new Headers().add(NatsLog.OFF, Long.toString(off)).add(NatsLog.END, Long.toString(end))
                .add(NatsLog.CRC, Long.toString(crc.getValue())).add(NatsLog.LEASE, Long.toString(token))
                .add(NatsLog.BATCH, batch);
        a.js.publish(NatsMessage.builder().subject(a.names.subject(path, e.generation())).headers(h)
                .data(Arrays.copyOf(payload, payload.length)).build());
    }

    /** The same, with lease token {@code token}. */
    void publishRaw(String path, long off, long end, byte[] payload, boolean rightCrc, long token) throws Exception {
        NatsStorage.Entry e = a.entry(path);
        CRC32C crc = new CRC32C();
        crc.update(payload);
        long value = rightCrc ? crc.getValue() : crc.getValue() ^ 1;
        Headers h = new Headers().add(NatsLog.OFF, Long.toString(off)).add(NatsLog.END, Long.toString(end))
                .add(NatsLog.CRC, Long.toString(value)).add(NatsLog.LEASE, Long.toString(token));
        a.js.publish(NatsMessage.builder().subject(a.names.subject(path, e.generation())).headers(h)
                .data(Arrays.copyOf(payload, payload.length)).build());
    }
}
