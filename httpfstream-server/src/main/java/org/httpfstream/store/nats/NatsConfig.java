package org.httpfstream.store.nats;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link NatsStorage} lays out its streams on a JetStream cluster.
 *
 * @param namespace the token that separates this deployment's streams from others on the same cluster
 *     (letters, digits, {@code -} and {@code _}); the tests give each store its own
 * @param shards how many JetStream streams ({@code HFS_0} …) the paths are spread over
 * @param replicas the replicas of every JetStream stream and bucket (3: an acknowledged append survives
 *     the loss of one node)
 * @param leaseTtl how long a lease outlives the front node that held it (the lease bucket's TTL); an
 *     append session renews its lease every third of it
 * @param chunkBytes the largest record: appends are cut into records of at most this many bytes, under
 *     the server's {@code max_payload}
 *
 * <p>Immutable, so thread-safe.
 */
public record NatsConfig(String namespace, int shards, int replicas, Duration leaseTtl, int chunkBytes) {

    /** The settings of a production cluster: 16 shards, R3, 10 s leases, 256 KiB records. */
    public static final NatsConfig DEFAULT = new NatsConfig("main", 16, 3, Duration.ofSeconds(10), 256 * 1024);

    public NatsConfig {
        Objects.requireNonNull(namespace, "namespace");
        if (!namespace.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException("namespace must be 1 to 64 letters, digits, - or _: " + namespace);
        }
        if (shards < 1 || shards > 1024) {
            throw new IllegalArgumentException("shards out of 1..1024: " + shards);
        }
        if (replicas < 1 || replicas > 5) {
            throw new IllegalArgumentException("replicas out of 1..5: " + replicas);
        }
        if (leaseTtl.toMillis() < 300) {
            throw new IllegalArgumentException("leaseTtl under 300 ms: " + leaseTtl);
        }
        if (chunkBytes < 1 || chunkBytes > 8 * 1024 * 1024) {
            throw new IllegalArgumentException("chunkBytes out of 1..8 MiB: " + chunkBytes);
        }
    }

    /** These settings with another namespace. */
    public NatsConfig withNamespace(String namespace) {
        return new NatsConfig(namespace, shards, replicas, leaseTtl, chunkBytes);
    }
}
