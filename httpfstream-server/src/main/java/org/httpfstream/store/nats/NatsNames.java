package org.httpfstream.store.nats;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.Base64;

/**
 * Where a stream's parts live on the cluster, by its normalized request path: its record subject in a
 * shard stream, and its keys in the KV buckets.
 *
 * <ul>
 *   <li>shard stream {@code HFS_<s>}, subjects {@code hfs.<s>.>}, with {@code s = hash(path) mod shards};
 *   <li>a stream's records: {@code hfs.<s>.<namespace>.<b64url(path)>.<generation>}; a stream deleted
 *       and made again gets a new generation, so no record of the old one can ever be read as the new
 *       one's;
 *   <li>a stream's lease: {@code hfsl.<s>.<namespace>.<b64url(path)>} in the lease stream {@code
 *       HFSL_<s>} ({@link NatsLeases});
 *   <li>a stream's metadata: {@code hfsm.<s>.<namespace>.<b64url(path)>} in {@code HFSM_<s>} ({@link
 *       CasRegisters});
 *   <li>a KV key: {@code <namespace>.p.<b64url(segment)>…}, one token per path segment, so that
 *       {@code <key>.>} finds the streams below a folder.
 * </ul>
 *
 * <p>Thread safety: immutable.
 */
final class NatsNames {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();
    static final String STREAM_PREFIX = "HFS_";
    static final String SUBJECT_PREFIX = "hfs.";
    static final String BUCKET_STREAMS = "hfs_streams";
    /** The last access to each stream that a front node recorded (a sliding TTL's window). */
    static final String BUCKET_ACCESS = "hfs_access";
    static final String LEASE_STREAM_PREFIX = "HFSL_";
    static final String LEASE_SUBJECT_PREFIX = "hfsl.";
    static final String META_STREAM_PREFIX = "HFSM";
    static final String META_SUBJECT_PREFIX = "hfsm";

    private final NatsConfig config;

    NatsNames(NatsConfig config) {
        this.config = config;
    }

    int shard(String path) {
        return Math.floorMod(path.hashCode(), config.shards());
    }

    static String streamName(int shard) {
        return STREAM_PREFIX + shard;
    }

    static String shardSubjects(int shard) {
        return SUBJECT_PREFIX + shard + ".>";
    }

    static String leaseStreamName(int shard) {
        return LEASE_STREAM_PREFIX + shard;
    }

    static String leaseShardSubjects(int shard) {
        return LEASE_SUBJECT_PREFIX + shard + ".>";
    }

    /** The subject of {@code path}'s lease in its shard's lease stream. */
    String leaseSubject(String path) {
        return LEASE_SUBJECT_PREFIX + shard(path) + "." + namespaceToken(path);
    }

    /** {@code <namespace>.<b64url(path)>}: the tail of a path's register subjects. */
    String namespaceToken(String path) {
        return config.namespace() + "." + b64(path);
    }

    String streamOf(String path) {
        return streamName(shard(path));
    }

    String subject(String path, String generation) {
        return SUBJECT_PREFIX + shard(path) + "." + config.namespace() + "." + b64(path) + "." + generation;
    }

    /** The KV key of {@code path} ({@code "/"}: the namespace's root, which is never a stream). */
    String key(String path) {
        StringBuilder sb = new StringBuilder(config.namespace()).append(".p");
        for (String segment : path.split("/")) {
            if (!segment.isEmpty()) {
                sb.append('.').append(b64(segment));
            }
        }
        return sb.toString();
    }

    /** The KV filter for every stream below {@code path}. */
    String below(String path) {
        return key(path) + ".>";
    }

    /** The path of a KV key of this namespace, or null if it is another's. */
    String path(String key) {
        String prefix = config.namespace() + ".p.";
        if (!key.startsWith(prefix)) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        for (String token : key.substring(prefix.length()).split("\\.")) {
            sb.append('/').append(new String(B64D.decode(token), UTF_8));
        }
        return sb.toString();
    }

    /**
     * The path of a register subject ({@code <prefix>.<s>.<namespace>.<b64url(path)>}) of this namespace,
     * or null if it is another's or not a register's.
     */
    String pathOfRegister(String subject) {
        String[] tokens = subject.split("\\.");
        if (tokens.length != 4 || !tokens[2].equals(config.namespace())) {
            return null;
        }
        try {
            return new String(B64D.decode(tokens[3]), UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String b64(String s) {
        return B64.encodeToString(s.getBytes(UTF_8));
    }
}
