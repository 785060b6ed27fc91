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
 * Many streams, many followers, two front nodes: each node makes one subscription (one JetStream
 * consumer) per stream however many of its followers read it, fans the records out in-process, and the
 * streams are spread over the shard streams. Counted on the cluster: the consumers on the shard streams
 * whose filter is one of this test's subjects.
 */
class NatsFanOutTest {
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
}
