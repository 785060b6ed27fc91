package org.httpfstream.store.nats;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;

/**
 * Makes what a {@link NatsStorage} needs on the cluster if it is missing, and leaves it as it is if it
 * exists (several front nodes start at once): the shard streams, the lease and metadata register streams and the streams bucket, all with file
 * storage and {@link NatsConfig#replicas()} replicas. Direct gets are off, so that a read of a bucket or
 * of a subject's last record is answered by the leader, never by a replica that lags.
 *
 * <p>Thread safety: not thread safe; used once, by the store's constructor.
 */
final class NatsAssets {
    private final Connection connection;
    private final NatsConfig config;

    NatsAssets(Connection connection, NatsConfig config) {
        this.connection = connection;
        this.config = config;
    }

    void ensure() throws IOException {
        try {
            var jsm = connection.jetStreamManagement();
            java.util.List<String> streams = jsm.getStreamNames();
            for (int s = 0; s < config.shards(); s++) {
                String name = NatsNames.streamName(s);
                if (!streams.contains(name)) {
                    add(jsm, StreamConfiguration.builder().name(name).subjects(NatsNames.shardSubjects(s))
                            .storageType(StorageType.File).replicas(config.replicas()).allowDirect(false)
                            .build());
                }
            }
            for (int s = 0; s < config.shards(); s++) {
                String name = NatsNames.leaseStreamName(s);
                if (!streams.contains(name)) {
                    add(jsm, StreamConfiguration.builder().name(name).subjects(NatsNames.leaseShardSubjects(s))
                            .storageType(StorageType.File).replicas(config.replicas()).allowDirect(false)
                            .maxAge(config.leaseTtl()).build());
                }
            }
            for (int s = 0; s < config.shards(); s++) {
                String name = NatsNames.META_STREAM_PREFIX + "_" + s;
                if (!streams.contains(name)) {
                    add(jsm, StreamConfiguration.builder().name(name)
                            .subjects(NatsNames.META_SUBJECT_PREFIX + "." + s + ".>")
                            .storageType(StorageType.File).replicas(config.replicas()).allowDirect(false)
                            .maxMessagesPerSubject(1).build());
                }
            }
            KeyValueManagement kvm = connection.keyValueManagement();
            java.util.List<String> buckets = kvm.getBucketNames();
            bucket(kvm, buckets, NatsNames.BUCKET_STREAMS, null);
            leaderReads(jsm, "KV_" + NatsNames.BUCKET_STREAMS);
            bucket(kvm, buckets, NatsNames.BUCKET_ACCESS, null);
            leaderReads(jsm, "KV_" + NatsNames.BUCKET_ACCESS);
        } catch (JetStreamApiException e) {
            throw new IOException("preparing the JetStream streams and buckets: " + e.getMessage(), e);
        }
    }

    /**
     * Turns direct gets off on a bucket's stream (jnats makes buckets with them on, and then reads keys
     * from any replica, which may lag behind an acknowledged write).
     */
    private static void leaderReads(io.nats.client.JetStreamManagement jsm, String stream)
            throws IOException, JetStreamApiException {
        StreamConfiguration c = jsm.getStreamInfo(stream).getConfiguration();
        if (c.getAllowDirect()) {
            jsm.updateStream(StreamConfiguration.builder(c).allowDirect(false).build());
        }
    }

    private static void add(io.nats.client.JetStreamManagement jsm, StreamConfiguration c)
            throws IOException, JetStreamApiException {
        try {
            jsm.addStream(c);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != 10058) { // made by another front node meanwhile
                throw e;
            }
        }
        awaitLeader(jsm, c.getName());
    }

    /** Waits (up to 30 s) until a new stream has elected its leader: requests before that time out. */
    private static void awaitLeader(io.nats.client.JetStreamManagement jsm, String stream)
            throws IOException, JetStreamApiException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            var cluster = jsm.getStreamInfo(stream).getClusterInfo();
            if (cluster == null || cluster.getLeader() != null) {
                return;
            }
            try {
                Thread.sleep(20); // no event tells a client that a stream has a leader
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("waiting for the leader of " + stream);
            }
        }
        throw new IOException("stream " + stream + " has no leader after 30 s");
    }

    private void bucket(KeyValueManagement kvm, java.util.List<String> existing, String name,
            java.time.Duration ttl) throws IOException, JetStreamApiException {
        if (existing.contains(name)) {
            return;
        }
        KeyValueConfiguration.Builder b = KeyValueConfiguration.builder().name(name).maxHistoryPerKey(1)
                .storageType(StorageType.File).replicas(config.replicas());
        if (ttl != null) {
            b.ttl(ttl);
        }
        try {
            kvm.create(b.build());
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != 10058) {
                throw e;
            }
        }
    }

    KeyValue bucket(String name) throws IOException {
        return connection.keyValue(name);
    }
}
