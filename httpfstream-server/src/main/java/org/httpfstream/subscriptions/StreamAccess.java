package org.httpfstream.subscriptions;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * What subscriptions need of the streams: a stream's tail, the streams under a root, appending wake
 * events, and being told of every change. Paths are absolute stream paths ({@code /a/b}). Kept this small
 * so that the domain can be tested without a store ({@link DurableStreamAccess} is the server's).
 *
 * <p>Thread safety: implementations are safe from any thread.
 */
public interface StreamAccess {
    /** The committed length of the stream at {@code path}; 0 if there is none or it cannot be read. */
    long tail(String path);

    /**
     * The streams under {@code root} ({@code ""} for all), as paths relative to it separated by {@code /};
     * empty if there is no such folder. May read the disk: call it off any event loop.
     */
    List<String> streamsUnder(String root);

    /** Appends {@code json} (a JSON array of messages) to the JSON stream at {@code path}. */
    CompletableFuture<?> appendJson(String path, byte[] json);

    /**
     * Calls {@code listener} with the path of every stream that changes while {@code interested} says
     * true (asked first, so that a server without subscriptions pays nothing per append). Both run on the
     * writer's thread: they must return quickly and must not block.
     */
    void onChange(BooleanSupplier interested, Consumer<String> listener);

    /** Calls {@code listener} once when the streams are closed. */
    void onClose(Runnable listener);
}
