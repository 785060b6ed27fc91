package org.httpfstream.store;

import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * What the stores without files (memory, NATS) keep alike: their limits, whether their writes become
 * durable later, the lease guard, whether they are closed, and who they tell of a change or a refused
 * append ({@link StoreListeners}, keyed by path). Both commit a metadata change when it returns, so
 * their {@link #barrier()} is complete.
 *
 * <p>Thread safety: safe for use from any number of threads: the limits and the durability are
 * immutable, the guard is a volatile field, the closed flag atomic, the listeners thread-safe.
 */
public abstract class AbstractStorage implements Storage {
    private final StoreLimits limits;
    private final boolean durableWrites;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final StoreListeners<String> listeners = new StoreListeners<>();
    /** The guard of every new append session; replaced whole. */
    private volatile LeaseGuard guard = s -> { };

    /**
     * A store whose appends obey {@code limits}; {@code durableWrites}: an append is committed later, on
     * another thread (see {@link #durableWrites()}).
     */
    protected AbstractStorage(StoreLimits limits, boolean durableWrites) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.durableWrites = durableWrites;
    }

    @Override
    public final StoreLimits limits() {
        return limits;
    }

    @Override
    public final boolean durableWrites() {
        return durableWrites;
    }

    /** Complete: a metadata change is committed when it returns. */
    @Override
    public CompletableFuture<Void> barrier() {
        return CompletableFuture.completedFuture(null);
    }

    /** True once {@link #close()} began. */
    public final boolean closed() {
        return closed.get();
    }

    /** Marks the store closed; true the first time only, for the one close that does the work. */
    protected final boolean markClosed() {
        return closed.compareAndSet(false, true);
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
