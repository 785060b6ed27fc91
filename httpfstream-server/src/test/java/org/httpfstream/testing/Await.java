package org.httpfstream.testing;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Waits for an asynchronous event by polling a condition until it holds or a deadline passes; the one
 * wait of the server tests (never a sleep). The condition is polled every 5 ms: the poll interval, not
 * a guess at how long the event takes.
 *
 * <p>Written here rather than taken from Awaitility: one polling loop, not worth a dependency the
 * project does not otherwise have.
 *
 * <p>Thread safety: stateless; may be called from any thread.
 */
public final class Await {
    /** How long {@link #until(String, Condition)} waits: long enough for a loaded CI machine. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(20);

    private static final long POLL_NANOS = Duration.ofMillis(5).toNanos();

    private Await() {}

    /** A condition to poll; one that throws fails the wait at once with what it threw. */
    @FunctionalInterface
    public interface Condition {
        boolean holds() throws Exception;
    }

    /** Returns once {@code condition} holds; throws an {@link AssertionError} naming {@code what} after 20 s. */
    public static void until(String what, Condition condition) {
        until(what, condition, DEFAULT_DEADLINE);
    }

    /**
     * Returns once {@code condition} holds, polling it every 5 ms; throws an {@link AssertionError}
     * naming {@code what} when it still does not hold after {@code deadline}, or at once with the cause
     * when the condition throws.
     */
    public static void until(String what, Condition condition, Duration deadline) {
        long end = System.nanoTime() + deadline.toNanos();
        while (!holds(what, condition)) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("timed out after " + deadline + " waiting until " + what);
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    private static boolean holds(String what, Condition condition) {
        try {
            return condition.holds();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError("failed waiting until " + what + ": " + e, e);
        }
    }
}
