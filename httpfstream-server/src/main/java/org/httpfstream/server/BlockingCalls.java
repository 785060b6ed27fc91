package org.httpfstream.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.httpfstream.server.connection.PipeliningHandler;
import org.httpfstream.store.Storage;

/**
 * Keeps an event loop from waiting on a store whose calls are network round trips ({@link
 * Storage#blockingExecutor()}: the NATS store, where a lease, a metadata read or an existence check asks
 * the cluster). The transport gives each request's store work here as a <em>call</em> (the domain
 * operations, which may block) and an <em>answer</em> (what is written to the channel): with a store
 * that does not block (file, memory) both run at once on the caller's thread, the event loop, exactly
 * as if written inline; with one that blocks, the call runs on the store's executor and the answer on
 * the channel's event loop afterwards, while the connection's later requests are held back ({@link
 * PipeliningHandler}) and the request is retained.
 *
 * <p>Thread safety: immutable; {@link #answer} is called on the channel's event loop.
 */
public final class BlockingCalls {
    /** Where calls run; null: at once, on the caller's thread. */
    private final Executor executor;

    private BlockingCalls(Executor executor) {
        this.executor = executor;
    }

    /** The calls of {@code storage}: offloaded if it says its calls block. */
    public static BlockingCalls of(Storage storage) {
        Optional<Executor> e = storage.blockingExecutor();
        return new BlockingCalls(e.orElse(null));
    }

    /** True if calls run at once on the caller's thread (the store does not block). */
    public boolean inline() {
        return executor == null;
    }

    /** Store work that may block. */
    @FunctionalInterface
    public interface Call<T> {
        T call() throws IOException;
    }

    /** What is written once the call returned; runs on the channel's event loop. */
    @FunctionalInterface
    public interface Answer<T> {
        void accept(T result) throws IOException;
    }

    /**
     * Runs {@code call}, then {@code answer} with its result on {@code ctx}'s event loop; an {@link
     * IOException} of either goes to {@code failure} (on the event loop too), anything else to the
     * pipeline's exception handler. {@code request} (may be null) is retained until the answer ran.
     * Call on the channel's event loop.
     */
    public <T> void answer(ChannelHandlerContext ctx, Object request, Call<T> call, Answer<T> answer,
            Consumer<IOException> failure) {
        if (executor == null) {
            try {
                answer.accept(call.call());
            } catch (IOException e) {
                failure.accept(e);
            }
            return;
        }
        PipeliningHandler.hold(ctx);
        ReferenceCountUtil.retain(request);
        try {
            executor.execute(() -> {
                T result = null;
                Throwable thrown = null;
                try {
                    result = call.call();
                } catch (IOException | RuntimeException e) {
                    thrown = e;
                }
                T r = result;
                Throwable t = thrown;
                ctx.executor().execute(() -> PipeliningHandler.answerHeld(ctx, () -> {
                    try {
                        if (t == null) {
                            answer.accept(r);
                        } else if (t instanceof IOException io) {
                            failure.accept(io);
                        } else {
                            ctx.fireExceptionCaught(t);
                        }
                    } catch (IOException e) {
                        failure.accept(e);
                    } catch (RuntimeException e) {
                        ctx.fireExceptionCaught(e);
                    } finally {
                        ReferenceCountUtil.release(request);
                    }
                }));
            });
        } catch (RejectedExecutionException e) {
            ReferenceCountUtil.release(request);
            PipeliningHandler.answerHeld(ctx, () -> failure.accept(new IOException("server shutting down", e)));
        }
    }

    /**
     * {@code call}'s future: with a store that does not block, the call made at once (it throws as
     * it would inline); else made on the store's executor, its failure the future's.
     */
    public <T> CompletableFuture<T> future(Call<CompletableFuture<T>> call) throws IOException {
        if (executor == null) {
            return call.call();
        }
        CompletableFuture<CompletableFuture<T>> started = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    started.complete(Objects.requireNonNull(call.call(), "future"));
                } catch (IOException | RuntimeException e) {
                    started.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            throw new IOException("server shutting down", e);
        }
        return started.thenCompose(f -> f);
    }

    /**
     * Runs {@code call} off the event loop (at once with a store that does not block), then {@code then}
     * on {@code ctx}'s event loop, without holding the connection's requests: for a check made while an
     * answer is already pending (a long-poll's). A failure of the call is given to {@code then} as its
     * second argument.
     */
    public <T> void check(ChannelHandlerContext ctx, Call<T> call, CheckResult<T> then) {
        if (executor == null) {
            T r;
            try {
                r = call.call();
            } catch (IOException e) {
                then.accept(null, e);
                return;
            }
            then.accept(r, null);
            return;
        }
        try {
            executor.execute(() -> {
                T r = null;
                IOException failed = null;
                try {
                    r = call.call();
                } catch (IOException e) {
                    failed = e;
                } catch (RuntimeException e) {
                    failed = new IOException(e.toString(), e);
                }
                T result = r;
                IOException f = failed;
                ctx.executor().execute(() -> then.accept(result, f));
            });
        } catch (RejectedExecutionException e) {
            then.accept(null, new IOException("server shutting down", e));
        }
    }

    /** The outcome of a {@link #check}: its result, or its failure (then the result is null). */
    @FunctionalInterface
    public interface CheckResult<T> {
        void accept(T result, IOException failure);
    }
}
