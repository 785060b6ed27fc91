package org.httpfstream.store.nats;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.httpfstream.testing.StoredBytes.readAll;

import io.nats.client.api.ConsumerInfo;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.httpfstream.store.Follower;
import org.httpfstream.store.SessionLease;
import org.httpfstream.store.StoreLimits;
import org.httpfstream.testing.Await;
import org.httpfstream.testing.NatsCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Many streams on two front nodes. Each node makes one subscription (one JetStream consumer) per
 * stream however many of its followers read it, fans the records out in-process, and the streams are
 * spread over the shard streams (counted on the cluster: the consumers on the shard streams whose filter
 * is one of this test's subjects). And a stream and a folder of the same name made on the two nodes at
 * once never both exist.
 */
class NatsManyStreamsTest {
    @RegisterExtension
    static final NatsCluster nats = new NatsCluster();
    static final int SHARDS = 4;
    static final int STREAMS = 12;
    static final int FOLLOWERS_PER_NODE = 15;

    final List<AutoCloseable> toClose = new ArrayList<>();
    NatsStorage a;
    NatsStorage b;

    @BeforeEach
    void twoFrontNodes() throws Exception {
        NatsConfig config = new NatsConfig("fan", SHARDS, 3, Duration.ofSeconds(10), 256 * 1024);
        a = new NatsStorage(nats.connect(0), true, config, StoreLimits.NONE);
        toClose.add(a);
        b = new NatsStorage(nats.connect(1), true, config, StoreLimits.NONE);
        toClose.add(b);
    }

    @AfterEach
    void close() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    static ByteBuffer bytes(String text) {
        return ByteBuffer.wrap(text.getBytes(UTF_8));
    }

    @Test
    void everyNodeMakesOneSubscriptionPerStreamForAllItsFollowersAndFansOutInProcess() throws Exception {
        List<SessionLease> sessions = new ArrayList<>();
        List<Follower> followers = new ArrayList<>();
        List<String> subjects = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            String path = "/fan/" + i + ".log";
            SessionLease s = a.stream(path).startSession();
            toClose.add(() -> s.end().join());
            sessions.add(s);
            s.append(bytes("first " + i + ";"));
            for (NatsStorage node : List.of(a, b)) {
                Await.until("the stream is seen", () -> node.stream(path).exists());
                for (int f = 0; f < FOLLOWERS_PER_NODE; f++) {
                    Follower follower = node.stream(path).follow(() -> { }, () -> false);
                    toClose.add(follower);
                    followers.add(follower);
                }
            }
            subjects.add(a.cachedView(path).log().subject);
        }
        for (int i = 0; i < STREAMS; i++) {
            sessions.get(i).append(bytes("then " + i));
        }
        for (int i = 0; i < STREAMS; i++) {
            String expected = "first " + i + ";then " + i;
            for (int n = 0; n < 2 * FOLLOWERS_PER_NODE; n++) {
                Follower f = followers.get(i * 2 * FOLLOWERS_PER_NODE + n);
                Await.until("follower " + n + " of stream " + i + " has every byte",
                        () -> f.length() == expected.length());
                assertThat(readAll(f)).isEqualTo(expected);
            }
        }

        Map<String, Integer> consumersBySubject = new HashMap<>();
        int shardsUsed = 0;
        for (int shard = 0; shard < SHARDS; shard++) {
            boolean used = false;
            for (ConsumerInfo c : a.jsm.getConsumers(NatsNames.streamName(shard))) {
                String filter = c.getConsumerConfiguration().getFilterSubject();
                if (subjects.contains(filter)) {
                    consumersBySubject.merge(filter, 1, Integer::sum);
                    used = true;
                }
            }
            shardsUsed += used ? 1 : 0;
        }
        assertThat(consumersBySubject).hasSize(STREAMS);
        assertThat(consumersBySubject.values()).as("one consumer per stream per front node, 2 nodes")
                .containsOnly(2);
        assertThat(shardsUsed).as("12 streams spread over the 4 shard streams").isGreaterThan(1);
    }

    @Test
    void aStreamAndAFolderOfTheSameNameMadeOnTwoNodesAtOnceNeverBothExist() throws Exception {
        int pairs = 24;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2 * pairs);
        try {
            List<java.util.concurrent.Future<Boolean>> made = new ArrayList<>();
            for (int i = 0; i < pairs; i++) {
                java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(2);
                String name = "/race/" + i;
                made.add(pool.submit(() -> makes(a, name, together)));
                made.add(pool.submit(() -> makes(b, name + "/child.log", together)));
            }
            for (int i = 0; i < pairs; i++) {
                boolean stream = made.get(2 * i).get(120, java.util.concurrent.TimeUnit.SECONDS);
                boolean folder = made.get(2 * i + 1).get(120, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(stream && folder).as("pair " + i + ": both the stream and a stream below it").isFalse();
            }
            List<String> all = a.list("/race/");
            for (String path : all) {
                for (String other : all) {
                    assertThat(other).as("a stream below the stream " + path).doesNotStartWith(path + "/");
                }
            }
            // Racers that both saw the other were both refused and took their entries back: the name is free.
            for (int i = 0; i < pairs; i++) {
                if (!made.get(2 * i).get() && !made.get(2 * i + 1).get()) {
                    assertThat(makes(a, "/race/" + i, new java.util.concurrent.CyclicBarrier(1))).isTrue();
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Makes the stream at {@code path} with one append, both racers at once; false if refused as the wrong shape. */
    static boolean makes(NatsStorage node, String path, java.util.concurrent.CyclicBarrier together) throws Exception {
        together.await(60, java.util.concurrent.TimeUnit.SECONDS);
        try {
            node.stream(path).withLease(true, lease -> lease.append(bytes("x"))).join();
            return true;
        } catch (org.httpfstream.store.NotAStreamException e) {
            return false;
        }
    }
}
