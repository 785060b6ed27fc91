package org.httpfstream.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A group of connections of one scenario, counted twice: when each has opened (handshake answered, or
 * failed) and when each has finished (connection closed). Collects their errors.
 *
 * <p>Thread safety: every method may be called from any thread.
 */
final class Cohort {
    private static final int KEPT_ERRORS = 20;

    private final String name;
    private final int size;
    private final CountDownLatch opened;
    private final CountDownLatch finished;
    private final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    private final AtomicInteger errorCount = new AtomicInteger();

    /**
     * @param name what the members are, for error messages ("follower")
     * @param size number of members
     */
    Cohort(String name, int size) {
        if (size < 1) {
            throw new IllegalArgumentException("size < 1: " + size);
        }
        this.name = name;
        this.size = size;
        this.opened = new CountDownLatch(size);
        this.finished = new CountDownLatch(size);
    }

    String name() {
        return name;
    }

    int size() {
        return size;
    }

    void opened() {
        opened.countDown();
    }

    void finished() {
        finished.countDown();
    }

    void error(String message) {
        if (errorCount.incrementAndGet() <= KEPT_ERRORS) {
            errors.add(message);
        }
    }

    int errorCount() {
        return errorCount.get();
    }

    /** Waits until every member has opened or failed; false if the deadline passed first. */
    boolean awaitOpened(long deadlineNanos) throws InterruptedException {
        return opened.await(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /** Waits until every member's connection has closed; false if the deadline passed first. */
    boolean awaitFinished(long deadlineNanos) throws InterruptedException {
        return finished.await(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    long pendingFinish() {
        return finished.getCount();
    }

    long pendingOpen() {
        return opened.getCount();
    }

    /** The first errors, plus a line counting the others. */
    List<String> errors() {
        List<String> out = new ArrayList<>(errors);
        int more = errorCount.get() - out.size();
        if (more > 0) {
            out.add("... and " + more + " more " + name + " errors");
        }
        return out;
    }
}
