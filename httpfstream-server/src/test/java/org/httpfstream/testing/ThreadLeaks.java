package org.httpfstream.testing;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

/**
 * Which server threads a test left running: a snapshot of the live threads taken before the test,
 * compared after it with those alive then whose names say they are the server's (its event loops, its
 * store's sync and idle-writer threads, its webhook, grant-file and admin threads). Threads of the JVM,
 * of JUnit and of the test's own clients are not the server's and are not looked at.
 *
 * <p>Thread safety: immutable after {@link #snapshot()}.
 */
public final class ThreadLeaks {
    /** How long a closed server's threads may take to end: Netty's graceful shutdown is asked for 2 s. */
    public static final Duration GRACE = Duration.ofSeconds(10);

    private final Set<Thread> before;

    private ThreadLeaks(Set<Thread> before) {
        this.before = before;
    }

    /** The threads alive now. */
    public static ThreadLeaks snapshot() {
        return new ThreadLeaks(Set.copyOf(Thread.getAllStackTraces().keySet()));
    }

    /** Waits up to {@link #GRACE} for the server threads started since the snapshot to end; fails naming them. */
    public void assertNoneLeftSince() {
        assertNoneLeftSince(GRACE);
    }

    /** Waits up to {@code grace} for the server threads started since the snapshot to end; fails naming them. */
    public void assertNoneLeftSince(Duration grace) {
        long end = System.nanoTime() + grace.toNanos();
        List<String> left = left();
        while (!left.isEmpty()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("server threads still running " + grace + " after close: " + left);
            }
            LockSupport.parkNanos(Duration.ofMillis(5).toNanos()); // poll interval
            left = left();
        }
    }

    private List<String> left() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && !before.contains(t) && isServerThread(t.getName()))
                .map(Thread::getName).sorted().toList();
    }

    /** Our own threads are named "httpfstream-..."; Netty names its event loop threads after the group class. */
    public static boolean isServerThread(String name) {
        return name.startsWith("httpfstream") || name.contains("EventLoopGroup");
    }
}
