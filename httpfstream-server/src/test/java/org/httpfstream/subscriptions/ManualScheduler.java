package org.httpfstream.subscriptions;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import org.httpfstream.testing.ManualClock;

/**
 * A {@link Scheduler} on virtual time for tests: tasks run only in {@link #runDue} and {@link #advance},
 * on the test's thread, in the order they fall due (then in the order scheduled). Its {@link #clock}
 * shows the same virtual time. Every delay asked for is recorded.
 *
 * <p>Thread safety: synchronized; tasks run on the thread that calls {@link #runDue} or {@link #advance}.
 */
final class ManualScheduler implements Scheduler {
    static final Instant START = Instant.parse("2026-01-02T03:04:05Z");

    private record Entry(long due, long seq, Runnable task, boolean[] cancelled) {}

    private final PriorityQueue<Entry> queue = new PriorityQueue<>((a, b) -> a.due != b.due
            ? Long.compare(a.due, b.due) : Long.compare(a.seq, b.seq));
    private final List<Long> delays = new ArrayList<>();
    private long now;
    private long seq;
    private boolean shutdown;

    @Override
    public synchronized Task schedule(Runnable task, long delayMs) {
        if (shutdown) {
            return () -> { };
        }
        delays.add(delayMs);
        boolean[] cancelled = {false};
        queue.add(new Entry(now + delayMs, seq++, task, cancelled));
        return () -> cancelled[0] = true;
    }

    @Override
    public synchronized void shutdown() {
        shutdown = true;
        queue.clear();
    }

    /** Runs every task due now, including those they schedule without delay. */
    void runDue() {
        Entry e;
        while ((e = next(now)) != null) {
            if (!e.cancelled[0]) {
                e.task.run();
            }
        }
    }

    /** Moves time on by {@code ms}, running each task at its due time. */
    void advance(long ms) {
        long end;
        synchronized (this) {
            end = now + ms;
        }
        Entry e;
        while ((e = next(end)) != null) {
            synchronized (this) {
                now = Math.max(now, e.due);
            }
            if (!e.cancelled[0]) {
                e.task.run();
            }
        }
        synchronized (this) {
            now = end;
        }
    }

    private synchronized Entry next(long until) {
        Entry e = queue.peek();
        return e != null && e.due <= until ? queue.poll() : null;
    }

    /** The delays asked for so far, in order; then forgets them. */
    synchronized List<Long> takeDelays() {
        List<Long> d = new ArrayList<>(delays);
        delays.clear();
        return d;
    }

    /** Tasks waiting that were not cancelled. */
    synchronized int live() {
        return (int) queue.stream().filter(e -> !e.cancelled[0]).count();
    }

    synchronized boolean isShutdown() {
        return shutdown;
    }

    /** A clock that shows this scheduler's virtual time. */
    Clock clock() {
        return ManualClock.showing(this::virtualNow);
    }

    private synchronized Instant virtualNow() {
        return START.plusMillis(now);
    }
}
