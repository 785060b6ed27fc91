package org.httpfstream.server.admin;

import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;
import org.httpfstream.server.Refusals;
import org.httpfstream.server.ServerStats;
import org.httpfstream.store.StoreMetrics;
import org.httpfstream.store.StreamStore;

/**
 * The Prometheus metrics of one server, in a registry of its own (never the global default, so that
 * several servers in one JVM stay apart), exposed in the Prometheus text format by the admin
 * listener's {@code /metrics}. Most are read when scraped, from the counts the server keeps anyway
 * ({@link ServerStats}, {@link Refusals}, the {@link StreamStore}); the store's own events (bytes
 * appended, syncs) arrive through {@link StoreMetrics}, which this implements with adders and
 * histograms: no lock, no allocation per event. Labels are fixed sets (follower kind, append protocol,
 * refusal reason, group-commit kind), never a stream path. The names are listed in {@code
 * docs/notes/metrics.md}.
 *
 * <p>Follower lag is sampled at each scrape: every live reader's lag (committed bytes not yet sent to
 * it) goes into a histogram, and the largest is the gauge {@code httpfstream_follower_lag_max_bytes}.
 *
 * <p>Thread safety: safe for use by any thread; {@link #scrape} may run beside the store's events.
 */
public final class ServerMetrics implements StoreMetrics {
    private static final double NANOS_PER_SECOND = 1e9;
    private static final double[] SECONDS = {
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final ServerStats stats;
    private final LongAdder appended = new LongAdder();
    private final Histogram fsync;
    private final DistributionDataPoint streamRoundSeconds;
    private final DistributionDataPoint metadataBatchSeconds;
    private final DistributionDataPoint streamRoundSize;
    private final DistributionDataPoint metadataBatchSize;
    private final Histogram streamRoundBytes;
    private final Histogram lag;
    private final Gauge lagMax;
    private final Object scrapeLock = new Object();

    /**
     * Registers the metrics of a server whose store is {@code store}, whose transport counts into
     * {@code stats} and whose refusals into {@code refusals}, and the JVM's. Does not attach itself to
     * the store: the caller does ({@code store.metrics(this)}).
     */
    public ServerMetrics(StreamStore store, ServerStats stats, Refusals refusals) {
        Objects.requireNonNull(store, "store");
        this.stats = Objects.requireNonNull(stats, "stats");
        Objects.requireNonNull(refusals, "refusals");
        registerCounts(store, stats, refusals);
        fsync = Histogram.builder().name("httpfstream_fsync_seconds")
                .help("Time of one fdatasync of a stream file (with -fsync)")
                .classicUpperBounds(SECONDS).classicOnly().withoutExemplars().register(registry);
        Histogram rounds = Histogram.builder().name("httpfstream_group_commit_seconds")
                .help("Time of one group commit, with -fsync: kind stream (a sync round of one stream's bytes) "
                        + "or metadata (a batch of metadata files and folder entries)")
                .labelNames("kind")
                .classicUpperBounds(SECONDS).classicOnly().withoutExemplars().register(registry);
        streamRoundSeconds = rounds.labelValues("stream");
        metadataBatchSeconds = rounds.labelValues("metadata");
        Histogram sizes = Histogram.builder().name("httpfstream_group_commit_size")
                .help("What one group commit covered, with -fsync: kind stream, the waiting appends it answered; "
                        + "kind metadata, the metadata files and folder entries it made durable")
                .labelNames("kind")
                .classicExponentialUpperBounds(1, 2, 12).classicOnly().withoutExemplars().register(registry);
        streamRoundSize = sizes.labelValues("stream");
        metadataBatchSize = sizes.labelValues("metadata");
        streamRoundBytes = Histogram.builder().name("httpfstream_group_commit_bytes")
                .help("Bytes one sync round of a stream made durable (with -fsync)")
                .classicExponentialUpperBounds(1024, 4, 10).classicOnly().withoutExemplars().register(registry);
        lag = Histogram.builder().name("httpfstream_follower_lag_bytes")
                .help("Lag of the live readers that send from a cursor (websocket, follow, sse): committed bytes "
                        + "not yet sent, one sample per reader per scrape")
                .classicUpperBounds(0, 1024, 65536, 1 << 20, 16 << 20, 256 << 20, 1L << 30, 16L << 30)
                .classicOnly().withoutExemplars().register(registry);
        lagMax = Gauge.builder().name("httpfstream_follower_lag_max_bytes")
                .help("The largest lag of a live reader at the last scrape, in bytes")
                .withoutExemplars().register(registry);
        JvmMetrics.builder().register(registry);
    }

    /** Registers the metrics read from the store, the transport's counts and the refusals at each scrape. */
    private void registerCounts(StreamStore store, ServerStats stats, Refusals refusals) {
        gauge("httpfstream_streams_open",
                "Streams open for writing: append sessions and Durable Streams writers not yet idle",
                store::openWriters);
        gauge("httpfstream_appenders",
                "Active WebSocket append sessions (each holds its stream's writer lease)", store::activeSessions);
        GaugeWithCallback.builder().name("httpfstream_followers")
                .help("Live readers now, by kind: websocket, follow (?follow), long_poll, sse")
                .labelNames("kind")
                .callback(cb -> {
                    for (ServerStats.FollowerKind k : ServerStats.FollowerKind.values()) {
                        cb.call(stats.followers(k), k.label());
                    }
                }).register(registry);
        counter("httpfstream_appended_bytes", "Stream bytes appended, by every protocol", appended::sum);
        counter("httpfstream_followed_bytes", "Stream bytes sent to live readers (websocket, follow, sse)",
                stats::followedBytes);
        counter("httpfstream_received_bytes",
                "Bytes read from clients on the stream port (request heads and bodies, WebSocket frames)",
                stats::bytesReceived);
        counter("httpfstream_sent_bytes",
                "Bytes written to clients on the stream port (response heads, bodies, WebSocket frames)",
                stats::bytesSent);
        counterBy("httpfstream_appends",
                "Appends, by protocol: websocket (one per APPEND session), http (one per POST with a body)",
                "protocol", ServerStats.AppendProtocol.values(), stats::appends, ServerStats.AppendProtocol::label);
        counterBy("httpfstream_refusals", "Requests, connections and messages refused, by reason",
                "reason", Refusals.Reason.values(), refusals::get, ServerMetrics::label);
        counter("httpfstream_connections_accepted",
                "TCP connections accepted on the stream port, refused ones included", stats::connectionsAccepted);
        gauge("httpfstream_connections_open", "TCP connections open on the stream port", stats::connectionsOpen);
    }

    /** Registers a gauge read from {@code value} at each scrape. */
    private void gauge(String name, String help, LongSupplier value) {
        GaugeWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsLong()))
                .register(registry);
    }

    /** Registers a counter read from {@code value} at each scrape. */
    private void counter(String name, String help, LongSupplier value) {
        CounterWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsLong()))
                .register(registry);
    }

    /** Registers a counter with one label, one series per value of {@code values}, read at each scrape. */
    private <E> void counterBy(String name, String help, String labelName, E[] values, ToLongFunction<E> count,
            Function<E, String> label) {
        CounterWithCallback.builder().name(name).help(help).labelNames(labelName)
                .callback(cb -> {
                    for (E v : values) {
                        cb.call(count.applyAsLong(v), label.apply(v));
                    }
                }).register(registry);
    }

    /** The label value of a refusal reason: its name in lower case, such as {@code auth_missing}. */
    public static String label(Refusals.Reason reason) {
        return reason.name().toLowerCase(Locale.ROOT);
    }

    /** This server's registry, for embedders who add metrics of their own. */
    public PrometheusRegistry registry() {
        return registry;
    }

    /** The media type of {@link #scrape}'s output. */
    public String contentType() {
        return writer.getContentType();
    }

    /** Samples the followers' lag, then writes every metric in the Prometheus text format to {@code out}. */
    public void scrape(OutputStream out) throws IOException {
        synchronized (scrapeLock) { // one lag sample per scrape, the max gauge set by the same one
            long[] max = {0};
            stats.followerLags(l -> {
                lag.observe(l);
                max[0] = Math.max(max[0], l);
            });
            lagMax.set(max[0]);
            writer.write(out, registry.scrape());
        }
    }

    @Override
    public void appended(long bytes) {
        appended.add(bytes);
    }

    @Override
    public void synced(long nanos) {
        fsync.observe(nanos / NANOS_PER_SECOND);
    }

    @Override
    public void syncRound(long nanos, long bytes, int waiters) {
        streamRoundSeconds.observe(nanos / NANOS_PER_SECOND);
        streamRoundSize.observe(waiters);
        streamRoundBytes.observe(bytes);
    }

    @Override
    public void metadataBatch(long nanos, int changes) {
        metadataBatchSeconds.observe(nanos / NANOS_PER_SECOND);
        metadataBatchSize.observe(changes);
    }
}
