package org.httpfstream.subscriptions;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.httpfstream.json.Json;
import org.httpfstream.store.Offsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wake cycle of {@link Subscription}s: decides when a subscription has pending work (a linked
 * stream's tail beyond its acknowledged offset), issues wakes (a new generation, saved before anyone hears
 * of it), sends them (a webhook through {@link WebhookDelivery}, or wake events appended to the wake
 * stream), runs their leases and ends them when a webhook receiver answers {@code "done":true}.
 *
 * <p>Thread safety: not thread safe; confined to the subscriptions thread ({@link Scheduler}), like the
 * subscriptions it works on.
 */
final class Wakes {
    private static final Logger LOG = LoggerFactory.getLogger(Wakes.class);
    private final StreamAccess streams;
    private final SubscriptionStore store;
    private final Scheduler scheduler;
    private final Clock clock;
    private final Random random;
    private final WebhookDelivery delivery;

    /** {@code delivery} makes the webhook delivery that hands receivers' answers to the given callback. */
    Wakes(StreamAccess streams, SubscriptionStore store, Scheduler scheduler, Clock clock, Random random,
            java.util.function.Function<java.util.function.BiConsumer<Subscription, Object>, WebhookDelivery> delivery) {
        this.streams = streams;
        this.store = store;
        this.scheduler = scheduler;
        this.clock = clock;
        this.random = random;
        this.delivery = delivery.apply(this::webhookAnswered);
    }

    /** Issues a wake if the subscription is idle and has pending work, once its generation is saved. */
    void maybeWake(Subscription sub) {
        if (sub.deleted || sub.wakeInFlight || sub.holder != null || !pending(sub)) {
            return;
        }
        CompletableFuture<Void> saved = newWake(sub);
        long generation = sub.generation;
        List<Map<String, Object>> snapshot = snapshot(sub);
        if (sub.config.webhook()) {
            sub.token = token();
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("subscription_id", sub.config.id());
            b.put("wake_id", sub.wakeId);
            b.put("generation", sub.generation);
            b.put("streams", snapshot);
            b.put("callback_url", sub.config.url("subscriptions/" + sub.config.id() + "/callback"));
            b.put("callback_token", sub.token);
            String body = Json.write(b);
            extendLease(sub);
            saved.thenRun(() -> scheduler.execute(() -> {
                if (sub.awaits(generation)) {
                    delivery.deliver(sub, generation, body);
                }
            }));
        } else {
            List<String> events = wakeEvents(sub, snapshot);
            if (!events.isEmpty()) {
                saved.thenRun(() -> scheduler.execute(() -> appendWakeEvents(sub, events)));
            }
        }
    }

    /** One wake event per linked stream with pending work. */
    List<String> wakeEvents(Subscription sub, List<Map<String, Object>> snapshot) {
        List<String> events = new ArrayList<>();
        for (Map<String, Object> s : snapshot) {
            if (Boolean.TRUE.equals(s.get("has_pending"))) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("type", "wake");
                e.put("subscription_id", sub.config.id());
                e.put("stream", s.get("path"));
                e.put("generation", sub.generation);
                e.put("ts", clock.millis());
                events.add(Json.write(e));
            }
        }
        return events;
    }

    void appendWakeEvents(Subscription sub, List<String> events) {
        String wakeStream = sub.config.wakeStream();
        byte[] json = ("[" + String.join(",", events) + "]").getBytes(StandardCharsets.UTF_8);
        streams.appendJson(sub.config.root() + "/" + wakeStream, json).whenComplete((a, e) -> {
            if (e != null) {
                LOG.warn("subscription {}: writing a wake event to {} failed: {}", sub.config.id(), wakeStream,
                        e.getMessage());
            }
        });
    }

    /** A webhook receiver answered 2xx with {@code reply}: {@code "done":true} acknowledges the wake. */
    void webhookAnswered(Subscription sub, Object reply) {
        if (!(reply instanceof Map<?, ?> r && Boolean.TRUE.equals(r.get("done")))) {
            return;
        }
        sub.snapshot.forEach(sub::acknowledge);
        store.save(sub);
        sub.clearWake();
        if (pending(sub)) {
            maybeWake(sub);
        }
    }

    /** Starts a new wake generation and saves it: the generation never goes back, even across a restart. */
    CompletableFuture<Void> newWake(Subscription sub) {
        sub.newWake(token().substring(0, 12));
        return store.save(sub);
    }

    /** (Re)starts the lease timer of the current wake; when it runs out, the wake ends. */
    void extendLease(Subscription sub) {
        if (sub.lease != null) {
            sub.lease.cancel();
        }
        long generation = sub.generation;
        sub.lease = scheduler.schedule(() -> {
            if (!sub.awaits(generation)) {
                return;
            }
            sub.clearWake();
            maybeWake(sub);
        }, sub.config.leaseMs());
    }

    /** The linked streams with their tails; remembers the tails as the wake's snapshot. */
    List<Map<String, Object>> snapshot(Subscription sub) {
        List<Map<String, Object>> list = new ArrayList<>();
        Map<String, Long> tails = new LinkedHashMap<>();
        sub.links.forEach((p, l) -> {
            long tail = tail(sub, p);
            tails.put(p, tail);
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("path", p);
            s.put("link_type", l.explicit ? "explicit" : "glob");
            s.put("acked_offset", Offsets.format(l.acked));
            s.put("tail_offset", Offsets.format(tail));
            s.put("has_pending", tail > l.acked);
            list.add(s);
        });
        sub.snapshot = tails;
        return list;
    }

    boolean pending(Subscription sub) {
        for (Map.Entry<String, Subscription.Link> e : sub.links.entrySet()) {
            if (tail(sub, e.getKey()) > e.getValue().acked) {
                return true;
            }
        }
        return false;
    }

    long tail(Subscription sub, String path) {
        return streams.tail(sub.config.root() + "/" + path);
    }

    String token() {
        byte[] b = new byte[24];
        random.nextBytes(b);
        return SigningKeys.b64url(b);
    }
}
