package org.httpfstream.bench;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The benchmark's command line: scenarios, sizes, servers and outputs. Sizes default to the full
 * suite; {@code --size toy} shrinks every scenario to a few MB and tens of connections; each size may
 * be overridden on its own.
 *
 * <p>Thread safety: not thread safe while parsing; read-only afterwards.
 */
public final class BenchOptions {
    /** Every scenario, in the order they run. */
    public static final List<String> SCENARIOS = List.of("append", "append+stalled", "fanout-max",
            "fanout-latency", "streams", "catch-up", "idle", "ds-append", "ds-readers");

    /**
     * The scenarios of the JetStream store ({@code -store=nats}): not part of {@code all}, as they need a
     * NATS cluster ({@code --nats}; {@code scripts/bench} starts one). They run on two front nodes the
     * benchmark starts on it.
     */
    public static final List<String> NATS_SCENARIOS = List.of("nats-append", "nats-ds-append", "nats-fanout");

    /**
     * The scenarios of the next scale (issue 16): run only when named, never by {@code all}; at full
     * size they take most of an hour and up to a few hundred thousand descriptors.
     */
    public static final List<String> SCALE_SCENARIOS = List.of("followers-100k", "streams-1m");

    /** A server given by URL, with its PID if known (0 if not). Immutable. */
    public record Server(String label, URI url, long pid) {}

    List<String> scenarios = new ArrayList<>();
    String size = "full";
    final List<Server> servers = new ArrayList<>();
    boolean withOurs;
    Path workDir;
    Path markdown;
    int threads = 2;
    /** Event-loop threads of the Durable Streams scenarios: one costs less CPU than two at their load. */
    int dsThreads = 1;
    int sourceAddresses = 8;
    int maxPendingConnects = 256;
    List<String> serverJvmOptions = List.of("-Xmx1g");
    String serverClasspath = System.getProperty("java.class.path");
    long timeoutSeconds = 900;
    long stallTimeoutSeconds = 120;
    boolean help;
    /** A bearer token every request carries (--token), or null. */
    String token;
    /** Start our server with TLS (a self-signed certificate); the load generator speaks TLS to https URLs. */
    boolean tls;
    /** catch-up and fanout-max readers over HTTP/2 (h2 over TLS, h2c without). */
    boolean h2;
    /** HTTP/2 readers sharing one connection (--h2-streams-per-connection). */
    int h2StreamsPerConnection = 1;
    /** The scenarios --h2 changes; the only ones it runs. */
    static final List<String> H2_SCENARIOS = List.of("fanout-max", "catch-up");

    long warmupBytes;
    long appendBytes;
    int appendRuns;
    List<Integer> appendMessageSizes;
    long fanoutBytes;
    int fanoutMessageSize;
    int fanoutFollowers;
    List<String> fanoutFrames;
    int latencyFollowers;
    int latencyMessageSize;
    int latencyRate;
    int streams;
    int streamMessageSize;
    int streamRate;
    long durationSeconds;
    long catchUpBytes;
    List<Integer> catchUpFollowers;
    int idleFollowers;
    int idleStreams;
    boolean serverFsync;
    int dsAppendConnections;
    boolean dsStreamPerConnection;
    /** ds-append as idempotent producers (Producer-Id/-Epoch/-Seq), one per connection. */
    boolean dsProducers;
    int dsMessageSize;
    int dsLongPollReaders;
    int dsSseReaders;
    int dsRate;
    /** ds-append measured against the no-op server too ({@link DsNoopLimit}), as its limit. */
    boolean dsNoOp = true;
    /** followers-100k: idle followers, and the live streams they follow. */
    int scaleFollowers;
    int scaleStreams;
    /** streams-1m: streams created. */
    int scaleStreamCount;
    /** Seconds of each Durable Streams scenario run unmeasured first, on other streams (0: none). */
    long dsWarmupSeconds;

    /** The client URLs of the NATS cluster of the nats-* scenarios (--nats URL,URL,...); empty if none. */
    List<String> natsUrls = List.of();
    /** Bytes of each nats-append run. */
    long natsAppendBytes;
    /** Connections of nats-ds-append, one run each (1: the cost of one operation). */
    List<Integer> natsDsConnections;

    /** Parses {@code args}; throws IllegalArgumentException with a one-line reason on a bad one. */
    public static BenchOptions parse(String... args) {
        BenchOptions o = new BenchOptions();
        List<String> a = Arrays.asList(args);
        List<String[]> overrides = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            String s = a.get(i);
            if (!s.startsWith("-")) {
                o.scenarios.add(s);
                continue;
            }
            String inline = null; // --key=value
            int eq = s.indexOf('=');
            if (eq > 0) {
                inline = s.substring(eq + 1);
                s = s.substring(0, eq);
            }
            String key = s.replaceFirst("^--?", "");
            switch (key) {
                case "h", "help" -> o.help = true;
                case "with-ours" -> o.withOurs = true;
                case "server-fsync" -> o.serverFsync = true;
                case "tls" -> o.tls = true;
                case "h2" -> o.h2 = true;
                default -> {
                    if (inline == null && i + 1 >= a.size()) {
                        throw new IllegalArgumentException("option " + s + " needs a value");
                    }
                    String v = inline != null ? inline : a.get(++i);
                    o.valueOption(s, key, v, overrides);
                }
            }
        }
        o.applySizesAndCheck(overrides);
        return o;
    }

    /** Takes the option {@code s} ({@code --key}) with the value {@code v}; a size option is kept for later. */
    private void valueOption(String s, String key, String v, List<String[]> overrides) {
        switch (key) {
            case "size" -> size = v;
            case "token" -> token = v;
            case "server-url" -> servers.add(new Server("peer " + (servers.size() + 1), URI.create(v), 0));
            case "server-pid" -> lastServer(s, srv -> new Server(srv.label(), srv.url(), Long.parseLong(v)));
            case "server-label" -> lastServer(s, srv -> new Server(v, srv.url(), srv.pid()));
            case "work-dir" -> workDir = Path.of(v);
            case "markdown" -> markdown = Path.of(v);
            case "threads" -> threads = count(key, v);
            case "ds-threads" -> dsThreads = count(key, v);
            case "source-addresses" -> sourceAddresses = count(key, v);
            case "max-pending-connects" -> maxPendingConnects = count(key, v);
            case "server-jvm-opts" -> serverJvmOptions = v.isBlank() ? List.of()
                    : Arrays.asList(v.trim().split("\\s+"));
            case "server-classpath" -> serverClasspath = v;
            case "nats" -> natsUrls = List.of(v.split(","));
            case "timeout" -> timeoutSeconds = count(key, v);
            case "stall-timeout" -> stallTimeoutSeconds = count(key, v);
            case "h2-streams-per-connection" -> {
                h2StreamsPerConnection = count(key, v);
                if (h2StreamsPerConnection > 256) {
                    throw new IllegalArgumentException("--h2-streams-per-connection > 256 (the server's limit): " + v);
                }
            }
            default -> overrides.add(new String[] {key, v});
        }
    }

    /** Sets the sizes of {@code --size}, then the overrides, and checks the scenarios and frames asked for. */
    private void applySizesAndCheck(List<String[]> overrides) {
        switch (size) {
            case "full" -> fullSizes();
            case "toy" -> toySizes();
            default -> throw new IllegalArgumentException("--size is full or toy: " + size);
        }
        for (String[] kv : overrides) {
            override(kv[0], kv[1]);
        }
        if (scenarios.isEmpty() || scenarios.equals(List.of("all"))) {
            scenarios = new ArrayList<>(h2 ? H2_SCENARIOS : SCENARIOS);
        }
        if (h2 && !H2_SCENARIOS.containsAll(scenarios)) {
            throw new IllegalArgumentException("--h2 runs only " + String.join(" and ", H2_SCENARIOS) + ": "
                    + String.join(", ", scenarios));
        }
        for (String sc : scenarios) {
            if (!SCENARIOS.contains(sc) && !NATS_SCENARIOS.contains(sc) && !SCALE_SCENARIOS.contains(sc)) {
                throw new IllegalArgumentException("unknown scenario: " + sc + " (known: "
                        + String.join(", ", SCENARIOS) + ", all, " + String.join(", ", NATS_SCENARIOS) + ", "
                        + String.join(", ", SCALE_SCENARIOS) + ")");
            }
            if (NATS_SCENARIOS.contains(sc) && natsUrls.isEmpty()) {
                throw new IllegalArgumentException(sc + " needs --nats URL[,URL...] (scripts/bench starts a cluster)");
            }
        }
        for (String f : fanoutFrames) {
            if (!f.equals("text") && !f.equals("binary")) {
                throw new IllegalArgumentException("--fanout-frames is text, binary or both: " + f);
            }
        }
    }

    private void lastServer(String option, java.util.function.UnaryOperator<Server> change) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException(option + " must follow a --server-url");
        }
        servers.set(servers.size() - 1, change.apply(servers.get(servers.size() - 1)));
    }

    private void fullSizes() {
        warmupBytes = 64L << 20;
        appendBytes = 512L << 20;
        appendRuns = 3;
        appendMessageSizes = List.of(4096, 65536);
        fanoutBytes = 256L << 20;
        fanoutMessageSize = 65536;
        fanoutFollowers = 100;
        fanoutFrames = List.of("text", "binary");
        latencyFollowers = 1000;
        latencyMessageSize = 1024;
        latencyRate = 100;
        streams = 1000;
        streamMessageSize = 100;
        streamRate = 10;
        durationSeconds = 30;
        catchUpBytes = 1L << 30;
        catchUpFollowers = List.of(1, 10);
        idleFollowers = 10_000;
        idleStreams = 100;
        dsAppendConnections = 64;
        dsStreamPerConnection = false;
        dsMessageSize = 100;
        dsLongPollReaders = 100;
        dsSseReaders = 100;
        dsRate = 100;
        dsWarmupSeconds = 5;
        natsAppendBytes = 256L << 20;
        natsDsConnections = List.of(1, 16);
        scaleFollowers = 100_000;
        scaleStreams = 1000;
        scaleStreamCount = 1_000_000;
    }

    /**
     * {@code --size toy}: the full sizes with these overrides, in the terms of the command line's own
     * size options (so a toy size reads and is checked like one given on the command line).
     */
    private static final String TOY_OVERRIDES = "warmup-bytes=2MiB append-bytes=4MiB append-runs=1 "
            + "fanout-bytes=4MiB fanout-followers=10 latency-followers=20 streams=20 duration=2 "
            + "catch-up-bytes=8MiB catch-up-followers=1,3 idle-followers=50 idle-streams=5 ds-connections=8 "
            + "ds-long-poll-readers=5 ds-sse-readers=5 ds-rate=50 ds-warmup-seconds=1 "
            + "nats-append-bytes=4MiB nats-ds-connections=1,4 "
            + "scale-followers=200 scale-streams=10 scale-stream-count=2200";

    private void toySizes() {
        fullSizes();
        for (String kv : TOY_OVERRIDES.split(" ")) {
            int eq = kv.indexOf('=');
            override(kv.substring(0, eq), kv.substring(eq + 1));
        }
    }

    private void override(String key, String v) {
        switch (key) {
            case "warmup-bytes" -> warmupBytes = v.equals("0") ? 0 : bytes(key, v);
            case "append-bytes" -> appendBytes = bytes(key, v);
            case "append-runs" -> appendRuns = count(key, v);
            case "append-message-sizes" -> appendMessageSizes = sizes(key, v);
            case "fanout-bytes" -> fanoutBytes = bytes(key, v);
            case "fanout-message-size" -> fanoutMessageSize = (int) bytes(key, v);
            case "fanout-followers" -> fanoutFollowers = count(key, v);
            case "fanout-frames" -> fanoutFrames = v.equals("both") ? List.of("text", "binary")
                    : List.of(v.split(","));
            case "latency-followers" -> latencyFollowers = count(key, v);
            case "latency-message-size" -> latencyMessageSize = (int) bytes(key, v);
            case "latency-rate" -> latencyRate = count(key, v);
            case "streams" -> streams = count(key, v);
            case "stream-message-size" -> streamMessageSize = (int) bytes(key, v);
            case "stream-rate" -> streamRate = count(key, v);
            case "duration" -> durationSeconds = count(key, v);
            case "catch-up-bytes" -> catchUpBytes = bytes(key, v);
            case "catch-up-followers" -> catchUpFollowers = sizes(key, v);
            case "idle-followers" -> idleFollowers = count(key, v);
            case "idle-streams" -> idleStreams = count(key, v);
            case "ds-connections" -> dsAppendConnections = count(key, v);
            case "ds-producers" -> dsProducers = switch (v) {
                case "yes" -> true;
                case "no" -> false;
                default -> throw new IllegalArgumentException("--ds-producers is yes or no: " + v);
            };
            case "ds-streams" -> {
                if (!v.equals("one") && !v.equals("per-connection")) {
                    throw new IllegalArgumentException("--ds-streams is one or per-connection: " + v);
                }
                dsStreamPerConnection = v.equals("per-connection");
            }
            case "scale-followers" -> scaleFollowers = count(key, v);
            case "scale-streams" -> scaleStreams = count(key, v);
            case "scale-stream-count" -> scaleStreamCount = count(key, v);
            case "ds-no-op" -> dsNoOp = switch (v) {
                case "yes" -> true;
                case "no" -> false;
                default -> throw new IllegalArgumentException("--ds-no-op is yes or no: " + v);
            };
            case "ds-message-size" -> dsMessageSize = (int) bytes(key, v);
            case "nats-append-bytes" -> natsAppendBytes = bytes(key, v);
            case "nats-ds-connections" -> natsDsConnections = sizes(key, v);
            case "ds-long-poll-readers" -> dsLongPollReaders = (int) Long.parseLong(v);
            case "ds-sse-readers" -> dsSseReaders = (int) Long.parseLong(v);
            case "ds-rate" -> dsRate = count(key, v);
            case "ds-warmup-seconds" -> dsWarmupSeconds = Long.parseLong(v) == 0 ? 0
                    : count(key, v);
            default -> throw new IllegalArgumentException("unknown option: --" + key);
        }
    }

    /** A whole number of at least 1, as {@code --key} gives it. */
    private static int count(String key, String v) {
        return positive(key, Long.parseLong(v));
    }

    private static int positive(String key, long v) {
        if (v < 1 || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("--" + key + " < 1: " + v);
        }
        return (int) v;
    }

    private static List<Integer> sizes(String key, String v) {
        List<Integer> out = new ArrayList<>();
        for (String s : v.split(",")) {
            out.add((int) bytes(key, s));
        }
        return out;
    }

    /** Parses a byte count: a number with an optional suffix KiB, MiB, GiB (or k, m, g; powers of 2). */
    static long bytes(String key, String v) {
        String s = v.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        String[][] suffixes = {{"kib", "10"}, {"mib", "20"}, {"gib", "30"}, {"k", "10"}, {"m", "20"},
            {"g", "30"}};
        for (String[] suf : suffixes) {
            if (s.endsWith(suf[0])) {
                unit = 1L << Integer.parseInt(suf[1]);
                s = s.substring(0, s.length() - suf[0].length()).trim();
                break;
            }
        }
        long n;
        try {
            n = Long.parseLong(s) * unit;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " is not a byte count: " + v);
        }
        if (n < 1) {
            throw new IllegalArgumentException("--" + key + " < 1: " + v);
        }
        return n;
    }

    static String usage() {
        return String.join("\n",
                "usage: bench [SCENARIO...|all] [options]",
                "scenarios: " + String.join(", ", SCENARIOS) + " (default: all);",
                "  named only: followers-100k (--scale-followers 100000 idle followers, half WebSocket, half",
                "  h2c ?follow, on --scale-streams 1000 live streams; memory per follower, then fanout-latency",
                "  with them connected), streams-1m (--scale-stream-count 1000000 small streams, half WebSocket,",
                "  half Durable Streams with a producer; append p99, RSS, disk per stream, restart time)",
                "  --size full|toy              full-size suite (default) or a few MB / tens of connections",
                "  --token TOKEN                send Authorization: Bearer TOKEN on every request",
                "  --server-url URL             measure a running server (repeatable); without it the",
                "                               benchmark starts our server in a separate JVM",
                "  --server-pid PID             PID of the last --server-url, for CPU and memory figures",
                "  --server-label NAME          name of the last --server-url in the report",
                "  --with-ours                  also start and measure our server when --server-url is given",
                "  --tls                        start our server with TLS (a self-signed certificate made by",
                "                               keytool in the work dir); the load generator speaks TLS",
                "                               (trusting any certificate) to every https --server-url",
                "  --h2                         fanout-max and catch-up (the only scenarios it runs) read over",
                "                               HTTP/2: h2 by ALPN with TLS, else h2c with prior knowledge;",
                "                               followers are ?follow streams; the appender stays WebSocket",
                "  --h2-streams-per-connection N  HTTP/2 readers sharing a connection (default 1, at most 256)",
                "  --markdown FILE              also write the Markdown table to FILE",
                "  --work-dir DIR               server root, raw-limit files, logs (default: a new temp dir)",
                "  --server-jvm-opts 'OPTS'     JVM options of our server (default: -Xmx1g)",
                "  --threads N                  load-generator event-loop threads (default 2)",
                "  --source-addresses N         loopback source addresses for connections (default 8)",
                "  --timeout SECONDS            per-scenario deadline (default 900)",
                "  --stall-timeout SECONDS      append+stalled: how long the appender may be held up by the",
                "                               stalled follower before the follower is let read (default 120)",
                "sizes (KiB/MiB/GiB suffixes): --warmup-bytes (per message size; 0: none), --append-bytes,",
                "  --append-message-sizes 4KiB,64KiB, --append-runs N (best of N, as the raw probe; full: 3),",
                "  --fanout-bytes, --fanout-message-size, --fanout-followers, --fanout-frames text|binary|both,",
                "  --latency-followers, --latency-message-size, --latency-rate, --streams,",
                "  --stream-message-size, --stream-rate, --duration SECONDS, --catch-up-bytes,",
                "  --catch-up-followers 1,10, --idle-followers, --idle-streams",
                "Durable Streams: --ds-connections 64 (ds-append), --ds-streams one|per-connection (ds-append),",
                "  --ds-producers yes|no (ds-append as idempotent producers, one per connection; default no),",
                "  --ds-no-op yes|no (ds-append's limit: the same load against a no-op HTTP/1.1 server in its",
                "  own JVM that answers every POST with 204, best of 3; default yes),",
                "  --ds-message-size 100, --ds-rate 100 (ds-readers appends/s), --ds-long-poll-readers 100,",
                "  --ds-sse-readers 100, --ds-threads 1 (their load generator's event-loop threads),",
                "  --ds-warmup-seconds 5 (each runs that long unmeasured first, on other streams; 0: none);",
                "  --duration applies; --server-fsync starts our server with -fsync",
                "JetStream store: " + String.join(", ", NATS_SCENARIOS) + " (not in all) on two front nodes",
                "  (-store=nats) the benchmark starts on the cluster at --nats URL,URL,... (scripts/bench starts",
                "  a 3-node cluster on loopback when asked for them); each compared with a raw JetStream publish",
                "  of the same bytes in the same chunks to an R3 stream of the same configuration;",
                "  --nats-append-bytes 256MiB, --nats-ds-connections 1,16; append sizes, --append-runs,",
                "  --latency-*, --duration and --ds-message-size apply",
                "output: one JSON object per scenario on stdout, then a Markdown table");
    }
}
