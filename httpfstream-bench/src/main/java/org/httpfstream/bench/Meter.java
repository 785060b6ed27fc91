package org.httpfstream.bench;

/**
 * Server and load-generator CPU, the rest of the machine's CPU, server memory and the load
 * generator's event-loop lag over one measured interval: from construction to {@link #stop}.
 *
 * <p>Not thread safe: one thread starts and stops it.
 */
final class Meter {
    private final ProcStats server;
    private final ProcStats client = ProcStats.self();
    private final double serverCpu0;
    private final double clientCpu0;
    private final long rss0;
    private final double machine0;
    private final ProcStats.RssSampler sampler;
    private final LoadClient load;

    /** Starts measuring {@code t}'s server (if its PID is known) and {@code load}'s event loops. */
    Meter(Target t, LoadClient load) {
        this.load = load;
        load.startLagMonitor();
        server = t.stats();
        serverCpu0 = server == null ? Double.NaN : server.cpuSeconds();
        rss0 = server == null ? -1 : server.rssBytes();
        sampler = server == null ? null : server.sampleRss(20);
        clientCpu0 = client.cpuSeconds();
        machine0 = ProcStats.machineBusySeconds();
    }

    /** Stops measuring and puts the same figures into each of {@code results}; call once. */
    void stop(Result... results) {
        double clientCpu = client.cpuSeconds() - clientCpu0;
        Histogram lag = load.stopLagMonitor();
        double machineCpu = ProcStats.machineBusySeconds() - machine0;
        double serverCpu = Double.NaN;
        long rssAfter = -1;
        long rssPeak = -1;
        if (server != null) {
            serverCpu = server.cpuSeconds() - serverCpu0;
            rssAfter = server.rssBytes();
            rssPeak = sampler.peakBytes();
            sampler.close();
        }
        for (Result r : results) {
            r.clientCpuSeconds = clientCpu;
            r.clientLag = lag;
            r.machineCpuSeconds = machineCpu;
            r.serverCpuSeconds = serverCpu;
            r.serverRssBefore = rss0;
            r.serverRssAfter = rssAfter;
            r.serverRssPeak = rssPeak;
        }
    }
}
