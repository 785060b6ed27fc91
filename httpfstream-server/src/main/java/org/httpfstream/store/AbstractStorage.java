package org.httpfstream.store;

import java.io.IOException;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What the stores without files (memory, NATS) keep alike: their limits, the lease guard, and who they
 * tell of a change or a refused append ({@link StoreListeners}, keyed by path).
 *
 * <p>Thread safety: safe for use from any number of threads: the limits are immutable, the guard is a
 * volatile field, the listeners are thread-safe.
 */
public abstract class AbstractStorage implements Storage {
    private final StoreLimits limits;
    private final StoreListeners<String> listeners = new StoreListeners<>();
    /** The guard of every new append session; replaced whole. */
    private volatile LeaseGuard guard = s -> { };

    /** A store whose appends obey {@code limits}. */
    protected AbstractStorage(StoreLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    @Override
    public final StoreLimits limits() {
        return limits;
    }

    @Override
    public final void leaseGuard(LeaseGuard guard) {
        this.guard = Objects.requireNonNull(guard, "guard");
    }

    /** The guard last set with {@link #leaseGuard}; one that allows everything until then. */
    public final LeaseGuard guard() {
        return guard;
    }

    @Override
    public final void addChangeListener(Consumer<String> listener) {
        listeners.addChangeListener(listener);
    }

    @Override
    public final void addRefusalListener(Consumer<IOException> listener) {
        listeners.addRefusalListener(listener);
    }

    /** The watchers of each path, the change and the refusal listeners. */
    public final StoreListeners<String> listeners() {
        return listeners;
    }
}
