package org.httpfstream.durable;

import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.httpfstream.store.StoredStream;
import org.httpfstream.store.StreamListener;

/**
 * A follower's end on a store whose calls block ({@link org.httpfstream.store.Storage#blockingExecutor()}):
 * a follower asks whether its stream ended on its own thread, an event loop, at every change; the
 * Durable Streams answer reads the stream's metadata and existence, round trips to the cluster. Here
 * that question is asked on the store's executor instead, once at the start and after changes (one
 * look at a time, again if the stream changed meanwhile), and the follower reads the last answer. Once
 * the stream has ended, its committed length is read from the store before the follower is told, so
 * that the follower's final length has every byte appended before the closure, on any server.
 *
 * <p>Thread safety: {@code over} is volatile, {@code pending} and {@code changes} atomic; a look runs on
 * the executor, at most one at a time.
 */
final class EndWatch implements StreamListener, BooleanSupplier {
    private final StoredStream stream;
    private final StreamListener listener;
    private final Executor executor;
    private final BooleanSupplier ended;
    private final AtomicBoolean pending = new AtomicBoolean();
    /** Changes told so far. */
    private final AtomicLong changes = new AtomicLong();
    private volatile boolean over;

    EndWatch(StoredStream stream, StreamListener listener, Executor executor, BooleanSupplier ended) {
        this.stream = stream;
        this.listener = listener;
        this.executor = executor;
        this.ended = ended;
    }

    /** The last answer: true once the stream has ended and the store's length is final here. */
    @Override
    public boolean getAsBoolean() {
        return over;
    }

    @Override
    public void onChange() {
        changes.incrementAndGet();
        listener.onChange();
        if (!over) {
            look();
        }
    }

    /** Asks {@code ended} on the executor unless a look is pending already. */
    void look() {
        if (!pending.compareAndSet(false, true)) {
            return;
        }
        try {
            executor.execute(this::run);
        } catch (RejectedExecutionException e) { // the store is closing: the follower ends with what it has
            over = true;
            listener.onChange();
        }
    }

    private void run() {
        long seen = changes.get();
        boolean end = ended.getAsBoolean();
        if (end) {
            try {
                stream.committedLength(); // the store's length now, every byte before the end included
            } catch (IOException e) {
                // deleted, or unreadable: the follower ends with what it has
            }
            over = true;
        }
        pending.set(false);
        if (end) {
            listener.onChange();
        } else if (changes.get() != seen) {
            look(); // changed while asking
        }
    }
}
