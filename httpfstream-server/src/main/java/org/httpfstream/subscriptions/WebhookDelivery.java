package org.httpfstream.subscriptions;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiConsumer;
import java.util.function.DoubleSupplier;
import org.httpfstream.json.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers a webhook subscription's wake: signs the body ({@link SigningKeys}), posts it, and until the
 * receiver answers 2xx tries again after the subscription's {@link Backoff} pause, as long as that wake
 * is still the current one. A 2xx answer resets the pause and is handed to {@code onAnswer} with the
 * receiver's JSON reply (null if it sent none or no JSON); a reply of {@code {"done":true}} acknowledges
 * the wake. A refused target (the URL resolved to an address not allowed) and a redirect answer are
 * counted through {@code onRefused}; neither is followed.
 *
 * <p>Thread safety: {@link #deliver} and the answers run on the subscriptions thread ({@link
 * Scheduler}), where the subscription's state is confined; posting happens on the poster's threads.
 */
final class WebhookDelivery {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookDelivery.class);

    /** Posts a webhook; {@link WebhookSender#post} in the server. */
    interface Poster {
        CompletableFuture<WebhookSender.Response> post(URI url, Map<String, String> headers, byte[] body);
    }

    private final Poster poster;
    private final SigningKeys keys;
    private final Scheduler scheduler;
    private final Clock clock;
    private final DoubleSupplier random;
    private final Runnable onRefused;
    private final BiConsumer<Subscription, Object> onAnswer;

    WebhookDelivery(Poster poster, SigningKeys keys, Scheduler scheduler, Clock clock, DoubleSupplier random,
            Runnable onRefused, BiConsumer<Subscription, Object> onAnswer) {
        this.poster = poster;
        this.keys = keys;
        this.scheduler = scheduler;
        this.clock = clock;
        this.random = random;
        this.onRefused = onRefused;
        this.onAnswer = onAnswer;
    }

    /** Posts {@code body}, the wake of {@code generation}, to {@code sub}'s webhook, retrying as above. */
    void deliver(Subscription sub, long generation, String body) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/json");
        headers.put("Webhook-Signature", keys.sign(clock.millis() / 1000, body));
        URI url = URI.create(sub.config.webhookUrl());
        CompletableFuture<WebhookSender.Response> sent;
        try {
            sent = poster.post(url, headers, body.getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((response, failure) -> scheduler.execute(() -> {
            Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
            log(sub, url, response, cause);
            answered(sub, generation, body, response, cause);
        }));
    }

    private void log(Subscription sub, URI url, WebhookSender.Response response, Throwable cause) {
        String id = sub.config.id();
        if (cause instanceof RefusedTargetException) {
            onRefused.run();
            LOG.warn("subscription {}: webhook not sent: {}", id, cause.getMessage());
        } else if (cause != null) {
            LOG.info("subscription {}: webhook to {} failed: {}", id, url.getHost(), cause.toString());
        } else if (response.status() / 100 == 3) {
            onRefused.run();
            LOG.warn("subscription {}: webhook answered {}: redirects are not followed", id, response.status());
        }
    }

    private void answered(Subscription sub, long generation, String body, WebhookSender.Response response,
            Throwable cause) {
        if (!sub.awaits(generation)) {
            return;
        }
        if (cause != null || response.status() / 100 != 2) {
            sub.failed = true;
            scheduler.schedule(() -> {
                if (sub.awaits(generation)) {
                    deliver(sub, generation, body);
                }
            }, sub.backoff.next(random.getAsDouble()));
            return;
        }
        sub.failed = false;
        sub.backoff.reset();
        Object reply;
        try {
            reply = response.body().isBlank() ? null : Json.parse(response.body());
        } catch (IllegalArgumentException e) {
            reply = null;
        }
        onAnswer.accept(sub, reply);
    }
}
