package org.httpfstream.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Objects;
import java.util.Optional;

/**
 * A stream of a store without files (memory, NATS): a handle by path on its store, which keeps every
 * state; two handles are equal if they name the same path of the same store. Its watchers are the
 * store's {@link AbstractStorage#listeners()}, by path.
 *
 * <p>Thread safety: immutable.
 *
 * @param <S> the store's class
 */
public abstract class NamedStream<S extends AbstractStorage> implements StoredStream {
    protected final S storage;
    protected final String name;

    /**
     * @param storage the store that keeps the stream's state
     * @param name the stream's path, normalized
     */
    protected NamedStream(S storage, String name) {
        this.storage = Objects.requireNonNull(storage, "storage");
        this.name = Objects.requireNonNull(name, "name");
    }

    @Override
    public final String name() {
        return name;
    }

    /**
     * The reader of the stream's committed bytes as this process (or front node) holds them, found
     * asking no more than needed.
     *
     * @throws java.nio.file.NoSuchFileException if there is no such stream
     */
    protected abstract Follower.Reader localBytes() throws IOException;

    @Override
    public final int read(long position, ByteBuffer dst) throws IOException {
        return localBytes().read(position, dst);
    }

    /** Empty: no file; read with {@link #read}. */
    @Override
    public final Optional<FileChannel> openChannel() throws IOException {
        localBytes();
        return Optional.empty();
    }

    @Override
    public final void watch(StreamListener listener) {
        storage.listeners().watch(name, listener);
    }

    @Override
    public final void unwatch(StreamListener listener) {
        storage.listeners().unwatch(name, listener);
    }

    /** Tells the stream's watchers, then the store's change listeners. */
    @Override
    public final void changed() {
        storage.listeners().changed(name);
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
