package org.httpfstream.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outcome of one scenario run (or one physical-limit probe): what was measured, against what
 * limit and target, what it cost the server, and whether every byte was verified.
 *
 * <p>Not thread safe: filled by the thread that runs the scenario.
 */
public final class Result {
    final String scenario;
    final String server;
    final Map<String, Object> params = new LinkedHashMap<>();
    long bytes;
    double seconds;
    String limitName;
    double limitBytesPerSecond = Double.NaN;
    String target;
    Boolean targetMet;
    String targetNote;
    Histogram latency;
    Histogram clientLag;
    double serverCpuSeconds = Double.NaN;
    double clientCpuSeconds = Double.NaN;
    double machineCpuSeconds = Double.NaN;
    long serverRssBefore = -1;
    long serverRssAfter = -1;
    long serverRssPeak = -1;
    long perConnectionBytes = -1;
    int connections;
    boolean verified;
    final List<String> errors = new ArrayList<>();

    Result(String scenario, String server) {
        this.scenario = scenario;
        this.server = server;
    }

    Result param(String key, Object value) {
        params.put(key, value);
        return this;
    }

    /** Bytes per second: the measured bytes over the measured seconds. */
    public double throughput() {
        return seconds > 0 ? bytes / seconds : Double.NaN;
    }

    /** Throughput over the limit's, or NaN when there is no limit. */
    public double ratio() {
        return limitBytesPerSecond > 0 ? throughput() / limitBytesPerSecond : Double.NaN;
    }

    public String scenario() {
        return scenario;
    }

    public boolean verified() {
        return verified;
    }

    public List<String> errors() {
        return errors;
    }

    public Boolean targetMet() {
        return targetMet;
    }

    /** The JSON object of this result, field by field. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scenario", scenario);
        m.put("server", server);
        m.put("params", params);
        m.put("bytes", bytes);
        m.put("seconds", seconds);
        m.put("throughputMBps", throughput() / 1e6);
        m.put("limit", limitName);
        m.put("limitMBps", limitBytesPerSecond / 1e6);
        m.put("ratio", ratio());
        m.put("target", target);
        m.put("targetMet", targetMet);
        if (targetNote != null) {
            m.put("targetNote", targetNote);
        }
        if (latency != null) {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("samples", latency.count());
            l.put("p50", latency.percentile(50) / 1e6);
            l.put("p99", latency.percentile(99) / 1e6);
            l.put("max", latency.max() / 1e6);
            m.put("latencyMs", l);
        } else {
            m.put("latencyMs", null);
        }
        if (clientLag != null && clientLag.count() > 0) {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("p99", clientLag.percentile(99) / 1e6);
            l.put("max", clientLag.max() / 1e6);
            m.put("clientLoopLagMs", l);
        }
        m.put("serverCpuSeconds", serverCpuSeconds);
        m.put("clientCpuSeconds", clientCpuSeconds);
        // Everything else that ran on the machine meanwhile (a shared machine shows it here).
        m.put("otherCpuSeconds", Double.isNaN(serverCpuSeconds) ? null
                : Math.max(0, machineCpuSeconds - serverCpuSeconds - clientCpuSeconds));
        m.put("serverRssBeforeBytes", serverRssBefore < 0 ? null : serverRssBefore);
        m.put("serverRssAfterBytes", serverRssAfter < 0 ? null : serverRssAfter);
        m.put("serverRssPeakBytes", serverRssPeak < 0 ? null : serverRssPeak);
        m.put("perConnectionBytes", perConnectionBytes < 0 ? null : perConnectionBytes);
        m.put("connections", connections);
        m.put("verified", verified);
        m.put("errors", errors);
        return m;
    }

    /** The Markdown table of {@code results}. */
    public static String markdown(List<Result> results) {
        StringBuilder sb = new StringBuilder();
        sb.append("| scenario | server | params | MB/s | limit MB/s | ratio | target | met | "
                + "latency p50 / p99 / max ms | CPU s: server / load gen. / other | server RSS before → after (peak) MiB | "
                + "per conn. KiB | verified | errors |\n");
        sb.append("|---|---|---|---:|---:|---:|---|---|---|---:|---|---:|---|---|\n");
        for (Result r : results) {
            sb.append("| ").append(r.scenario)
                    .append(" | ").append(r.server)
                    .append(" | ").append(params(r.params))
                    .append(" | ").append(num(r.throughput() / 1e6, 1))
                    .append(" | ").append(num(r.limitBytesPerSecond / 1e6, 1))
                    .append(r.limitName == null ? "" : " (" + r.limitName + ")")
                    .append(" | ").append(num(r.ratio(), 2))
                    .append(" | ").append(r.target == null ? "" : r.target)
                    .append(" | ").append(r.targetMet == null ? "" : r.targetMet ? "**met**" : "**MISSED**")
                    .append(" | ").append(r.latency == null ? "" : num(r.latency.percentile(50) / 1e6, 2)
                            + " / " + num(r.latency.percentile(99) / 1e6, 2) + " / "
                            + num(r.latency.max() / 1e6, 2)
                            + (r.clientLag == null || r.clientLag.count() == 0 ? ""
                                    : " (load generator lag p99 " + num(r.clientLag.percentile(99) / 1e6, 2)
                                    + ")"))
                    .append(" | ").append(Double.isNaN(r.serverCpuSeconds) ? "" : num(r.serverCpuSeconds, 1)
                            + " / " + num(r.clientCpuSeconds, 1) + " / "
                            + num(Math.max(0, r.machineCpuSeconds - r.serverCpuSeconds - r.clientCpuSeconds), 1))
                    .append(" | ").append(r.serverRssBefore < 0 ? "" : mib(r.serverRssBefore) + " → "
                            + mib(r.serverRssAfter) + " (" + mib(r.serverRssPeak) + ")")
                    .append(" | ").append(r.perConnectionBytes < 0 ? "" : num(r.perConnectionBytes / 1024.0, 1))
                    .append(" | ").append(r.verified ? "yes" : "**NO**")
                    .append(" | ").append(r.errors.isEmpty() ? "" : String.join("; ", r.errors)
                            .replace("|", "\\|"))
                    .append(" |\n");
        }
        return sb.toString();
    }

    private static String params(Map<String, Object> p) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Object> e : p.entrySet()) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(e.getKey()).append('=').append(e.getValue());
        }
        return sb.toString();
    }

    private static String mib(long bytes) {
        return bytes < 0 ? "?" : num(bytes / 1048576.0, 0);
    }

    private static String num(double v, int decimals) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "";
        }
        return String.format(java.util.Locale.ROOT, "%." + decimals + "f", v);
    }
}
