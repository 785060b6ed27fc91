package org.httpfstream.store.nats;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.httpfstream.testing.StoredBytes.read;

import io.nats.client.Connection;
import io.nats.client.api.ServerInfo;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.httpfstream.store.StoreLimits;
import org.httpfstream.store.StoredStream;
import org.httpfstream.testing.NatsCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The start-up safety check on a real 3-node cluster: R3 is accepted without {@code allowUnsafe};
 * fewer replicas, and streams of the store made earlier with one replica or in memory, are refused with
 * one line naming the setting and the flag, and accepted with it. The refused server versions are
 * checked on the server's INFO as the client reads it (the tests' cluster is 2.9.10).
 */
class NatsSafetyTest {
    @RegisterExtension
    static final NatsCluster nats = new NatsCluster();

    static NatsConfig config(String namespace, int shards, int replicas) {
        return new NatsConfig(namespace, shards, replicas, Duration.ofSeconds(10), 256 * 1024);
    }

    @Test
    void aThreeNodeClusterIsAcceptedWithoutTheFlagAndItsStreamsHaveThreeReplicas() throws Exception {
        try (NatsStorage store = NatsStorage.connect(NatsConnectionOptions.of(nats.urls()), config("r3", 2, 3), false,
                StoreLimits.NONE)) {
            for (String stream : new String[] {NatsNames.streamName(1), NatsNames.leaseStreamName(1), "HFSM_1",
                    "KV_" + NatsNames.BUCKET_STREAMS}) {
                var info = store.jsm.getStreamInfo(stream);
                assertThat(info.getConfiguration().getReplicas()).as(stream).isEqualTo(3);
                assertThat(info.getConfiguration().getStorageType()).as(stream).isEqualTo(StorageType.File);
                assertThat(info.getClusterInfo().getReplicas()).as(stream).hasSize(2); // and the leader
            }
            StoredStream s = store.stream("/safe.log");
            s.withLease(true, lease -> lease.append(ByteBuffer.wrap("replicated".getBytes(UTF_8)))).join();
            assertThat(read(store.stream("/safe.log"), 0, 10)).isEqualTo("replicated");
        }
    }

    @Test
    void fewerThanThreeReplicasAreRefusedWithoutTheFlag() {
        assertThatThrownBy(() -> NatsStorage.connect(NatsConnectionOptions.of(nats.urls()), config("r1", 2, 1), false,
                StoreLimits.NONE))
                .isInstanceOf(NatsStartException.class)
                .hasMessage("refusing to start on NATS at " + String.join(",", nats.urls()) + ": replicas is 1, under 3,"
                        + " so losing a server can lose acknowledged appends; pass -nats-allow-unsafe to start anyway");
    }

    @Test
    void streamsMadeEarlierWithOneReplicaOrInMemoryAreRefusedWithoutTheFlagAndUsedWithIt() throws Exception {
        try (Connection c = nats.connect()) {
            var jsm = c.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name(NatsNames.streamName(5))
                    .subjects(NatsNames.shardSubjects(5)).storageType(StorageType.File).replicas(1).build());
            jsm.addStream(StreamConfiguration.builder().name(NatsNames.leaseStreamName(5))
                    .subjects(NatsNames.leaseShardSubjects(5)).storageType(StorageType.Memory).replicas(3)
                    .maxAge(Duration.ofSeconds(10)).build());
            try {
                assertThatThrownBy(() -> NatsStorage.connect(NatsConnectionOptions.of(java.util.List.of(nats.url(0))), config("old", 6, 3),
                        false, StoreLimits.NONE))
                        .isInstanceOf(NatsStartException.class)
                        .hasMessageContaining("stream HFS_5 has 1 replica(s), under 3")
                        .hasMessageContaining("stream HFSL_5 keeps its messages in memory")
                        .hasMessageEndingWith("; pass -nats-allow-unsafe to start anyway");
                try (NatsStorage store = NatsStorage.connect(NatsConnectionOptions.of(java.util.List.of(nats.url(0))), config("old", 6, 3),
                        true, StoreLimits.NONE)) {
                    String path = pathOnShard(store, 5);
                    StoredStream s = store.stream(path);
                    s.withLease(true, lease -> lease.append(ByteBuffer.wrap("anyway".getBytes(UTF_8)))).join();
                    assertThat(read(store.stream(path), 0, 6)).isEqualTo("anyway");
                }
            } finally {
                jsm.deleteStream(NatsNames.streamName(5));
                jsm.deleteStream(NatsNames.leaseStreamName(5));
            }
        }
    }

    /** A path that the store puts on shard {@code shard}. */
    static String pathOnShard(NatsStorage store, int shard) {
        for (int i = 0; ; i++) {
            String path = "/unsafe/" + i + ".log";
            if (store.names.shard(path) == shard) {
                return path;
            }
        }
    }

    static ServerInfo info(String version) {
        return new ServerInfo("INFO {\"server_name\":\"n0\",\"version\":\"" + version + "\",\"jetstream\":true}");
    }

    @Test
    void serverVersionsThatLoseStreamsOnACrashAreRefusedAndTheOthersAreNot() {
        assertThat(NatsSafety.versionProblem(info("2.10.20"))).startsWith("nats-server 2.10.20 can lose whole streams");
        assertThat(NatsSafety.versionProblem(info("2.10.22"))).contains("fixed in 2.10.23");
        assertThat(NatsSafety.versionProblem(info("2.10.19"))).isNull();
        assertThat(NatsSafety.versionProblem(info("2.10.23"))).isNull();
        assertThat(NatsSafety.versionProblem(info("2.9.10"))).isNull();
        assertThat(NatsSafety.versionProblem(info("2.12.1"))).isNull();
    }

    @Test
    void everyStartSaysWhetherAPowerLossOfTheWholeClusterIsCovered() {
        assertThat(NatsSafety.powerLossWarning(info("2.9.10")))
                .startsWith("nats-server 2.9.10 has no sync_interval setting")
                .contains("a power loss of the whole cluster at once can lose acknowledged appends");
        assertThat(NatsSafety.powerLossWarning(info("2.12.1"))).contains("sync_interval: always");
    }
}
