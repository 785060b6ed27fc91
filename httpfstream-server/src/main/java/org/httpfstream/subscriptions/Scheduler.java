package org.httpfstream.subscriptions;

import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.httpfstream.store.DaemonThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the subscriptions domain does its work: one thread that runs tasks one at a time, in the order
 * they become due. All state of {@link Subscriptions} is confined to it, so no subscription needs a lock
 * and no request thread (a Netty event loop) ever waits for one. Tests use a manual implementation whose
 * time only moves when the test says so.
 *
 * <p>Thread safety: implementations accept tasks from any thread.
 */
public interface Scheduler {
    /** A scheduled task that may still be cancelled. */
    interface Task {
        /** Keeps the task from running if it has not started; does nothing otherwise. */
        void cancel();
    }

    /**
     * Runs {@code task} on the scheduler's thread after {@code delayMs} milliseconds (0: as soon as the
     * tasks before it are done). Once {@link #shutdown} was called the task is dropped: it never runs.
     */
    Task schedule(Runnable task, long delayMs);

    /** As {@link #schedule} with no delay. */
    default void execute(Runnable task) {
        schedule(task, 0);
    }

    /** Drops the tasks not yet run and refuses new ones; a running task finishes. Idempotent. */
    void shutdown();

    /**
     * A scheduler on one daemon thread named {@code name}, started on the first task. A task that throws
     * is logged and the thread goes on.
     */
    static Scheduler singleThread(String name) {
        return new SingleThread(name);
    }

    /** The JDK's scheduled executor on one daemon thread. Thread safety: that of the executor. */
    final class SingleThread implements Scheduler {
        private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);
        private final ScheduledExecutorService executor;

        private SingleThread(String name) {
            this.executor = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named(name));
        }

        @Override
        public Task schedule(Runnable task, long delayMs) {
            ScheduledFuture<?> f;
            try {
                f = executor.schedule(() -> {
                    try {
                        task.run();
                    } catch (RuntimeException e) {
                        LOG.warn("subscription task failed", e);
                    }
                }, delayMs, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                return () -> { }; // shut down: dropped
            }
            return () -> f.cancel(false);
        }

        @Override
        public void shutdown() {
            executor.shutdownNow();
        }
    }
}
