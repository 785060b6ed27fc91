package org.httpfstream.subscriptions;

import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.httpfstream.json.Json;
import org.httpfstream.store.InvalidOffsetException;
import org.httpfstream.store.Offsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Durable Streams subscriptions: the registry of subscriptions and their wake cycle (see {@link
 * Subscription}). A subscription links streams (named, or matching its pattern) and, whenever one of them
 * holds bytes beyond the offset acknowledged, issues a wake: a signed webhook ({@link WebhookDelivery})
 * or wake events appended to a wake stream, which a worker claims, acknowledges and releases. Streams are
 * linked at their tails when a subscription is created and from their start when a matching stream
 * changes later (so that change is pending). State is kept by a {@link SubscriptionStore}: a restart keeps
 * every subscription, fences every wake issued before it (the generation only grows) and wakes again
 * whatever is still pending; a wake in flight is not kept.
 *
 * <p>Every operation returns at once with a future, completed on the subscriptions thread once the change
 * it made is saved; it fails with IllegalArgumentException or ClassCastException for a request that
 * breaks a rule, {@link NoSuchSubscriptionException}, {@link SubscriptionConflictException}, {@link
 * AlreadyClaimedException}, {@link FencedException} or {@link RefusedTargetException} (a webhook URL not
 * allowed, counted through {@code onRefused}).
 *
 * <p>Thread safety: safe from any thread. All state is confined to the {@link Scheduler}'s one thread,
 * where every operation, stream change, lease and webhook answer is handled in turn; no lock is held and
 * no file written there (the store writes on its own thread). {@code registry} is written on that
 * thread only and may be read from any.
 */
public final class Subscriptions implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Subscriptions.class);
    /** The reserved path segment of the control APIs: {@code {stream-root}/__ds/}. */
    public static final String PREFIX = "__ds";

    private final StreamAccess streams;
    private final SubscriptionStore store;
    private final SigningKeys keys;
    private final Scheduler scheduler;
    private final Clock clock;
    private final Random random;
    private final WebhookTargets targets;
    private final Runnable onRefused;
    private final Runnable onClose;
    private final Wakes wakes;
    /** By {@link SubscriptionConfig#key()}. */
    private final ConcurrentHashMap<String, Subscription> registry = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** The answer to a create: whether it made the subscription, and the subscription as it is. */
    public record Created(boolean created, Map<String, Object> description) {}

    /** What a subscriptions domain is made of; {@link #open} builds the server's. */
    record Parts(StreamAccess streams, SubscriptionStore store, SigningKeys keys, WebhookDelivery.Poster poster,
            Scheduler scheduler, Clock clock, Random random, WebhookTargets targets, Runnable onRefused,
            Runnable onClose) {}

    Subscriptions(Parts parts) {
        this.streams = parts.streams();
        this.store = parts.store();
        this.keys = parts.keys();
        this.scheduler = parts.scheduler();
        this.clock = parts.clock();
        this.random = parts.random();
        this.targets = parts.targets();
        this.onRefused = parts.onRefused();
        this.onClose = parts.onClose();
        this.wakes = new Wakes(streams, store, scheduler, clock, random,
                answered -> new WebhookDelivery(parts.poster(), keys, scheduler, clock, random::nextDouble, onRefused,
                        answered));
        for (Subscription sub : store.load()) {
            registry.put(sub.config.key(), sub);
        }
        streams.onChange(() -> !registry.isEmpty(), this::changed);
        streams.onClose(this::close);
        for (Subscription sub : registry.values()) {
            scheduler.execute(() -> wakes.maybeWake(sub)); // work left pending before the restart
        }
    }

    /**
     * The server's subscriptions over {@code streams}, kept under the store's metadata folder ({@code
     * subscriptions/} and {@code signing-key}) and forced to disk if the store forces its own writes.
     */
    public static Subscriptions open(org.httpfstream.durable.DurableStreams streams, WebhookTargets targets,
            Runnable onRefused) {
        java.nio.file.Path meta = streams.store().root().resolve(org.httpfstream.store.MetadataStore.FOLDER);
        return open(new DurableStreamAccess(streams), meta.resolve("subscriptions"), meta.resolve("signing-key"),
                streams.store().fsync(), targets, onRefused);
    }

    /**
     * The server's subscriptions over {@code streams}, kept in {@code folder} ({@code null}: in memory)
     * with the signing key {@code keyFile}; webhooks go where {@code targets} allows, and every refusal
     * runs {@code onRefused}. Closed with the streams.
     */
    public static Subscriptions open(StreamAccess streams, java.nio.file.Path folder, java.nio.file.Path keyFile,
            boolean fsync, WebhookTargets targets, Runnable onRefused) {
        WebhookSender sender = new WebhookSender(targets, java.time.Duration.ofSeconds(10),
                java.time.Duration.ofSeconds(30));
        return new Subscriptions(new Parts(streams,
                folder == null ? SubscriptionStore.memory() : SubscriptionStore.files(folder, fsync),
                keyFile == null ? SigningKeys.memory() : SigningKeys.file(keyFile), sender::post,
                Scheduler.singleThread("httpfstream-subscriptions"), Clock.systemUTC(),
                new java.security.SecureRandom(), targets, onRefused, sender::close));
    }

    /** True if the subscription {@code id} exists under {@code root} (as of now, from any thread). */
    public boolean exists(String root, String id) {
        return registry.containsKey(root + "\0" + id);
    }

    /** The public signing key as a JWK set. */
    public CompletableFuture<Map<String, Object>> jwks() {
        return call(() -> done(keys.jwks()));
    }

    /**
     * Creates subscription {@code id} under {@code root} from the JSON {@code body}; {@code baseUrl} is the
     * scheme and host its URLs start with. Creating it again with the same configuration answers the
     * existing one; with another, {@link SubscriptionConflictException}.
     */
    public CompletableFuture<Created> create(String root, String id, String body, String baseUrl) {
        return call(() -> {
            SubscriptionConfig c;
            try {
                c = SubscriptionConfig.parse(root, id, (Map<?, ?>) Json.parse(body), baseUrl, clock.instant(),
                        targets);
            } catch (RefusedTargetException e) {
                onRefused.run();
                throw e;
            }
            Subscription existing = registry.get(c.key());
            if (existing != null) {
                if (!existing.config.config().equals(c.config())) {
                    throw new SubscriptionConflictException(id);
                }
                return done(new Created(false, describe(existing)));
            }
            Subscription sub = new Subscription(c);
            registry.put(c.key(), sub);
            for (String p : c.explicit()) {
                sub.links.computeIfAbsent(p, x -> new Subscription.Link(wakes.tail(sub, x))).explicit = true;
            }
            if (c.pattern() != null) {
                backfill(sub);
            }
            Created created = new Created(true, describe(sub));
            return store.save(sub).thenApply(v -> created);
        });
    }

    /** The subscription as a JSON object. */
    public CompletableFuture<Map<String, Object>> describe(String root, String id) {
        return call(() -> done(describe(find(root, id))));
    }

    /** Deletes the subscription; its wake in flight is fenced. */
    public CompletableFuture<Void> delete(String root, String id) {
        return call(() -> {
            Subscription sub = find(root, id);
            registry.remove(sub.config.key(), sub);
            sub.deleted = true;
            sub.clearWake();
            return store.remove(sub);
        });
    }

    /** Links the streams of {@code body}'s {@code streams} list explicitly (at their tails if new). */
    public CompletableFuture<Void> addStreams(String root, String id, String body) {
        return call(() -> {
            Subscription sub = find(root, id);
            Map<?, ?> m = (Map<?, ?>) Json.parse(body);
            for (String p : SubscriptionConfig.paths((List<?>) m.get("streams"))) {
                sub.explicit.add(p);
                sub.links.computeIfAbsent(p, x -> new Subscription.Link(wakes.tail(sub, x))).explicit = true;
            }
            return store.save(sub);
        });
    }

    /** Unlinks the explicit stream {@code path}; it stays linked if the pattern matches it. */
    public CompletableFuture<Void> removeStream(String root, String id, String path) {
        return call(() -> {
            Subscription sub = find(root, id);
            sub.removeExplicit(path);
            return store.save(sub);
        });
    }

    /**
     * A worker ({@code body}'s {@code worker}) claims the current wake, issuing one if none is in flight:
     * the answer holds its wake id, generation, token, the linked streams and the lease.
     */
    public CompletableFuture<Map<String, Object>> claim(String root, String id, String body) {
        return call(() -> {
            Subscription sub = find(root, id);
            Map<?, ?> m = body.isBlank() ? Map.of() : (Map<?, ?>) Json.parse(body);
            String worker = m.get("worker") == null ? "worker" : String.valueOf(m.get("worker"));
            if (sub.holder != null) {
                throw new AlreadyClaimedException(sub.holder, sub.generation);
            }
            CompletableFuture<Void> saved = sub.wakeInFlight ? done(null) : wakes.newWake(sub);
            sub.holder = worker;
            sub.token = wakes.token();
            List<Map<String, Object>> snapshot = wakes.snapshot(sub);
            wakes.extendLease(sub);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("wake_id", sub.wakeId);
            r.put("generation", sub.generation);
            r.put("token", sub.token);
            r.put("streams", snapshot);
            r.put("lease_ttl_ms", sub.config.leaseMs());
            return saved.thenApply(v -> r);
        });
    }

    /**
     * Acknowledges offsets of the current wake ({@code body}'s {@code acks}) and, with {@code "done":true},
     * ends it; otherwise the lease is extended. The answer says whether another wake follows.
     */
    public CompletableFuture<Map<String, Object>> ack(String root, String id, String authorization, String body) {
        return call(() -> {
            Subscription sub = find(root, id);
            Map<?, ?> m = (Map<?, ?>) Json.parse(body);
            if (!sub.current(bearer(authorization), m.get("wake_id"), m.get("generation"))) {
                throw new FencedException();
            }
            CompletableFuture<Void> saved = done(null);
            if (m.get("acks") != null) {
                for (Object o : (List<?>) m.get("acks")) {
                    Map<?, ?> a = (Map<?, ?>) o;
                    acknowledge(sub, SubscriptionConfig.normalize((String) a.get("stream")), (String) a.get("offset"));
                }
                saved = store.save(sub);
            }
            boolean finished = Boolean.TRUE.equals(m.get("done"));
            if (finished) {
                sub.clearWake();
            } else {
                wakes.extendLease(sub);
            }
            boolean next = wakes.pending(sub);
            if (finished && next) {
                scheduler.execute(() -> wakes.maybeWake(sub));
            }
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("ok", true);
            r.put("next_wake", next);
            return saved.thenApply(v -> r);
        });
    }

    /** Gives the current wake up without acknowledging it: a new wake follows if work is pending. */
    public CompletableFuture<Void> release(String root, String id, String authorization, String body) {
        return call(() -> {
            Subscription sub = find(root, id);
            Map<?, ?> m = (Map<?, ?>) Json.parse(body);
            if (!sub.current(bearer(authorization), m.get("wake_id"), m.get("generation"))) {
                throw new FencedException();
            }
            sub.clearWake();
            scheduler.execute(() -> wakes.maybeWake(sub));
            return done(null);
        });
    }

    /** Stops waking: drops the registry and the scheduled work, then writes what is left to save. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        registry.clear();
        scheduler.shutdown();
        onClose.run();
        store.close();
    }

    /** An operation run on the subscriptions thread. */
    private interface Operation<T> {
        CompletableFuture<T> run() throws Exception;
    }

    private <T> CompletableFuture<T> call(Operation<T> op) {
        CompletableFuture<T> result = new CompletableFuture<>();
        if (closed) {
            result.completeExceptionally(new IllegalStateException("subscriptions are closed"));
            return result;
        }
        scheduler.execute(() -> {
            try {
                op.run().whenComplete((v, e) -> {
                    if (e != null) {
                        result.completeExceptionally(e);
                    } else {
                        result.complete(v);
                    }
                });
            } catch (Exception | Error e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    private static <T> CompletableFuture<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }

    private Subscription find(String root, String id) {
        Subscription sub = registry.get(root + "\0" + id);
        if (sub == null) {
            throw new NoSuchSubscriptionException(id);
        }
        return sub;
    }

    private static String bearer(String authorization) {
        return authorization != null && authorization.startsWith("Bearer ")
                ? authorization.substring("Bearer ".length()).trim() : null;
    }

    private void acknowledge(Subscription sub, String path, String offset) {
        if (!sub.links.containsKey(path) || offset == null) {
            return;
        }
        try {
            sub.acknowledge(path, Offsets.parse(offset, Long.MAX_VALUE));
        } catch (InvalidOffsetException e) {
            throw new IllegalArgumentException("bad offset " + offset);
        }
    }

    /** A stream changed (on the writer's thread): link it if it matches, and wake whom it concerns. */
    private void changed(String path) {
        scheduler.execute(() -> {
            for (Subscription sub : registry.values()) {
                String root = sub.config.root();
                if (!path.startsWith(root + "/")) {
                    continue;
                }
                String p = path.substring(root.length() + 1);
                Subscription.Link l = sub.links.get(p);
                if (l == null && sub.config.pattern() != null && Globs.matches(sub.config.pattern(), p)) {
                    l = new Subscription.Link(0); // discovered by this change: everything in it is pending
                    l.glob = true;
                    sub.links.put(p, l);
                    store.save(sub);
                }
                if (l != null) {
                    wakes.maybeWake(sub);
                }
            }
        });
    }

    /** Links the existing streams that match the pattern, at their tails. */
    private void backfill(Subscription sub) {
        List<String> paths;
        try {
            paths = streams.streamsUnder(sub.config.root());
        } catch (UncheckedIOException e) {
            LOG.warn("subscription {}: listing streams under {} failed: {}", sub.config.id(), sub.config.root(),
                    e.getMessage());
            return;
        }
        for (String p : paths) {
            if (Globs.matches(sub.config.pattern(), p) && !p.startsWith(PREFIX + "/")) {
                sub.links.computeIfAbsent(p, x -> new Subscription.Link(wakes.tail(sub, x))).glob = true;
            }
        }
    }

    private Map<String, Object> describe(Subscription sub) {
        SubscriptionConfig c = sub.config;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("id", c.id());
        r.put("subscription_id", c.id());
        r.put("type", c.type());
        r.put("pattern", c.pattern());
        List<Map<String, Object>> links = new ArrayList<>();
        sub.links.forEach((p, l) -> {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("path", p);
            s.put("link_type", l.explicit ? "explicit" : "glob");
            s.put("acked_offset", Offsets.format(l.acked));
            links.add(s);
        });
        r.put("streams", links);
        r.put("webhook", c.webhookUrl() == null ? null : webhook(c));
        r.put("wake_stream", c.wakeStream());
        r.put("lease_ttl_ms", c.leaseMs());
        r.put("created_at", c.createdAt());
        r.put("status", sub.failed ? "failed" : "active");
        r.put("description", c.description());
        return r;
    }

    private Map<String, Object> webhook(SubscriptionConfig c) {
        Map<String, Object> signing = new LinkedHashMap<>();
        signing.put("alg", "ed25519");
        signing.put("kid", keys.kid());
        signing.put("jwks_url", c.url("jwks.json"));
        Map<String, Object> webhook = new LinkedHashMap<>();
        webhook.put("url", c.webhookUrl());
        webhook.put("signing", signing);
        return webhook;
    }
}
