package org.httpfstream.store;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The server's own background threads: daemon threads (they never keep the JVM alive) with a name that
 * says whose they are, and the pool of such threads that the store, the webhooks and the admin listener
 * use, whose threads end after {@value #IDLE_SECONDS} idle seconds. The JDK's {@code
 * Executors.defaultThreadFactory()} makes non-daemon threads named {@code pool-N-thread-M}, which is
 * why the server has its own.
 *
 * <p>Thread safety: stateless; the factories it returns may be used from any thread.
 */
public final class DaemonThreads {
    /** Seconds a pool's idle thread waits for work before it ends. */
    static final int IDLE_SECONDS = 30;

    private DaemonThreads() {
    }

    /** Makes daemon threads named {@code name}. */
    public static ThreadFactory named(String name) {
        return r -> daemon(r, name);
    }

    /** Makes daemon threads named {@code prefix-1}, {@code prefix-2} and so on. */
    public static ThreadFactory numbered(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> daemon(r, prefix + "-" + n.incrementAndGet());
    }

    /**
     * A pool of up to {@code threads} threads from {@code factory}, made when work comes and ended after
     * {@value #IDLE_SECONDS} idle seconds, whose queue holds {@code queue} tasks ({@code 0}: no bound); a
     * task past a full queue is refused with {@link java.util.concurrent.RejectedExecutionException}.
     */
    public static ThreadPoolExecutor pool(int threads, int queue, ThreadFactory factory) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, IDLE_SECONDS, TimeUnit.SECONDS,
                queue == 0 ? new LinkedBlockingQueue<>() : new LinkedBlockingQueue<>(queue), factory);
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
