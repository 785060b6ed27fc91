package org.httpfstream.store;

/**
 * A stream of a store without files (memory, NATS): a handle by path on its store, which keeps every
 * state; two handles are equal if they name the same path of the same store.
 *
 * <p>Thread safety: immutable.
 *
 * @param <S> the store's class
 */
public abstract class NamedStream<S extends Storage> implements StoredStream {
    /** The store that keeps the stream's state. */
    protected final S storage;
    /** The stream's path, normalized. */
    protected final String name;

    /** The handle of the stream at {@code name} (normalized) in {@code storage}. */
    protected NamedStream(S storage, String name) {
        this.storage = storage;
        this.name = name;
    }

    @Override
    public final String name() {
        return name;
    }

    /** The path: one stream per path and store. */
    @Override
    public final Object key() {
        return name;
    }

    @Override
    public final boolean equals(Object o) {
        return o instanceof NamedStream<?> other && other.getClass() == getClass() && other.storage == storage
                && other.name.equals(name);
    }

    @Override
    public final int hashCode() {
        return name.hashCode();
    }

    /** The class's simple name and the path. */
    @Override
    public final String toString() {
        return getClass().getSimpleName() + "{" + name + "}";
    }
}
