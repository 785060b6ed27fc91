package org.httpfstream.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.httpfstream.json.Json;

/**
 * A {@link Subscriptions} on fakes for tests: streams in memory ({@link FakeStreams}), virtual time
 * ({@link ManualScheduler}), webhooks recorded in {@link #posts} and answered by the test.
 *
 * <p>Thread safety: for one test thread.
 */
final class Fixture {
    /** A webhook post: where it went, its headers and body, and the answer the test completes. */
    record Post(URI url, Map<String, String> headers, String body, CompletableFuture<WebhookSender.Response> answer) {
        Map<?, ?> json() {
            return (Map<?, ?>) Json.parse(body);
        }
    }

    final ManualScheduler scheduler = new ManualScheduler();
    final FakeStreams streams = new FakeStreams();
    final List<Post> posts = new ArrayList<>();
    final AtomicInteger refusals = new AtomicInteger();
    final AtomicInteger senderCloses = new AtomicInteger();
    final SigningKeys keys = SigningKeys.memory();
    WebhookTargets targets = WebhookTargets.publicOnly();
    Subscriptions subscriptions;

    Subscriptions start() {
        return start(SubscriptionStore.memory());
    }

    Subscriptions start(SubscriptionStore store) {
        subscriptions = new Subscriptions(new Subscriptions.Parts(streams, store, keys, (url, headers, body) -> {
            Post p = new Post(url, headers, new String(body, java.nio.charset.StandardCharsets.UTF_8),
                    new CompletableFuture<>());
            posts.add(p);
            return p.answer();
        }, scheduler, scheduler.clock(), new Random(7), targets, refusals::incrementAndGet,
                senderCloses::incrementAndGet));
        return subscriptions;
    }

    /** {@code path} grows by {@code n} bytes, then what is due runs (the wake cycle sees the growth). */
    void grow(String path, long n) {
        streams.grow(path, n);
        scheduler.runDue();
    }

    /** Runs what is due and returns the operation's result; fails if it failed or is not done. */
    <T> T ok(CompletableFuture<T> f) {
        settle(f::isDone);
        try {
            return f.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("operation failed", e);
        }
    }

    /**
     * Runs what is due until {@code done} holds (work may come back from the store's writer thread),
     * failing after 5 s.
     */
    void settle(java.util.function.BooleanSupplier done) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            scheduler.runDue();
            if (done.getAsBoolean()) {
                return;
            }
            assertThat(System.nanoTime()).as("settled within 5 s").isLessThan(deadline);
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }

    /** Runs what is due and returns why the operation failed. */
    Throwable failure(CompletableFuture<?> f) {
        settle(f::isDone);
        assertThat(f).isCompletedExceptionally();
        try {
            f.join();
            throw new AssertionError("not failed");
        } catch (CompletionException e) {
            return e.getCause();
        }
    }

    /** Creates subscription {@code id} at the root {@code ""} from {@code json} and returns its description. */
    Map<String, Object> create(String id, String json) {
        return ok(subscriptions.create("", id, json, "http://host:1")).description();
    }

    /** A pull-wake subscription {@code id} over {@code pattern}, waking on {@code /wake}. */
    Map<String, Object> pullWake(String id, String pattern) {
        return create(id, "{\"type\":\"pull-wake\",\"pattern\":\"" + pattern + "\",\"wake_stream\":\"/wake\"}");
    }

    /** The wake events appended so far, parsed, then forgets them. */
    List<Map<?, ?>> wakeEvents() {
        List<Map<?, ?>> events = new ArrayList<>();
        for (String a : streams.appended) {
            assertThat(a).startsWith("/wake [");
            for (Object o : (List<?>) Json.parse(a.substring("/wake ".length()))) {
                events.add((Map<?, ?>) o);
            }
        }
        streams.appended.clear();
        return events;
    }

    Map<String, Object> claim(String id) {
        return ok(subscriptions.claim("", id, "{\"worker\":\"w1\"}"));
    }

    static String ackBody(Map<String, Object> wake, String more) {
        return "{\"wake_id\":\"" + wake.get("wake_id") + "\",\"generation\":" + wake.get("generation") + more + "}";
    }

    static String bearer(Map<String, Object> wake) {
        return "Bearer " + wake.get("token");
    }
}
