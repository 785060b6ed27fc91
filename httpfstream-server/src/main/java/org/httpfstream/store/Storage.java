package org.httpfstream.store;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The storage seam: what the protocols need of a place that keeps streams. A stream is named by its
 * request path ({@code /logs/build.log}); {@link #stream} gives a handle on it, whether or not it
 * exists yet, and every operation on one stream goes through that handle ({@link StoredStream}).
 *
 * <p>Two implementations: {@link FileStorage}, the plain files under a root folder (group commit,
 * tail marks and fsync as {@link StreamStore} does them), and {@link
 * org.httpfstream.store.memory.MemoryStorage}, for tests and throwaway servers. The contract they share
 * is written down on each method and checked by one test suite run against both.
 *
 * <p>Asynchronous durability: an append's offset and a metadata change become <em>committed</em>
 * (visible to readers, and with durable writes on stable storage) when the futures the seam hands out
 * complete; a store that replicates its writes completes them when the acknowledgement arrives, on a
 * thread of its own. Callers must not block on those threads.
 *
 * <p>Thread safety: implementations are safe for use from any number of threads.
 */
public interface Storage extends Closeable {

    /**
     * A handle on the stream at {@code path}, existing or not. Cheap for a stream used recently.
     *
     * @throws InvalidStreamPathException if the path can never name a stream here
     * @throws OutsideRootException if the path leads outside the store
     */
    StoredStream stream(String path) throws IOException;

    /**
     * The paths of the streams whose path starts with {@code prefix} (every stream for {@code "/"}), in
     * no particular order.
     */
    List<String> list(String prefix) throws IOException;

    /** The limits appends obey. */
    StoreLimits limits();

    /**
     * True if a change counts as committed only once it is on stable storage (or acknowledged by
     * replicas): the futures of {@link StoredStream#durable} and {@link #barrier} then complete later
     * and on the store's own threads; false if they are complete at once.
     */
    boolean durableWrites();

    /**
     * A future that completes once every metadata change made before this call is committed
     * (exceptionally if that failed).
     */
    CompletableFuture<Void> barrier();

    /**
     * Sets the check every new long-held lease (an original-protocol append session) must pass once it
     * holds the lease; throwing refuses the session. The Durable Streams rules refuse closed streams
     * with it.
     */
    void leaseGuard(LeaseGuard guard);

    /**
     * Calls {@code listener} with the path of every stream that changes (committed bytes, a closure,
     * a deletion), on the writer's or the store's thread: it must return quickly and must not block.
     */
    void addChangeListener(java.util.function.Consumer<String> listener);

    /**
     * Calls {@code listener} with every append the store refuses for want of room ({@link
     * StreamTooLargeException}, {@link InsufficientStorageException}), on the writer's thread: it must
     * return quickly. For the server's refusal counts.
     */
    void addRefusalListener(java.util.function.Consumer<IOException> listener);

    /**
     * Like {@link #addChangeListener(java.util.function.Consumer)}, but {@code interested} is asked
     * first on every change and the listener called only if it says true: a store that must compute a
     * stream's path costs nothing per change while nobody is interested (no subscriptions).
     */
    default void addChangeListener(java.util.function.BooleanSupplier interested,
            java.util.function.Consumer<String> listener) {
        java.util.Objects.requireNonNull(interested, "interested");
        java.util.Objects.requireNonNull(listener, "listener");
        addChangeListener(path -> {
            if (interested.getAsBoolean()) {
                listener.accept(path);
            }
        });
    }

    /**
     * Where the transport runs calls on this storage's streams, if they may wait on the network: empty
     * (the default) if every call returns quickly enough to make on an event loop (the file and memory
     * stores: local I/O), so that those stores pay no thread hop; a replicated store whose leases,
     * metadata reads and existence checks are round trips to its cluster gives an executor of its own,
     * and the protocols answer on the event loop once the call returned.
     */
    default java.util.Optional<java.util.concurrent.Executor> blockingExecutor() {
        return java.util.Optional.empty();
    }

    /**
     * True if other servers change these streams too (the front nodes of a cluster): what this server
     * knows of a stream without I/O ({@link StoredStream#knownCommittedLength()}) may then be behind a
     * change made elsewhere (a deletion, a new generation), and an answer that must agree with every
     * other server asks the store. False (the default) for a store only this server writes.
     */
    default boolean shared() {
        return false;
    }

    /** Checks a stream whose lease an append session is about to take. */
    @FunctionalInterface
    interface LeaseGuard {
        /** Throws to refuse the lease. */
        void check(StoredStream stream) throws IOException;
    }

    /** Releases what the store holds; closing twice is safe. */
    @Override
    void close();
}
