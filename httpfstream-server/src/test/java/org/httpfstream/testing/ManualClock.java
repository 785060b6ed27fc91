package org.httpfstream.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.function.Supplier;

/**
 * A clock the test moves by hand ({@link #advance}), in UTC, or one that shows the virtual time of
 * something else the test drives ({@link #showing}, e.g. a scheduler on virtual time). The JDK has fixed
 * and offset clocks but none a test can move, hence this one.
 *
 * <p>Thread safety: the instant is volatile and {@link #advance} synchronized, so the code under test
 * may read the clock from its own threads while the test moves it.
 */
public final class ManualClock extends Clock {
    /** Where a new manual clock starts unless told otherwise. */
    public static final Instant DEFAULT_START = Instant.parse("2026-01-01T00:00:00Z");

    private final Supplier<Instant> source; // null: the clock's own instant
    private volatile Instant now; // Guarded by this for writes

    /** A clock at {@link #DEFAULT_START}. */
    public ManualClock() {
        this(DEFAULT_START);
    }

    /** A clock at {@code start}. */
    public ManualClock(Instant start) {
        this.now = start;
        this.source = null;
    }

    private ManualClock(Supplier<Instant> source) {
        this.source = source;
    }

    /** A clock that shows what {@code source} says the time is; it cannot be moved itself. */
    public static ManualClock showing(Supplier<Instant> source) {
        return new ManualClock(source);
    }

    /** Moves the clock on by {@code d}. */
    public synchronized void advance(Duration d) {
        if (source != null) {
            throw new IllegalStateException("this clock shows another's time; move that one");
        }
        now = now.plus(d);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return source != null ? source.get() : now;
    }
}
