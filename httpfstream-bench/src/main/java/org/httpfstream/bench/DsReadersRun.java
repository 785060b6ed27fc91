package org.httpfstream.bench;

import java.util.List;
import java.util.Locale;

/**
 * What one ds-readers run shares between its two results (long-poll and SSE readers), and how each
 * result is filled from it: the run's errors, then up to five reader failures, byte count, latency and
 * verdict. Split out of {@link DsScenarios} so that class stays a readable size.
 *
 * <p>Thread safety: built and used by the scenario's thread after the load has stopped; not shared.
 *
 * @param appendLatency the appender's own latency (send → 204), "p50 / p99 / max" in ms
 * @param errors        errors of the whole run (setup, appender), reported in both results
 * @param messages      bodies every reader must receive
 * @param size          bytes per body
 * @param readInTime    whether the readers finished before their deadline
 * @param seconds       the run's duration
 */
record DsReadersRun(String appendLatency, List<String> errors, long messages, int size, boolean readInTime,
        double seconds) {

    /**
     * The appender's own latency (send → 204) as "p50 / p99 / max" in ms: what of the readers' latency the
     * append itself took.
     */
    static String latency(Histogram appendLat) {
        return String.format(Locale.ROOT, "%.2f / %.2f / %.2f", appendLat.percentile(50) / 1e6,
                appendLat.percentile(99) / 1e6, appendLat.max() / 1e6);
    }

    /** Fills one ds-readers result ({@code rs}: its readers, {@code lat}: their latency) from this run. */
    void report(Result r, List<DsReader> rs, Histogram lat) {
        r.param("appendLatencyMs", appendLatency);
        r.errors.addAll(errors);
        int bad = 0;
        for (DsReader rd : rs) {
            String err = rd.error() != null ? rd.name + ": " + rd.error()
                    : rd.received() != messages ? rd.name + ": received " + rd.received() + " of " + messages
                            + (readInTime ? "" : " (readers still waiting at the deadline)")
                    : rd.strayBytes() != 0 ? rd.name + ": " + rd.strayBytes() + " stray bytes" : null;
            if (err != null && bad++ < 5) {
                r.errors.add(err);
            }
        }
        if (bad > 5) {
            r.errors.add((bad - 5) + " more readers failed");
        }
        r.connections = rs.size() + 1;
        r.bytes = (long) rs.size() * messages * size;
        r.seconds = seconds;
        r.latency = lat;
        r.verified = r.errors.isEmpty() && lat.count() == (long) rs.size() * messages;
        if (r.errors.isEmpty() && !r.verified) {
            r.errors.add("latency samples " + lat.count() + ", expected " + (long) rs.size() * messages);
        }
        r.target = "every body to every reader once, in order; p99 ≤ 10 ms";
        r.targetMet = r.verified && lat.percentile(99) <= 10e6;
    }
}
