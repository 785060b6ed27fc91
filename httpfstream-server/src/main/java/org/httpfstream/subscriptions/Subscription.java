package org.httpfstream.subscriptions;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * One subscription's state: its fixed {@link SubscriptionConfig}, the streams linked to it with the offset
 * acknowledged in each, and its wake: the generation (only grows, even across a restart), the wake id,
 * token and holder of the wake in flight, its lease, and the tails taken when it was issued.
 *
 * <p>The wake cycle: idle → (pending work) a wake is issued, {@link #newWake} → claimed by a worker
 * (pull-wake) or delivered (webhook) → acknowledged as done, released, or its lease runs out, {@link
 * #clearWake} → idle. A request about a wake is honoured only while it names the current one ({@link
 * #current}).
 *
 * <p>Thread safety: not thread safe; confined to the subscriptions thread ({@link Scheduler}).
 */
final class Subscription {
    final SubscriptionConfig config;
    /** The streams named explicitly, in the order they were added. */
    final Set<String> explicit = new LinkedHashSet<>();
    /** Linked streams by path (relative to the root), in the order they were linked. */
    final Map<String, Link> links = new LinkedHashMap<>();
    final Backoff backoff = new Backoff();
    long generation;
    String wakeId;
    String token;
    String holder;
    boolean wakeInFlight;
    boolean deleted;
    /** True while the last webhook delivery failed. */
    boolean failed;
    Scheduler.Task lease;
    /** The tails of the linked streams when the current wake was issued. */
    Map<String, Long> snapshot = Map.of();

    Subscription(SubscriptionConfig config) {
        this.config = config;
        this.explicit.addAll(config.explicit());
    }

    /** A linked stream: how it was linked and the offset acknowledged in it. */
    static final class Link {
        boolean explicit;
        boolean glob;
        long acked;

        Link(long acked) {
            this.acked = acked;
        }
    }

    /** Starts a new wake: the next generation, a fresh wake id, in flight. */
    void newWake(String wakeIdSuffix) {
        generation++;
        wakeId = "w_" + wakeIdSuffix;
        wakeInFlight = true;
    }

    /** Ends the current wake and its lease; the subscription is idle. */
    void clearWake() {
        wakeInFlight = false;
        wakeId = null;
        token = null;
        holder = null;
        if (lease != null) {
            lease.cancel();
            lease = null;
        }
    }

    /** True while the wake of {@code generation} is the one in flight (a delivery or lease of it counts). */
    boolean awaits(long generation) {
        return !deleted && this.generation == generation && wakeInFlight;
    }

    /** True if {@code token}, {@code wakeId} and {@code generation} name the current wake. */
    boolean current(String token, Object wakeId, Object generation) {
        return !deleted && this.token != null && this.token.equals(token) && this.wakeId != null
                && this.wakeId.equals(wakeId) && generation instanceof Number n && n.longValue() == this.generation;
    }

    /** Raises the acknowledged offset of a linked stream to {@code offset}; an unlinked path is ignored. */
    void acknowledge(String path, long offset) {
        Link l = links.get(path);
        if (l != null) {
            l.acked = Math.max(l.acked, offset);
        }
    }

    /** Unlinks {@code path} as an explicit stream; it stays linked if the pattern matched it too. */
    void removeExplicit(String path) {
        explicit.remove(path);
        Link l = links.get(path);
        if (l != null) {
            l.explicit = false;
            if (!l.glob) {
                links.remove(path);
            }
        }
    }
}
