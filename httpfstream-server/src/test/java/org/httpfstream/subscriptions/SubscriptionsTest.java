package org.httpfstream.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The registry: creating, describing, linking and deleting subscriptions, without a server. */
class SubscriptionsTest {
    final Fixture f = new Fixture();

    @BeforeEach
    void start() {
        f.streams.with("/logs/a", 5).with("/logs/b", 0).with("/other/c", 9).with("/__ds/x", 3);
        f.start();
    }

    @Nested
    class Creating {
        @Test
        void aPullWakeSubscriptionLinksTheMatchingStreamsAtTheirTails() {
            Map<String, Object> d = f.create("s1", "{\"type\":\"pull-wake\",\"pattern\":\"logs/*\","
                    + "\"wake_stream\":\"//wake\",\"description\":\"d\"}");
            assertThat(Json.write(d)).isEqualTo("{\"id\":\"s1\",\"subscription_id\":\"s1\",\"type\":\"pull-wake\","
                    + "\"pattern\":\"logs/*\",\"streams\":[{\"path\":\"logs/a\",\"link_type\":\"glob\","
                    + "\"acked_offset\":\"0000000000000005\"},{\"path\":\"logs/b\",\"link_type\":\"glob\","
                    + "\"acked_offset\":\"0000000000000000\"}],\"webhook\":null,\"wake_stream\":\"wake\","
                    + "\"lease_ttl_ms\":30000,\"created_at\":\"2026-01-02T03:04:05Z\",\"status\":\"active\","
                    + "\"description\":\"d\"}");
            assertThat(f.subscriptions.exists("", "s1")).isTrue();
            assertThat(f.subscriptions.exists("/logs", "s1")).isFalse();
            assertThat(f.streams.appended).isEmpty(); // nothing is pending at the tails
        }

        @Test
        void reservedPathsAreNeverLinkedByAPattern() {
            Map<String, Object> d = f.pullWake("s1", "**");
            assertThat(paths(d)).containsExactly("logs/a", "logs/b", "other/c");
        }

        @Test
        void explicitStreamsAreLinkedAtTheirTailsWithoutLeadingSlashes() {
            Map<String, Object> d = f.create("s1", "{\"type\":\"pull-wake\",\"streams\":[\"/logs/a\",\"new\"],"
                    + "\"wake_stream\":\"wake\",\"lease_ttl_ms\":1000}");
            assertThat(Json.write(d.get("streams"))).isEqualTo("[{\"path\":\"logs/a\",\"link_type\":\"explicit\","
                    + "\"acked_offset\":\"0000000000000005\"},{\"path\":\"new\",\"link_type\":\"explicit\","
                    + "\"acked_offset\":\"0000000000000000\"}]");
            assertThat(d.get("lease_ttl_ms")).isEqualTo(1000L);
        }

        @Test
        void aWebhookSubscriptionNamesItsSigningKey() {
            Map<String, Object> d = f.create("s1", "{\"type\":\"webhook\",\"pattern\":\"logs/*\","
                    + "\"webhook\":{\"url\":\"https://hooks.example/h\"},\"lease_ttl_ms\":600000}");
            assertThat(Json.write(d.get("webhook"))).isEqualTo("{\"url\":\"https://hooks.example/h\",\"signing\":"
                    + "{\"alg\":\"ed25519\",\"kid\":\"" + f.keys.kid() + "\",\"jwks_url\":\"http://host:1/__ds/jwks.json\"}}");
            assertThat(d.get("wake_stream")).isNull();
        }

        @Test
        void theSameConfigurationAgainAnswersTheExistingOneAndAnotherConflicts() {
            String json = "{\"type\":\"pull-wake\",\"pattern\":\"logs/*\",\"wake_stream\":\"wake\"}";
            Subscriptions.Created first = f.ok(f.subscriptions.create("", "s1", json, "http://host:1"));
            f.scheduler.advance(5000);
            Subscriptions.Created again = f.ok(f.subscriptions.create("", "s1", json, "http://other:2"));
            assertThat(first.created()).isTrue();
            assertThat(again.created()).isFalse();
            assertThat(again.description()).isEqualTo(first.description());
            assertThat(f.failure(f.subscriptions.create("", "s1", json.replace("logs", "other"), "http://host:1")))
                    .isInstanceOf(SubscriptionConflictException.class)
                    .hasMessage("subscription s1 exists with a different configuration");
            assertThat(f.ok(f.subscriptions.create("/other", "s1", json, "http://host:1")).created()).isTrue();
        }

        @Test
        void aListingThatFailsLinksNothingButCreatesTheSubscription() {
            f.streams.listingFails = true;
            assertThat(paths(f.pullWake("s1", "logs/*"))).isEmpty();
        }

        @Test
        void aWebhookUrlThatIsNotAllowedIsRefusedAndCounted() {
            Throwable e = f.failure(f.subscriptions.create("", "s1", "{\"type\":\"webhook\",\"pattern\":\"a\","
                    + "\"webhook\":{\"url\":\"http://127.0.0.1/h\"}}", "http://host:1"));
            assertThat(e).isInstanceOf(RefusedTargetException.class);
            assertThat(f.refusals).hasValue(1);
            assertThat(f.subscriptions.exists("", "s1")).isFalse();
        }
    }

    @Nested
    class BrokenRules {
        private Throwable create(String json) {
            return f.failure(f.subscriptions.create("", "s1", json, "http://host:1"));
        }

        @Test
        void eachRuleIsNamed() {
            assertThat(create("{\"type\":\"poll\"}")).hasMessage("type must be webhook or pull-wake");
            assertThat(create("{\"type\":\"pull-wake\"}")).hasMessage("pattern or streams is required");
            assertThat(create("{\"type\":\"pull-wake\",\"streams\":[]}")).hasMessage("pattern or streams is required");
            assertThat(create("{\"type\":\"webhook\",\"pattern\":\"a\"}")).hasMessage("webhook.url is required");
            assertThat(create("{\"type\":\"webhook\",\"pattern\":\"a\",\"webhook\":{}}"))
                    .hasMessage("webhook.url is required");
            assertThat(create("{\"type\":\"pull-wake\",\"pattern\":\"a\"}")).hasMessage("wake_stream is required");
            assertThat(create("[1]")).isInstanceOf(ClassCastException.class);
            assertThat(create("{")).isInstanceOf(IllegalArgumentException.class);
            assertThat(f.subscriptions.exists("", "s1")).isFalse();
        }

        @Test
        void theLeaseIsFromOneSecondToTenMinutes() {
            String json = "{\"type\":\"pull-wake\",\"pattern\":\"a\",\"wake_stream\":\"w\",\"lease_ttl_ms\":";
            assertThat(create(json + "999}")).hasMessage("lease_ttl_ms must be from 1000 to 600000");
            assertThat(create(json + "600001}")).hasMessage("lease_ttl_ms must be from 1000 to 600000");
            assertThat(f.ok(f.subscriptions.create("", "a", json + "1000}", "h")).created()).isTrue();
            assertThat(f.ok(f.subscriptions.create("", "b", json + "600000}", "h")).created()).isTrue();
        }
    }

    @Nested
    class Membership {
        @Test
        void addedStreamsAreLinkedExplicitlyAtTheirTails() {
            f.pullWake("s1", "logs/*");
            f.ok(f.subscriptions.addStreams("", "s1", "{\"streams\":[\"/other/c\",\"logs/a\"]}"));
            Map<String, Object> d = f.ok(f.subscriptions.describe("", "s1"));
            assertThat(Json.write(d.get("streams"))).isEqualTo("[{\"path\":\"logs/a\",\"link_type\":\"explicit\","
                    + "\"acked_offset\":\"0000000000000005\"},{\"path\":\"logs/b\",\"link_type\":\"glob\","
                    + "\"acked_offset\":\"0000000000000000\"},{\"path\":\"other/c\",\"link_type\":\"explicit\","
                    + "\"acked_offset\":\"0000000000000009\"}]");
        }

        @Test
        void removingAStreamKeepsItIfThePatternMatchesIt() {
            f.pullWake("s1", "logs/*");
            f.ok(f.subscriptions.addStreams("", "s1", "{\"streams\":[\"other/c\",\"logs/a\"]}"));
            f.ok(f.subscriptions.removeStream("", "s1", "other/c"));
            f.ok(f.subscriptions.removeStream("", "s1", "logs/a"));
            f.ok(f.subscriptions.removeStream("", "s1", "never/linked"));
            Map<String, Object> d = f.ok(f.subscriptions.describe("", "s1"));
            assertThat(Json.write(d.get("streams"))).isEqualTo("[{\"path\":\"logs/a\",\"link_type\":\"glob\","
                    + "\"acked_offset\":\"0000000000000005\"},{\"path\":\"logs/b\",\"link_type\":\"glob\","
                    + "\"acked_offset\":\"0000000000000000\"}]");
        }

        @Test
        void aChangeOnAMatchingStreamLinksItFromItsStart() {
            f.pullWake("s1", "logs/*");
            f.streams.grow("/logs/new", 4);
            f.grow("/other/d", 4);
            assertThat(paths(f.ok(f.subscriptions.describe("", "s1")))).containsExactly("logs/a", "logs/b", "logs/new");
            assertThat(f.wakeEvents().stream().map(e -> (Object) e.get("stream")).toList()).containsExactly("logs/new");
        }

        @Test
        void aChangeUnderAnotherRootConcernsNoSubscription() {
            f.ok(f.subscriptions.create("/logs", "s1", "{\"type\":\"pull-wake\",\"pattern\":\"*\","
                    + "\"wake_stream\":\"w\"}", "h"));
            f.streams.grow("/other/c", 1);
            f.grow("/logsx", 1);
            assertThat(f.streams.appended).isEmpty();
            f.grow("/logs/b", 1);
            assertThat(f.streams.appended).hasSize(1).first().asString().startsWith("/logs/w [");
        }

        @Test
        void nothingIsAskedOfTheStreamsWhileThereIsNoSubscription() {
            assertThat(f.streams.interested.getAsBoolean()).isFalse();
            f.pullWake("s1", "logs/*");
            assertThat(f.streams.interested.getAsBoolean()).isTrue();
        }
    }

    @Nested
    class Deleting {
        @Test
        void aDeletedSubscriptionIsGoneAndItsWakeFenced() {
            f.pullWake("s1", "logs/*");
            Map<String, Object> wake = f.claim("s1");
            assertThat(f.scheduler.live()).isEqualTo(1); // the lease
            f.ok(f.subscriptions.delete("", "s1"));
            assertThat(f.scheduler.live()).isZero();
            assertThat(f.subscriptions.exists("", "s1")).isFalse();
            assertThat(f.failure(f.subscriptions.describe("", "s1"))).isInstanceOf(NoSuchSubscriptionException.class)
                    .hasMessage("no such subscription: s1");
            assertThat(f.failure(f.subscriptions.delete("", "s1"))).isInstanceOf(NoSuchSubscriptionException.class);
            f.streams.grow("/logs/a", 1);
            f.scheduler.advance(60_000);
            assertThat(f.streams.appended).isEmpty();
            assertThat(f.ok(f.subscriptions.create("", "s1", "{\"type\":\"pull-wake\",\"pattern\":\"x\","
                    + "\"wake_stream\":\"w\"}", "h")).created()).isTrue();
            assertThat(wake).isNotNull();
        }

        @Test
        void everyOperationOnAMissingSubscriptionSaysSo() {
            for (var op : List.<java.util.concurrent.CompletableFuture<?>>of(f.subscriptions.describe("", "x"),
                    f.subscriptions.addStreams("", "x", "{"), f.subscriptions.removeStream("", "x", "a"),
                    f.subscriptions.claim("", "x", "{"), f.subscriptions.ack("", "x", null, "{"),
                    f.subscriptions.release("", "x", null, "{"))) {
                assertThat(f.failure(op)).isInstanceOf(NoSuchSubscriptionException.class);
            }
        }
    }

    @Nested
    class Closing {
        @Test
        void closingStopsEverythingOnceAndRefusesLaterRequests() {
            f.pullWake("s1", "logs/*");
            f.streams.closeListener.run();
            f.subscriptions.close();
            assertThat(f.senderCloses).hasValue(1);
            assertThat(f.scheduler.isShutdown()).isTrue();
            assertThat(f.subscriptions.exists("", "s1")).isFalse();
            var later = f.subscriptions.describe("", "s1");
            assertThat(later).isCompletedExceptionally();
            assertThat(f.failure(later)).isInstanceOf(IllegalStateException.class);
            f.streams.grow("/logs/a", 1);
            f.scheduler.advance(60_000);
            assertThat(f.streams.appended).isEmpty();
        }

        @Test
        void theSigningKeyIsPublishedAsAJwkSet() {
            Map<String, Object> jwks = f.ok(f.subscriptions.jwks());
            assertThat(jwks).isEqualTo(f.keys.jwks());
        }
    }

    static List<Object> paths(Map<String, Object> description) {
        return ((List<?>) description.get("streams")).stream().map(s -> (Object) ((Map<?, ?>) s).get("path")).toList();
    }

    /** Shortcut to the JSON writer the responses use. */
    private static final class Json {
        static String write(Object o) {
            return org.httpfstream.json.Json.write(o);
        }
    }
}
