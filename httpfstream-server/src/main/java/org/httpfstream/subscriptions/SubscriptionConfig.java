package org.httpfstream.subscriptions;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.httpfstream.json.Json;

/**
 * What a subscription was created with, fixed for its life: where it lives ({@code root}, {@code id}),
 * its kind ({@code webhook} or {@code pull-wake}), the streams it covers (a glob {@code pattern} and the
 * {@code explicit} paths it was created or last loaded with; the current ones are {@link
 * Subscription#explicit}), where wakes go, the lease of a wake, and {@code config}: the
 * canonical form that a second create must match exactly.
 *
 * <p>Thread safety: immutable.
 */
record SubscriptionConfig(String root, String id, String type, String pattern, List<String> explicit,
        String webhookUrl, String wakeStream, long leaseMs, String description, String baseUrl, String config,
        String createdAt) {
    static final long DEFAULT_LEASE_MS = 30_000;

    SubscriptionConfig {
        explicit = List.copyOf(explicit);
    }

    /**
     * Reads a create request's body {@code m}. Throws IllegalArgumentException (or ClassCastException for
     * a field of the wrong JSON type) for a body that breaks a rule, and RefusedTargetException for a
     * webhook URL that {@code targets} does not allow.
     */
    static SubscriptionConfig parse(String root, String id, Map<?, ?> m, String baseUrl, Instant now,
            WebhookTargets targets) throws RefusedTargetException {
        String type = (String) m.get("type");
        if (!"webhook".equals(type) && !"pull-wake".equals(type)) {
            throw new IllegalArgumentException("type must be webhook or pull-wake");
        }
        String pattern = (String) m.get("pattern");
        List<String> explicit = m.get("streams") == null ? List.of() : paths((List<?>) m.get("streams"));
        if (pattern == null && explicit.isEmpty()) {
            throw new IllegalArgumentException("pattern or streams is required");
        }
        String webhookUrl = type.equals("webhook") ? webhookUrl(m, targets) : null;
        String wakeStream = (String) m.get("wake_stream");
        if (type.equals("pull-wake") && wakeStream == null) {
            throw new IllegalArgumentException("wake_stream is required");
        }
        long leaseMs = m.get("lease_ttl_ms") == null ? DEFAULT_LEASE_MS : ((Number) m.get("lease_ttl_ms")).longValue();
        if (leaseMs < 1000 || leaseMs > 600_000) {
            throw new IllegalArgumentException("lease_ttl_ms must be from 1000 to 600000");
        }
        String description = (String) m.get("description");
        String config = Json.write(Arrays.asList(type, pattern, new ArrayList<>(new TreeSet<>(explicit)), webhookUrl,
                wakeStream, leaseMs, description));
        return new SubscriptionConfig(root, id, type, pattern, explicit, webhookUrl,
                wakeStream == null ? null : normalize(wakeStream), leaseMs, description, baseUrl, config,
                now.toString());
    }

    private static String webhookUrl(Map<?, ?> m, WebhookTargets targets) throws RefusedTargetException {
        Map<?, ?> webhook = (Map<?, ?>) m.get("webhook");
        String url = webhook == null ? null : (String) webhook.get("url");
        if (url == null) {
            throw new IllegalArgumentException("webhook.url is required");
        }
        String why = targets.refusalAtCreation(url);
        if (why != null) {
            throw new RefusedTargetException(why);
        }
        return url;
    }

    /** The stream paths of a JSON list, each without leading slashes. */
    static List<String> paths(List<?> list) {
        List<String> paths = new ArrayList<>();
        for (Object o : list) {
            paths.add(normalize((String) o));
        }
        return paths;
    }

    /** {@code path} without its leading slashes; NullPointerException if it is null. */
    static String normalize(String path) {
        String p = Objects.requireNonNull(path, "stream path");
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        return p;
    }

    /** True for a webhook subscription, false for pull-wake. */
    boolean webhook() {
        return type.equals("webhook");
    }

    /** The registry key: root and id. */
    String key() {
        return root + "\0" + id;
    }

    /** The absolute URL of {@code rest} under this subscription's {@code __ds/}. */
    String url(String rest) {
        return baseUrl + root + "/" + Subscriptions.PREFIX + "/" + rest;
    }
}
