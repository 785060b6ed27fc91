package org.httpfstream.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Webhook wakes: the signed post, the receiver's answers, retries on virtual time. */
class WebhookDeliveryTest {
    final Fixture f = new Fixture();

    @BeforeEach
    void start() {
        f.streams.with("/logs/a", 5);
        f.start();
        f.create("s1", "{\"type\":\"webhook\",\"pattern\":\"logs/*\",\"webhook\":{\"url\":\"https://hooks.example/h\"},"
                + "\"lease_ttl_ms\":600000}");
    }

    /** Makes logs/a pending and returns the webhook post it causes. */
    private Fixture.Post wake() {
        f.grow("/logs/a", 2);
        assertThat(f.posts).isNotEmpty();
        return f.posts.remove(0);
    }

    private void answer(Fixture.Post p, int status, String body) {
        p.answer().complete(new WebhookSender.Response(status, body));
        f.scheduler.runDue();
    }

    private String status() {
        return (String) f.ok(f.subscriptions.describe("", "s1")).get("status");
    }

    @Nested
    class Posting {
        @Test
        void theWakeIsPostedSignedWithTheCallbackAndItsToken() throws Exception {
            f.scheduler.advance(3_000);
            Fixture.Post p = wake();
            assertThat(p.url()).hasToString("https://hooks.example/h");
            Map<?, ?> b = p.json();
            assertThat(new java.util.ArrayList<Object>(b.keySet())).containsExactly("subscription_id", "wake_id", "generation", "streams",
                    "callback_url", "callback_token");
            assertThat(b.get("subscription_id")).isEqualTo("s1");
            assertThat(b.get("generation")).isEqualTo(1L);
            assertThat(b.get("callback_url")).isEqualTo("http://host:1/__ds/subscriptions/s1/callback");
            assertThat(org.httpfstream.json.Json.write(b.get("streams"))).isEqualTo("[{\"path\":\"logs/a\","
                    + "\"link_type\":\"glob\",\"acked_offset\":\"0000000000000005\",\"tail_offset\":"
                    + "\"0000000000000007\",\"has_pending\":true}]");
            assertThat(p.headers().get("Content-Type")).isEqualTo("application/json");
            long t = ManualScheduler.START.getEpochSecond() + 3;
            String sig = p.headers().get("Webhook-Signature");
            assertThat(sig).startsWith("t=" + t + ",kid=" + f.keys.kid() + ",ed25519=");
            assertThat(verifies(sig.substring(sig.indexOf("ed25519=") + 8), t + "." + p.body())).isTrue();
            assertThat(verifies(sig.substring(sig.indexOf("ed25519=") + 8), t + "." + p.body() + " ")).isFalse();
            String token = (String) b.get("callback_token");
            Map<String, Object> r = f.ok(f.subscriptions.ack("", "s1", "Bearer " + token,
                    "{\"wake_id\":\"" + b.get("wake_id") + "\",\"generation\":1,\"done\":true,"
                            + "\"acks\":[{\"stream\":\"logs/a\",\"offset\":\"0000000000000007\"}]}"));
            assertThat(r).containsEntry("next_wake", false);
        }

        private boolean verifies(String signature, String signed) throws Exception {
            Map<?, ?> jwk = (Map<?, ?>) ((List<?>) f.keys.jwks().get("keys")).get(0);
            byte[] raw = Base64.getUrlDecoder().decode((String) jwk.get("x"));
            byte[] spki = HexFormat.of().parseHex("302a300506032b6570032100" + HexFormat.of().formatHex(raw));
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki)));
            s.update(signed.getBytes(StandardCharsets.UTF_8));
            return s.verify(Base64.getUrlDecoder().decode(signature));
        }

        @Test
        void aDoneAnswerAcknowledgesTheSnapshotAndEndsTheWake() {
            Fixture.Post p = wake();
            f.streams.with("/logs/a", 9); // grown after the snapshot, unannounced
            answer(p, 200, "{\"done\":true}");
            assertThat(org.httpfstream.json.Json.write(f.ok(f.subscriptions.describe("", "s1")).get("streams")))
                    .contains("\"acked_offset\":\"0000000000000007\"");
            Fixture.Post next = f.posts.remove(0); // the bytes after the snapshot are still pending
            assertThat(next.json().get("generation")).isEqualTo(2L);
            answer(next, 204, "{\"done\":true}");
            assertThat(f.posts).isEmpty();
            f.scheduler.advance(700_000);
            assertThat(f.posts).isEmpty();
        }

        @Test
        void anAnswerWithoutDoneLeavesTheWakeInFlightUntilItsLease() {
            Fixture.Post p = wake();
            answer(p, 200, "");
            f.grow("/logs/a", 1);
            assertThat(f.posts).isEmpty();
            answer(wakeAfterLease(), 200, "not json");
            assertThat(status()).isEqualTo("active");
        }

        private Fixture.Post wakeAfterLease() {
            f.scheduler.advance(600_000);
            assertThat(f.posts).hasSize(1);
            Fixture.Post p = f.posts.remove(0);
            assertThat(p.json().get("generation")).isEqualTo(2L);
            return p;
        }

        @Test
        void aDoneInAnythingButAnObjectIsNotDone() {
            Fixture.Post p = wake();
            answer(p, 200, "[true]");
            answer(wakeAfterLease(), 200, "{\"done\":\"yes\"}");
            f.scheduler.advance(600_000);
            assertThat(f.posts).hasSize(1);
        }
    }

    @Nested
    class Retrying {
        @Test
        void failuresAreRetriedWithDoublingPausesUpToAMinute() {
            Fixture.Post p = wake();
            f.scheduler.takeDelays();
            long[] bases = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
            for (long base : bases) {
                answer(p, 500, "");
                List<Long> delays = f.scheduler.takeDelays();
                assertThat(delays).hasSize(2); // the hop back to the subscriptions thread, then the pause
                assertThat(delays.get(1)).isBetween(base, base + base / 5);
                assertThat(status()).isEqualTo("failed");
                f.scheduler.takeDelays();
                f.scheduler.advance(delays.get(1));
                assertThat(f.posts).hasSize(1);
                p = f.posts.remove(0);
                assertThat(p.json().get("generation")).isEqualTo(1L);
            }
            answer(p, 200, "");
            assertThat(status()).isEqualTo("active");
            f.scheduler.takeDelays();
            p.answer().obtrudeValue(null);
        }

        @Test
        void aSuccessStartsThePausesOver() {
            Fixture.Post p = wake();
            answer(p, 503, "");
            f.scheduler.advance(1200);
            p = f.posts.remove(0);
            answer(p, 200, "{\"done\":true}");
            p = wake();
            f.scheduler.takeDelays();
            p.answer().completeExceptionally(new java.io.IOException("connection refused"));
            f.scheduler.runDue();
            assertThat(f.scheduler.takeDelays().get(1)).isBetween(1000L, 1200L);
            assertThat(f.refusals).hasValue(0);
        }

        @Test
        void aRefusedTargetOrARedirectIsCountedAndRetried() {
            Fixture.Post p = wake();
            p.answer().completeExceptionally(new java.util.concurrent.CompletionException(
                    new RefusedTargetException("not a public address")));
            f.scheduler.runDue();
            assertThat(f.refusals).hasValue(1);
            f.scheduler.advance(1200);
            answer(f.posts.remove(0), 307, "");
            assertThat(f.refusals).hasValue(2);
            f.scheduler.advance(2400);
            assertThat(f.posts).hasSize(1);
        }

        @Test
        void aWakeThatEndedIsNotRetried() {
            Fixture.Post p = wake();
            answer(p, 500, "");
            f.ok(f.subscriptions.delete("", "s1"));
            f.scheduler.advance(700_000);
            assertThat(f.posts).isEmpty();
        }

        @Test
        void anAnswerToAWakeThatEndedIsIgnored() {
            Fixture.Post p = wake();
            f.ok(f.subscriptions.delete("", "s1"));
            f.scheduler.takeDelays();
            answer(p, 500, "");
            assertThat(f.scheduler.takeDelays()).hasSize(1); // only the hop back, no retry
        }

        @Test
        void aPosterThatThrowsCountsAsAFailedDelivery() {
            Fixture g = new Fixture();
            g.streams.with("/a", 1);
            Subscriptions s = new Subscriptions(new Subscriptions.Parts(g.streams, SubscriptionStore.memory(), g.keys,
                    (url, headers, body) -> {
                        throw new IllegalStateException("closed");
                    }, g.scheduler, g.scheduler.clock(), new java.util.Random(1), g.targets, g.refusals::incrementAndGet,
                    () -> { }));
            g.subscriptions = s;
            g.create("s", "{\"type\":\"webhook\",\"pattern\":\"*\",\"webhook\":{\"url\":\"https://h.example/\"}}");
            g.grow("/a", 1);
            assertThat(g.ok(s.describe("", "s")).get("status")).isEqualTo("failed");
        }
    }
}
