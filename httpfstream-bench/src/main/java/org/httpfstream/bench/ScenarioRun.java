package org.httpfstream.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntFunction;

/**
 * The skeleton that every WebSocket scenario run of {@link Bench} (and its warm-up) follows: connections
 * opened on one {@link LoadClient} before one deadline, in cohorts; waited for; then every reader added up
 * and checked against its appender, and the cohorts' errors gathered into the result. A scenario says only
 * what differs: which connections, what is measured, what the target is.
 *
 * <p>Thread safety: not thread safe; one run on the bench's thread (the connections run on the client's
 * event loops and report through their {@link Cohort}s, which are thread safe).
 */
final class ScenarioRun {

    private final LoadClient client;
    private final long deadline;
    private final PrintStream log;
    /** Every cohort of the run, in the order made: their errors go into the result in this order. */
    private final List<Cohort> cohorts = new ArrayList<>();
    /** False once a check failed. */
    private boolean ok = true;
    /** Bytes the checked readers received. */
    private long received;

    /**
     * @param deadline {@link System#nanoTime()} by which every connection must have opened and finished
     * @param log where connections that did not finish are described
     */
    ScenarioRun(LoadClient client, long deadline, PrintStream log) {
        this.client = client;
        this.deadline = deadline;
        this.log = log;
    }

    /** A new cohort of {@code size} connections named {@code role}, part of this run. */
    Cohort cohort(String role, int size) {
        Cohort cohort = new Cohort(role, size);
        cohorts.add(cohort);
        return cohort;
    }

    /** The client whose event loops carry the run's connections. */
    LoadClient client() {
        return client;
    }

    /** The deadline of the run, a {@link System#nanoTime()}. */
    long deadline() {
        return deadline;
    }

    /** Makes the connections of {@code cohort} (number 0 to its size - 1) and opens them all. */
    <P extends Peer> List<P> open(Cohort cohort, IntFunction<P> factory) throws InterruptedException {
        List<P> peers = new ArrayList<>(cohort.size());
        for (int i = 0; i < cohort.size(); i++) {
            peers.add(factory.apply(i));
        }
        open(cohort, peers);
        return peers;
    }

    /**
     * The one appender of a stream, opened, not started: {@code messages} messages of {@code payload},
     * one every {@code periodNanos} (0: as fast as it can), their send times into {@code sendTimes} if not null.
     */
    Appender appender(String path, Payload payload, long messages, long periodNanos, AtomicLongArray sendTimes)
            throws InterruptedException {
        Cohort appenders = cohort("appender", 1);
        return open(appenders, i -> new Appender(appenders, i, path, payload, messages, periodNanos, 0, true,
                sendTimes)).get(0);
    }

    /**
     * Starts {@code appender} and waits until it and the {@code followers} have finished.
     *
     * @return the seconds from the appender's start to the end
     */
    double stream(Appender appender, Cohort followers, List<? extends Peer> peers) throws InterruptedException {
        appender.start();
        await(appender.cohort);
        await(followers, peers);
        return (System.nanoTime() - appender.startNanos()) / 1e9;
    }

    /** Connects {@code peers} of {@code cohort} and waits until they are open, or reports why not. */
    <P extends Peer> void open(Cohort cohort, List<P> peers) throws InterruptedException {
        try {
            for (P p : peers) {
                client.connect(p, deadline);
            }
        } catch (TimeoutException e) {
            cohort.error(cohort.name() + "s: " + e.getMessage());
            return;
        }
        awaitOpened(cohort);
    }

    /** Waits until every connection of {@code cohort} is open, or reports how many are not. */
    void awaitOpened(Cohort cohort) throws InterruptedException {
        if (!cohort.awaitOpened(deadline)) {
            cohort.error(cohort.pendingOpen() + " of " + cohort.size() + " " + cohort.name()
                    + "s not open at the deadline");
        }
    }

    /** Waits until every connection of {@code cohort} has finished, or reports how many have not. */
    void await(Cohort cohort) throws InterruptedException {
        await(cohort, List.of());
    }

    /** As {@link #await(Cohort)}, describing the first few of {@code peers} that did not finish. */
    void await(Cohort cohort, List<? extends Peer> peers) throws InterruptedException {
        if (!cohort.awaitFinished(deadline)) {
            cohort.error(cohort.pendingFinish() + " of " + cohort.size() + " " + cohort.name()
                    + "s not finished at the deadline");
            peers.stream().filter(p -> !p.isFinished()).limit(5)
                    .forEach(p -> log.println("bench: unfinished " + p.describe()));
        }
    }

    /** Describes the first few of {@code readers} that did not finish. */
    void logUnfinished(List<H2Follower> readers) {
        readers.stream().filter(f -> !f.isFinished()).limit(5)
                .forEach(f -> log.println("bench: unfinished " + f.describe()));
    }

    /** Adds up what each of {@code readers} received and checks it against what {@code appender} sent. */
    void check(List<? extends Receiver> readers, int expectedStatus, Appender appender) {
        for (Receiver r : readers) {
            check(r, expectedStatus, appender);
        }
    }

    /** Adds what {@code reader} received and checks it against what {@code appender} sent. */
    void check(Receiver reader, int expectedStatus, Appender appender) {
        received += reader.bytes();
        ok &= reader.verify(expectedStatus, appender);
    }

    /** Counts a check that the scenario made itself. */
    void check(boolean passed) {
        ok &= passed;
    }

    /** True while every check passed. */
    boolean passed() {
        return ok;
    }

    /** Reads the finished stream back with a plain GET and checks it against what {@code appender} sent. */
    void readBack(String path, Appender appender) throws InterruptedException {
        Cohort readers = cohort("read-back", 1);
        Follower f = new Follower(readers, 0, path, false, false, false, null);
        open(readers, List.of(f));
        await(readers);
        check(f.verify(200, appender));
    }

    /**
     * Completes {@code r}: adds the bytes the checked readers received, gathers every cohort's errors, and
     * calls it verified if every check passed and there was no error.
     */
    void finish(Result r) {
        r.bytes += received;
        for (Cohort cohort : cohorts) {
            r.errors.addAll(cohort.errors());
        }
        r.verified = ok && r.errors.isEmpty();
    }

    /**
     * Completes a latency scenario's result as {@link #finish}: every message must also have given one
     * sample at every follower.
     */
    void finish(Result r, Histogram latency, long expectedSamples) {
        if (latency.count() != expectedSamples) {
            r.errors.add("latency samples " + latency.count() + ", expected " + expectedSamples);
        }
        finish(r);
        r.latency = latency;
    }
}
