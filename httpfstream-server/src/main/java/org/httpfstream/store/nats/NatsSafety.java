package org.httpfstream.store.nats;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.ServerInfo;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A front node's start on its NATS cluster: connects (one readable line when that fails: wrong
 * credentials, TLS, no server), then checks the settings that decide whether an acknowledged append can
 * be lost, and refuses those known to lose them unless told to start anyway ({@code -nats-allow-unsafe}).
 *
 * <p>Refused (a {@link NatsStartException} naming the setting and the flag):
 *
 * <ul>
 *   <li>a server that is not part of a cluster: every stream then has one replica, and the loss of that
 *       server or of its disk loses acknowledged appends (started anyway, the streams get one replica);
 *   <li>fewer than 3 replicas configured ({@link NatsConfig#replicas()});
 *   <li>one of the store's JetStream streams, made earlier, with fewer than 3 replicas or in memory;
 *   <li>nats-server 2.10.20 to 2.10.22, which could lose whole streams when a server process crashed
 *       (fixed in 2.10.23; the Jepsen analysis of NATS, 2025).
 * </ul>
 *
 * <p>Warned about, not refused: whether the servers write to disk before they acknowledge ({@code
 * jetstream { sync_interval: always }}) decides only whether a power loss of the whole cluster at once
 * loses acknowledged appends; a client cannot read that setting, and 2.9 (Debian 12's package) does not
 * have it at all. Refusing would refuse every 2.9 cluster, which does keep every acknowledged append
 * through node losses and process kills; so the node says at start what is not covered.
 *
 * <p>A client sees the version of the server it is connected to only: the check is made on that
 * server at start, and a warning is logged when a reconnection lands on a server of a refused version.
 *
 * <p>Thread safety: stateless; the listeners it installs are called on jnats' threads and only log.
 */
final class NatsSafety {
    private static final Logger LOG = LoggerFactory.getLogger(NatsSafety.class);
    /** The flag that starts a node on settings refused here. */
    static final String ALLOW_UNSAFE_FLAG = "-nats-allow-unsafe";
    /** Fewer replicas than this lose acknowledged appends with one server. */
    static final int SAFE_REPLICAS = 3;

    private NatsSafety() {}

    /**
     * Connects with {@code options}.
     *
     * @throws NatsStartException one line naming the servers and why no connection was made (the
     *     server's own words for an authentication failure)
     */
    static Connection connect(NatsConnectionOptions options) throws IOException {
        AtomicReference<String> serverError = new AtomicReference<>();
        AtomicReference<String> clientError = new AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean connected = new java.util.concurrent.atomic.AtomicBoolean();
        io.nats.client.Options.Builder b = options.toBuilder()
                .errorListener(new ErrorListener() {
                    @Override
                    public void errorOccurred(Connection conn, String error) {
                        serverError.set(error);
                        if (connected.get()) { // before, the failed start says it in its one line
                            LOG.warn("NATS server error on {}: {}", options.serversForDisplay(), error);
                        }
                    }

                    @Override
                    public void exceptionOccurred(Connection conn, Exception exp) {
                        if (serverError.get() == null) { // the server's own words win (sent before it closes)
                            clientError.set(rootMessage(exp));
                        }
                        LOG.debug("NATS connection to {}: {}", options.serversForDisplay(), rootMessage(exp));
                    }
                })
                .connectionListener((conn, event) -> {
                    if (event == ConnectionListener.Events.RECONNECTED) {
                        String why = versionProblem(conn.getServerInfo());
                        if (why != null) {
                            LOG.warn("reconnected to NATS server {}: {}", conn.getServerInfo().getServerName(), why);
                        }
                    }
                });
        try {
            Connection c = io.nats.client.Nats.connect(b.build());
            connected.set(true);
            return c;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("connecting to NATS");
        } catch (IOException | RuntimeException e) {
            String why = serverError.get() != null ? serverError.get()
                    : clientError.get() != null ? clientError.get() : rootMessage(e);
            throw new NatsStartException("failed to connect to NATS at " + options.serversForDisplay() + ": "
                    + why, e);
        }
    }

    /** The innermost message of {@code e}'s causes, on one line. */
    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        if (t instanceof java.util.concurrent.TimeoutException && t.getMessage() == null) {
            return "the connection was not set up in time (does the server need TLS, or a client certificate?)";
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return m.replaceAll("\\s+", " ").trim();
    }

    /**
     * Checks the cluster behind {@code c} for settings that lose acknowledged appends.
     *
     * @return the settings to run with: {@code config}, or with one replica on a server without a cluster
     *     when {@code allowUnsafe}
     * @throws NatsStartException if JetStream is off, or a setting is unsafe and {@code allowUnsafe} is false
     */
    static NatsConfig check(Connection c, NatsConfig config, boolean allowUnsafe, String servers) throws IOException {
        ServerInfo info = c.getServerInfo();
        if (!info.isJetStreamAvailable()) {
            throw new NatsStartException("failed to start on NATS at " + servers + ": the server "
                    + info.getServerName() + " has no JetStream (start nats-server with -js, or a jetstream block)");
        }
        List<String> unsafe = new ArrayList<>();
        NatsConfig effective = config;
        String version = versionProblem(info);
        if (version != null) {
            unsafe.add(version);
        }
        boolean clustered = info.getCluster() != null && !info.getCluster().isEmpty();
        if (!clustered) {
            unsafe.add("the server " + info.getServerName() + " is not part of a cluster, so streams have 1 replica "
                    + "and losing it or its disk loses acknowledged appends (run 3 or more servers with a cluster block)");
            effective = new NatsConfig(config.namespace(), config.shards(), 1, config.leaseTtl(), config.chunkBytes());
        } else if (config.replicas() < SAFE_REPLICAS) {
            unsafe.add("replicas is " + config.replicas() + ", under " + SAFE_REPLICAS
                    + ", so losing a server can lose acknowledged appends");
        }
        unsafe.addAll(existingStreams(c, config, clustered));
        if (!unsafe.isEmpty()) {
            if (!allowUnsafe) {
                throw new NatsStartException("refusing to start on NATS at " + servers + ": "
                        + String.join("; ", unsafe) + "; pass " + ALLOW_UNSAFE_FLAG + " to start anyway");
            }
            LOG.warn("UNSAFE ({}): starting on NATS at {} although {}: acknowledged appends CAN BE LOST",
                    ALLOW_UNSAFE_FLAG, servers, String.join("; ", unsafe));
        }
        LOG.warn(powerLossWarning(info));
        return effective;
    }

    /** Why the server's version is refused, or null. */
    static String versionProblem(ServerInfo info) {
        if (info.isSameOrNewerThanVersion("2.10.20") && info.isOlderThanVersion("2.10.23")) {
            return "nats-server " + info.getVersion() + " can lose whole streams when a server process crashes "
                    + "(fixed in 2.10.23; upgrade)";
        }
        return null;
    }

    /** What a power loss of the whole cluster may lose with this server's version: logged at every start. */
    static String powerLossWarning(ServerInfo info) {
        if (info.isOlderThanVersion("2.10.0")) {
            return "nats-server " + info.getVersion() + " has no sync_interval setting: it acknowledges before "
                    + "writing to disk, so a power loss of the whole cluster at once can lose acknowledged appends "
                    + "(a lost node or killed process cannot); see the README's guarantees";
        }
        return "a power loss of the whole NATS cluster at once loses no acknowledged append only if every server "
                + "runs with jetstream { sync_interval: always }, which a client cannot check; see the README's "
                + "guarantees";
    }

    /** Why the store's streams made earlier are unsafe, if they are. */
    private static List<String> existingStreams(Connection c, NatsConfig config, boolean clustered)
            throws IOException {
        List<String> problems = new ArrayList<>();
        try {
            JetStreamManagement jsm = c.jetStreamManagement();
            List<String> ours = new ArrayList<>();
            for (int s = 0; s < config.shards(); s++) {
                ours.add(NatsNames.streamName(s));
                ours.add(NatsNames.leaseStreamName(s));
                ours.add(NatsNames.META_STREAM_PREFIX + "_" + s);
            }
            ours.add("KV_" + NatsNames.BUCKET_STREAMS);
            List<String> existing = jsm.getStreamNames();
            for (String name : ours) {
                if (!existing.contains(name)) {
                    continue;
                }
                StreamConfiguration sc = jsm.getStreamInfo(name).getConfiguration();
                if (sc.getStorageType() == StorageType.Memory) {
                    problems.add("stream " + name + " keeps its messages in memory (make it again with file storage)");
                } else if (clustered && sc.getReplicas() < SAFE_REPLICAS) {
                    problems.add("stream " + name + " has " + sc.getReplicas() + " replica(s), under "
                            + SAFE_REPLICAS + " (raise them: nats stream edit " + name + " --replicas 3)");
                }
            }
        } catch (JetStreamApiException e) {
            throw new NatsStartException("failed to read the JetStream streams: " + e.getMessage(), e);
        }
        if (problems.size() > 3) { // one line: the first three, and how many more
            int more = problems.size() - 3;
            problems = new ArrayList<>(problems.subList(0, 3));
            problems.add("and " + more + " more stream(s) like these");
        }
        return problems;
    }
}
