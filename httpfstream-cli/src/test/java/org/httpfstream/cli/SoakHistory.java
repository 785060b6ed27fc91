package org.httpfstream.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * What the fault tests saw: every append operation with its outcome and its times, every byte each follower
 * received, and the faults, in one place for {@link SoakChecker} and for the excerpt printed when a check
 * fails.
 *
 * <p>An operation is one append session of the original WebSocket protocol carrying one to three lines;
 * each line names its stream, writer, operation and index ({@code s1 w0 o000042 l2 xxx\n}) so that the
 * checker can tell which operation every byte of a stream came from.
 *
 * <p>Thread safety: thread safe. Writers, followers and the fault thread record concurrently (lock-free
 * queues; a {@link Follower}'s bytes are guarded by the follower).
 */
final class SoakHistory {

    /** What became of an append operation. */
    enum Outcome {
        /** The server confirmed the append (the client's close returned): every line must be there. */
        OK,
        /** Refused before a byte was sent (writer conflict, connection refused): no line may be there. */
        FAILED,
        /** The connection died after bytes were sent: a prefix of the lines, possibly empty, may be there. */
        INDETERMINATE
    }

    /**
     * One append operation.
     *
     * @param invoked {@link System#nanoTime()} before the append was opened
     * @param completed {@link System#nanoTime()} when its outcome was known
     * @param node the front node it went through
     */
    record Op(int stream, int writer, long op, List<String> lines, long invoked, long completed, Outcome outcome,
            String node, String error) {
        String key() {
            return "w" + writer + " o" + String.format("%06d", op);
        }
    }

    /** One line of an operation. */
    static String line(int stream, int writer, long op, int index, int pad) {
        return String.format("s%d w%d o%06d l%d %s%n", stream, writer, op, index, "x".repeat(pad));
    }

    /** A follower's received bytes (in order, across reconnects) and what happened to it. */
    static final class Follower {
        final String name;
        final int stream;
        /** Guarded by this. */
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();

        Follower(String name, int stream) {
            this.name = name;
            this.stream = stream;
        }

        synchronized void received(byte[] b, int off, int len) {
            bytes.write(b, off, len);
        }

        synchronized long position() {
            return bytes.size();
        }

        synchronized byte[] bytes() {
            return bytes.toByteArray();
        }

        void event(String what) {
            events.add(stamp() + " " + what);
        }
    }

    private static final long START = System.nanoTime();

    final ConcurrentLinkedQueue<Op> ops = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Follower> followers = new ConcurrentLinkedQueue<>();
    /** Faults and other notable events, stamped with the time since the start. */
    final ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
    /** Operations acknowledged so far. Guarded by this. */
    private long acknowledged;

    static String stamp() {
        return String.format("%9.3fs", (System.nanoTime() - START) / 1e9);
    }

    static double seconds(long nanos) {
        return (nanos - START) / 1e9;
    }

    void event(String what) {
        events.add(stamp() + " " + what);
    }

    /** Records an operation's outcome and wakes up {@link #awaitOk} waiters. */
    void record(Op op) {
        ops.add(op);
        if (op.outcome() == Outcome.OK) {
            synchronized (this) {
                acknowledged++;
                notifyAll();
            }
        }
    }

    /** Waits until {@code n} operations have been acknowledged in all, failing after {@code timeout}. */
    synchronized void awaitOk(long n, java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (acknowledged < n) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError(acknowledged + " operations acknowledged, not " + n + " within " + timeout
                        + "\n" + excerpt());
            }
            java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    synchronized long acknowledged() {
        return acknowledged;
    }

    Follower follower(String name, int stream) {
        Follower f = new Follower(name, stream);
        followers.add(f);
        return f;
    }

    List<Op> ops(int stream) {
        List<Op> r = new ArrayList<>();
        for (Op o : ops) {
            if (o.stream() == stream) {
                r.add(o);
            }
        }
        return r;
    }

    long count(Outcome outcome) {
        return ops.stream().filter(o -> o.outcome() == outcome).count();
    }

    /** A summary line: operations by outcome, lines acknowledged. */
    String summary() {
        long lines = ops.stream().filter(o -> o.outcome() == Outcome.OK).mapToLong(o -> o.lines().size()).sum();
        long[] acks = ops.stream().filter(o -> o.outcome() == Outcome.OK).mapToLong(Op::completed).sorted().toArray();
        long gap = 0;
        long gapEnd = 0;
        for (int i = 1; i < acks.length; i++) {
            if (acks[i] - acks[i - 1] > gap) {
                gap = acks[i] - acks[i - 1];
                gapEnd = acks[i];
            }
        }
        return "ops ok=" + count(Outcome.OK) + " failed=" + count(Outcome.FAILED) + " indeterminate="
                + count(Outcome.INDETERMINATE) + ", acknowledged lines=" + lines + ", followers=" + followers.size()
                + String.format(", longest time without an acknowledgement %.1f s (until %.3fs)", gap / 1e9,
                        seconds(gapEnd));
    }

    /** The events, the indeterminate operations and the followers' events, for a failure message. */
    String excerpt() {
        StringBuilder b = new StringBuilder(summary()).append("\nfaults and events:\n");
        events.forEach(e -> b.append("  ").append(e).append('\n'));
        b.append("indeterminate operations:\n");
        ops.stream().filter(o -> o.outcome() == Outcome.INDETERMINATE).forEach(o -> b.append(String.format(
                "  s%d %s via %s invoked %.3fs completed %.3fs: %s%n", o.stream(), o.key(), o.node(),
                seconds(o.invoked()), seconds(o.completed()), o.error())));
        for (Follower f : followers) {
            b.append("follower ").append(f.name).append(" (").append(f.position()).append(" bytes):\n");
            f.events.stream().skip(Math.max(0, f.events.size() - 15))
                    .forEach(e -> b.append("  ").append(e).append('\n'));
        }
        return b.toString();
    }

    static String text(byte[] b) {
        return new String(b, UTF_8);
    }
}
