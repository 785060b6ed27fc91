package org.httpfstream.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real 3-node NATS JetStream cluster on loopback, for the tests of the NATS store: three {@code
 * nats-server} processes (Debian's package, found on the {@code PATH} or in {@code /usr/sbin}), each
 * with free ports, its own temporary folder for JetStream's files and a config file written here. {@link
 * #start()} returns once the cluster has a JetStream meta leader and all three peers; {@link #close()}
 * stops every process by its handle (its PID), never by name. {@link #kill(int)} (SIGKILL) and {@link
 * #restart(int)} of one node are the fault tests' tools.
 *
 * <p>As a JUnit 5 extension, on a static field, it starts before the class's first test and stops after
 * its last (nested classes share it):
 *
 * <pre>{@code
 * @RegisterExtension
 * static final NatsCluster nats = new NatsCluster();
 * }</pre>
 *
 * <p>Nothing is skipped: without {@code nats-server} the test fails, saying how to install it.
 *
 * <p>Written here rather than taken from a library: no test library starts a NATS cluster without
 * containers, and this is three processes and three config files.
 *
 * <p>Thread safety: {@link #urls()} and {@link #connect()} may be called from any thread; start, kill,
 * restart and close from the test's thread. Guarded by this: {@code processes}.
 */
public final class NatsCluster implements BeforeAllCallback, AfterAllCallback, AutoCloseable {
    /** Nodes in the cluster. */
    public static final int NODES = 3;
    private static final Duration READY = Duration.ofSeconds(30);
    /** Keeps the fault tests' expected refused connections out of the test output. */
    private static final io.nats.client.ErrorListener QUIET = new io.nats.client.ErrorListener() { };

    private final int nodes;
    /** Lines added to every node's config (authentication, TLS). */
    private final String extraConfig;
    /** Adds what the tests' own connections need to reach the nodes (credentials, TLS). */
    private final java.util.function.UnaryOperator<Options.Builder> client;
    private final Process[] processes; // Guarded by this.
    private final int[] clientPorts;
    private final int[] routePorts;
    private final int[] monitorPorts;
    private Path folder;
    private String owner; // the extension context that started it
    private long startMillis;

    /** The 3-node cluster every NATS store test runs on. */
    public NatsCluster() {
        this(NODES, "", b -> b);
    }

    private NatsCluster(int nodes, String extraConfig, java.util.function.UnaryOperator<Options.Builder> client) {
        this.nodes = nodes;
        this.extraConfig = extraConfig;
        this.client = client;
        this.processes = new Process[nodes];
        this.clientPorts = new int[nodes];
        this.routePorts = new int[nodes];
        this.monitorPorts = new int[nodes];
    }

    /**
     * One JetStream server without a cluster block (the start-up safety check refuses it), with {@code
     * extraConfig} added to its config file (e.g. an {@code authorization} or {@code tls} block), and
     * {@code client} adding to the tests' own connections what that config asks of them.
     */
    public static NatsCluster single(String extraConfig, java.util.function.UnaryOperator<Options.Builder> client) {
        return new NatsCluster(1, extraConfig, client);
    }

    /** The time the last {@link #start()} took until the cluster was ready, in milliseconds. */
    public long startMillis() {
        return startMillis;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        if (owner == null) {
            owner = context.getUniqueId();
            start();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (context.getUniqueId().equals(owner)) {
            owner = null;
            close();
        }
    }

    /** The {@code nats-server} executable; fails the test if it is not installed. */
    static String executable() {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin:/usr/bin")
                .split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "nats-server");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        throw new AssertionError("nats-server is not installed: the NATS store's tests need a real cluster;"
                + " install it (Debian: apt-get install -y nats-server)");
    }

    /** Starts three nodes and waits until the cluster is ready. */
    public synchronized void start() throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        String exe = executable();
        for (int attempt = 1; ; attempt++) {
            folder = TempFolders.create();
            int[] ports = freePorts(3 * nodes);
            for (int i = 0; i < nodes; i++) {
                clientPorts[i] = ports[3 * i];
                routePorts[i] = ports[3 * i + 1];
                monitorPorts[i] = ports[3 * i + 2];
            }
            for (int i = 0; i < nodes; i++) {
                Files.createDirectories(nodeDir(i).resolve("js"));
                Files.writeString(nodeDir(i).resolve("nats.conf"), config(i), UTF_8);
            }
            for (int i = 0; i < nodes; i++) {
                processes[i] = launch(exe, i);
            }
            try {
                awaitReady();
                // every node's JetStream current too: an R3 stream made at once otherwise met "no suitable
                // peers for placement" (10005) on a loaded machine (NatsServerBehaviourTest, once)
                awaitHealthy(System.nanoTime() + READY.toNanos());
                break;
            } catch (IOException e) {
                // A port taken between its choice and the node's bind ends that node at once: start the
                // whole cluster again on other ports (a node that is merely slow is not retried).
                boolean oneExited = java.util.Arrays.stream(processes).anyMatch(p -> p != null && !p.isAlive());
                close();
                if (!oneExited || attempt == 3) {
                    throw e;
                }
            }
        }
        startMillis = (System.nanoTime() - t0) / 1_000_000;
    }

    private Path nodeDir(int i) {
        return folder.resolve("n" + i);
    }

    private String config(int i) {
        String routes = java.util.stream.IntStream.range(0, nodes).filter(j -> j != i)
                .mapToObj(j -> "nats-route://127.0.0.1:" + routePorts[j]).collect(Collectors.joining(", "));
        return "server_name: n" + i + "\n"
                + "listen: 127.0.0.1:" + clientPorts[i] + "\n"
                + "http: 127.0.0.1:" + monitorPorts[i] + "\n"
                + "jetstream { store_dir: \"" + nodeDir(i).resolve("js") + "\" }\n"
                + (nodes == 1 ? "" : "cluster { name: hfs, listen: 127.0.0.1:" + routePorts[i] + ", routes: [" + routes + "] }\n")
                + extraConfig + "\n";
    }

    private Process launch(String exe, int i) throws IOException {
        return new ProcessBuilder(exe, "-c", nodeDir(i).resolve("nats.conf").toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(nodeDir(i).resolve("nats.log").toFile()))
                .start();
    }

    /** Waits until JetStream answers through every node (a meta leader exists and each node sees it). */
    private void awaitReady() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + READY.toNanos();
        for (int i = 0; i < nodes; i++) {
            if (processes[i] == null) {
                continue;
            }
            awaitNode(i, deadline);
        }
    }

    private void awaitNode(int i, long deadline) throws IOException, InterruptedException {
        Exception last = null;
        while (System.nanoTime() < deadline) {
            if (!processes[i].isAlive()) {
                throw new IOException("nats-server n" + i + " exited: " + log(i));
            }
            try (Connection c = Nats.connect(client.apply(new Options.Builder().server(url(i)).noReconnect()
                    .connectionTimeout(Duration.ofSeconds(2)).errorListener(QUIET)).build())) {
                var info = c.jetStreamManagement().getAccountStatistics();
                if (info != null) {
                    return;
                }
            } catch (Exception e) {
                last = e;
            }
            TimeUnit.MILLISECONDS.sleep(50); // polling a process we do not get events from
        }
        throw new IOException("the NATS cluster is not ready after " + READY + ": " + last + "\n" + log(i));
    }

    private String log(int i) {
        try {
            return Files.readString(nodeDir(i).resolve("nats.log"), UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /**
     * {@code n} distinct loopback ports free now, below Linux's ephemeral range (32768 and up), so that
     * no outgoing connection takes one as its local port while a killed node is down; each is held until
     * all are chosen.
     */
    private static int[] freePorts(int n) throws IOException {
        java.util.Random random = new java.util.Random();
        List<ServerSocket> held = new ArrayList<>();
        try {
            while (held.size() < n) {
                int port = 20000 + random.nextInt(12000);
                try {
                    held.add(new ServerSocket(port, 1, InetAddress.getLoopbackAddress()));
                } catch (IOException taken) {
                    // in use: pick another
                }
            }
            return held.stream().mapToInt(ServerSocket::getLocalPort).toArray();
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }

    /** The client URL of node {@code i}. */
    public String url(int i) {
        return "nats://127.0.0.1:" + clientPorts[i];
    }

    /** The client URLs of every node. */
    public List<String> urls() {
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            urls.add(url(i));
        }
        return urls;
    }

    /** A new connection to the cluster (any node, reconnecting to another when one dies). */
    public Connection connect() throws IOException, InterruptedException {
        return Nats.connect(client.apply(new Options.Builder().servers(urls().toArray(String[]::new))
                .maxReconnects(-1).reconnectWait(Duration.ofMillis(100)).errorListener(QUIET)).build());
    }

    /**
     * A new connection that prefers node {@code i} (the others only when it is down): a front node
     * attached to one NATS server.
     */
    public Connection connect(int i) throws IOException, InterruptedException {
        List<String> servers = new ArrayList<>(urls());
        servers.remove(url(i));
        servers.add(0, url(i));
        return Nats.connect(new Options.Builder().servers(servers.toArray(String[]::new)).noRandomize()
                .maxReconnects(-1).reconnectWait(Duration.ofMillis(100)).errorListener(QUIET).build());
    }

    /** The PID of node {@code i}'s process. */
    public synchronized long pid(int i) {
        return processes[i].pid();
    }

    /** Kills node {@code i} with SIGKILL (by its PID) and waits until it is gone. */
    public synchronized void kill(int i) throws InterruptedException {
        Process p = processes[i];
        if (p != null) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            processes[i] = null;
        }
    }

    /** Starts node {@code i} again on its ports and folder, and waits until it serves JetStream. */
    public synchronized void restart(int i) throws IOException, InterruptedException {
        if (processes[i] != null) {
            throw new IllegalStateException("node " + i + " is running");
        }
        processes[i] = launch(executable(), i);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        awaitNode(i, deadline);
        awaitHealthy(deadline);
        awaitStreamsCurrent(deadline);
    }

    /**
     * Waits until every running node's {@code /healthz} says ok: its JetStream meta group and its
     * streams are current (after a restart, killing another node before that would leave no quorum).
     */
    private void awaitHealthy(long deadline) throws IOException, InterruptedException {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        for (int n = 0; n < nodes; n++) {
            if (processes[n] == null) {
                continue;
            }
            java.net.http.HttpRequest get = java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + monitorPorts[n] + "/healthz"))
                    .timeout(Duration.ofSeconds(5)).build();
            for (;;) {
                try {
                    if (http.send(get, java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                        break;
                    }
                } catch (IOException e) {
                    // not listening yet
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("node n" + n + " is not healthy after a restart");
                }
                TimeUnit.MILLISECONDS.sleep(50); // polling: the server sends no event for this
            }
        }
    }

    /**
     * Waits until every stream has a leader and every replica is current again: a node that rejoined
     * answers "JetStream temporarily unavailable" until then, and the next test must not see that.
     */
    private void awaitStreamsCurrent(long deadline) throws IOException, InterruptedException {
        try (Connection c = connect()) {
            var jsm = c.jetStreamManagement();
            while (System.nanoTime() < deadline) {
                boolean all = true;
                try {
                    for (String stream : jsm.getStreamNames()) {
                        var cluster = jsm.getStreamInfo(stream).getClusterInfo();
                        all &= cluster.getLeader() != null
                                && cluster.getReplicas().stream().allMatch(r -> r.isCurrent() && !r.isOffline());
                    }
                } catch (io.nats.client.JetStreamApiException | IOException e) {
                    all = false;
                }
                if (all) {
                    return;
                }
                TimeUnit.MILLISECONDS.sleep(50); // polling: the server sends no event for this
            }
        }
        throw new IOException("the streams are not current " + READY + " after a restart");
    }

    /** Stops every node (SIGTERM, then SIGKILL after 10 s) and deletes the folder. */
    @Override
    public synchronized void close() {
        for (int i = 0; i < nodes; i++) {
            Process p = processes[i];
            if (p != null) {
                p.destroy();
            }
        }
        for (int i = 0; i < nodes; i++) {
            Process p = processes[i];
            if (p != null) {
                try {
                    if (!p.waitFor(10, TimeUnit.SECONDS)) {
                        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    }
                } catch (InterruptedException e) {
                    p.destroyForcibly();
                    Thread.currentThread().interrupt();
                }
                processes[i] = null;
            }
        }
        try {
            TempFolders.delete(folder);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
