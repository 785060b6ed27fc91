package org.httpfstream.cli;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A loop on a thread of its own (a daemon) that reports its progress (a count) and its end; waiters wake
 * up when either changes, with a deadline. Started by {@link ServerProcesses#worker}, which tells every
 * worker to stop after the test.
 *
 * <p>Thread safety: thread safe. The loop calls {@link #progress(long)} and {@link #stopping()}; any thread
 * may wait, read the progress or call {@link #stop()}.
 */
final class Worker {
    /** The loop. */
    interface Body {
        void run(Worker w) throws Exception;
    }

    final String name;
    private volatile boolean stop;
    /** Guarded by this. */
    private long progress;
    /** Guarded by this. */
    private boolean ended;
    /** What ended the loop, or null if it returned. Guarded by this. */
    private Throwable failure;

    Worker(String name, Body body) {
        this.name = name;
        Thread thread = new Thread(() -> {
            Throwable t = null;
            try {
                body.run(this);
            } catch (Throwable e) {
                t = e;
            }
            synchronized (this) {
                failure = t;
                ended = true;
                notifyAll();
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** True once {@link #stop()} was called; the loop looks at it to end. */
    boolean stopping() {
        return stop;
    }

    void stop() {
        stop = true;
    }

    synchronized void progress(long value) {
        progress = value;
        notifyAll();
    }

    synchronized long progress() {
        return progress;
    }

    /** Waits until the progress is at least {@code min}; fails if the loop ends first. */
    synchronized void awaitProgress(long min, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (progress < min) {
            if (ended) {
                throw new AssertionError(name + " ended at " + progress + " without " + what, failure);
            }
            waitUntil(deadline, what);
        }
    }

    /** Waits until the loop has ended; returns what ended it (null if it returned). */
    synchronized Throwable awaitEnd(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ended) {
            waitUntil(deadline, "the end of " + name);
        }
        return failure;
    }

    private void waitUntil(long deadline, String what) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new AssertionError("timed out waiting for " + what + " (" + name + " at " + progress + ")");
        }
        try {
            TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
