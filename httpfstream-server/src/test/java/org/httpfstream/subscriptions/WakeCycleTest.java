package org.httpfstream.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.httpfstream.subscriptions.Fixture.ackBody;
import static org.httpfstream.subscriptions.Fixture.bearer;

import java.util.List;
import java.util.Map;
import org.httpfstream.json.Json;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The pull-wake cycle: wake events, claim, ack, release and leases, on virtual time. */
class WakeCycleTest {
    final Fixture f = new Fixture();

    @BeforeEach
    void start() {
        f.streams.with("/logs/a", 5).with("/logs/b", 2);
        f.start();
        f.create("s1", "{\"type\":\"pull-wake\",\"pattern\":\"logs/*\",\"wake_stream\":\"wake\","
                + "\"lease_ttl_ms\":10000}");
    }

    private Map<String, Object> ack(Map<String, Object> wake, String more) {
        return f.ok(f.subscriptions.ack("", "s1", bearer(wake), ackBody(wake, more)));
    }

    private Throwable ackFails(String authorization, String body) {
        return f.failure(f.subscriptions.ack("", "s1", authorization, body));
    }

    @Nested
    class Waking {
        @Test
        void aChangeAppendsOneWakeEventPerPendingStream() {
            f.scheduler.advance(1234);
            f.grow("/logs/b", 3);
            assertThat(f.streams.appended).containsExactly("/wake [{\"type\":\"wake\",\"subscription_id\":\"s1\","
                    + "\"stream\":\"logs/b\",\"generation\":1,\"ts\":" + (ManualScheduler.START.toEpochMilli() + 1234)
                    + "}]");
        }

        @Test
        void aWakeInFlightIsNotRepeatedForLaterChanges() {
            f.grow("/logs/a", 1);
            f.streams.grow("/logs/a", 1);
            f.grow("/logs/b", 1);
            assertThat(f.wakeEvents()).hasSize(1);
        }

        @Test
        void aWakeStreamThatCannotBeWrittenIsLoggedAndTheWakeStaysInFlight() {
            f.streams.appendFails = true;
            f.grow("/logs/a", 1);
            assertThat(f.claim("s1").get("generation")).isEqualTo(1L);
        }
    }

    @Nested
    class Claiming {
        @Test
        void aClaimTakesTheWakeInFlightWithASnapshotOfTheStreams() {
            f.grow("/logs/a", 1);
            Map<String, Object> wake = f.claim("s1");
            assertThat(wake.keySet()).containsExactly("wake_id", "generation", "token", "streams", "lease_ttl_ms");
            assertThat((String) wake.get("wake_id")).matches("w_[A-Za-z0-9_-]{12}");
            assertThat((String) wake.get("token")).matches("[A-Za-z0-9_-]{32}");
            assertThat(wake.get("generation")).isEqualTo(1L);
            assertThat(wake.get("lease_ttl_ms")).isEqualTo(10000L);
            assertThat(Json.write(wake.get("streams"))).isEqualTo("[{\"path\":\"logs/a\",\"link_type\":\"glob\","
                    + "\"acked_offset\":\"0000000000000005\",\"tail_offset\":\"0000000000000006\","
                    + "\"has_pending\":true},{\"path\":\"logs/b\",\"link_type\":\"glob\",\"acked_offset\":"
                    + "\"0000000000000002\",\"tail_offset\":\"0000000000000002\",\"has_pending\":false}]");
        }

        @Test
        void aClaimWithNothingInFlightIssuesANewGeneration() {
            assertThat(f.ok(f.subscriptions.claim("", "s1", " ")).get("generation")).isEqualTo(1L);
            assertThat(f.streams.appended).isEmpty();
        }

        @Test
        void aSecondClaimNamesTheHolder() {
            f.claim("s1");
            Throwable e = f.failure(f.subscriptions.claim("", "s1", "{\"worker\":\"w2\"}"));
            assertThat(e).isInstanceOf(AlreadyClaimedException.class);
            assertThat(((AlreadyClaimedException) e).holder()).isEqualTo("w1");
            assertThat(((AlreadyClaimedException) e).generation()).isEqualTo(1L);
            f.ok(f.subscriptions.delete("", "s1"));
        }

        @Test
        void everyWakeHasItsOwnIdAndToken() {
            Map<String, Object> first = f.claim("s1");
            f.ok(f.subscriptions.release("", "s1", bearer(first), ackBody(first, "")));
            Map<String, Object> second = f.claim("s1");
            assertThat(second.get("token")).isNotEqualTo(first.get("token"));
            assertThat(second.get("wake_id")).isNotEqualTo(first.get("wake_id"));
        }

        @Test
        void aClaimWithoutAWorkerIsHeldByWorker() {
            f.ok(f.subscriptions.claim("", "s1", "{}"));
            Throwable e = f.failure(f.subscriptions.claim("", "s1", ""));
            assertThat(((AlreadyClaimedException) e).holder()).isEqualTo("worker");
        }
    }

    @Nested
    class Acknowledging {
        @Test
        void acksRaiseTheOffsetsAndNeverLowerThem() {
            f.streams.grow("/logs/a", 12);
            Map<String, Object> wake = f.claim("s1");
            Map<String, Object> r = ack(wake, ",\"acks\":[{\"stream\":\"/logs/a\",\"offset\":\"0000000000000010\"},"
                    + "{\"stream\":\"logs/b\",\"offset\":\"0000000000000001\"},{\"stream\":\"gone\",\"offset\":\"bad\"},"
                    + "{\"stream\":\"logs/a\"}]");
            assertThat(Json.write(r)).isEqualTo("{\"ok\":true,\"next_wake\":true}");
            Map<String, Object> d = f.ok(f.subscriptions.describe("", "s1"));
            assertThat(Json.write(d.get("streams"))).contains("\"acked_offset\":\"0000000000000010\"")
                    .contains("\"acked_offset\":\"0000000000000002\"");
            ack(wake, ",\"acks\":[{\"stream\":\"logs/a\",\"offset\":\"0000000000000010\"}]");
        }

        @Test
        void aBadOffsetOnALinkedStreamIsABadRequest() {
            Map<String, Object> wake = f.claim("s1");
            Throwable e = f.failure(f.subscriptions.ack("", "s1", bearer(wake),
                    ackBody(wake, ",\"acks\":[{\"stream\":\"logs/a\",\"offset\":\"12\"}]")));
            assertThat(e).isInstanceOf(IllegalArgumentException.class).hasMessage("bad offset 12");
        }

        @Test
        void aDoneAckEndsTheWakeAndWakesAgainIfWorkIsLeft() {
            f.streams.grow("/logs/a", 1);
            f.grow("/logs/b", 1);
            f.wakeEvents();
            Map<String, Object> wake = f.claim("s1");
            Map<String, Object> r = ack(wake, ",\"acks\":[{\"stream\":\"logs/a\",\"offset\":\"0000000000000006\"}],"
                    + "\"done\":true");
            assertThat(Json.write(r)).isEqualTo("{\"ok\":true,\"next_wake\":true}");
            List<Map<?, ?>> events = f.wakeEvents();
            assertThat(events).hasSize(1);
            assertThat(events.get(0).get("stream")).isEqualTo("logs/b");
            assertThat(events.get(0).get("generation")).isEqualTo(2L);
            assertThat(f.failure(f.subscriptions.ack("", "s1", bearer(wake), ackBody(wake, ""))))
                    .isInstanceOf(FencedException.class);
        }

        @Test
        void aDoneAckWithNothingLeftLeavesTheSubscriptionIdle() {
            f.streams.grow("/logs/a", 1);
            Map<String, Object> wake = f.claim("s1");
            assertThat(f.wakeEvents()).hasSize(1);
            Map<String, Object> r = ack(wake, ",\"acks\":[{\"stream\":\"logs/a\",\"offset\":\"now\"}],\"done\":true");
            assertThat(Json.write(r)).isEqualTo("{\"ok\":true,\"next_wake\":false}");
            assertThat(f.scheduler.live()).isZero(); // the lease was cancelled
            f.scheduler.advance(60_000);
            assertThat(f.wakeEvents()).isEmpty();
            assertThat(f.ok(f.subscriptions.claim("", "s1", "")).get("generation")).isEqualTo(2L);
        }

        @Test
        void onlyTheCurrentWakesTokenIdAndGenerationAreHonoured() {
            Map<String, Object> wake = f.claim("s1");
            String body = ackBody(wake, "");
            assertThat(ackFails(null, body)).isInstanceOf(FencedException.class)
                    .hasMessage("stale wake: generation or wake id is not current");
            assertThat(ackFails("Basic " + wake.get("token"), body)).isInstanceOf(FencedException.class);
            assertThat(ackFails("Bearer x", body)).isInstanceOf(FencedException.class);
            assertThat(ackFails(bearer(wake), body.replace("\"w_", "\"x_"))).isInstanceOf(FencedException.class);
            assertThat(ackFails(bearer(wake), "{\"wake_id\":\"" + wake.get("wake_id") + "\",\"generation\":2}"))
                    .isInstanceOf(FencedException.class);
            assertThat(ackFails(bearer(wake), "{\"wake_id\":\"" + wake.get("wake_id") + "\",\"generation\":\"1\"}"))
                    .isInstanceOf(FencedException.class);
            assertThat(f.ok(f.subscriptions.ack("", "s1", bearer(wake) + "  ", body))).containsEntry("ok", true);
        }
    }

    @Nested
    class Leases {
        @Test
        void aWakeWhoseLeaseRunsOutIsFencedAndIssuedAgain() {
            f.grow("/logs/a", 1);
            f.wakeEvents();
            Map<String, Object> wake = f.claim("s1");
            f.scheduler.advance(9_999);
            assertThat(f.wakeEvents()).isEmpty();
            f.scheduler.advance(1);
            assertThat(f.wakeEvents()).hasSize(1).first().satisfies(e -> assertThat(e.get("generation")).isEqualTo(2L));
            assertThat(ackFails(bearer(wake), ackBody(wake, ""))).isInstanceOf(FencedException.class);
        }

        @Test
        void anAckThatIsNotDoneExtendsTheLease() {
            Map<String, Object> wake = f.claim("s1");
            f.scheduler.advance(9_000);
            ack(wake, "");
            f.scheduler.advance(9_000);
            assertThat(Json.write(ack(wake, ""))).isEqualTo("{\"ok\":true,\"next_wake\":false}");
            f.scheduler.advance(10_000);
            assertThat(ackFails(bearer(wake), ackBody(wake, ""))).isInstanceOf(FencedException.class);
        }

        @Test
        void aReleasedWakeIsIssuedAgainAtOnceIfWorkIsPending() {
            f.grow("/logs/a", 1);
            f.wakeEvents();
            Map<String, Object> wake = f.claim("s1");
            f.ok(f.subscriptions.release("", "s1", bearer(wake), ackBody(wake, "")));
            assertThat(f.wakeEvents()).hasSize(1);
            assertThat(f.failure(f.subscriptions.release("", "s1", bearer(wake), ackBody(wake, ""))))
                    .isInstanceOf(FencedException.class);
            assertThat(f.claim("s1").get("generation")).isEqualTo(2L);
        }

        @Test
        void aReleasedWakeWithNothingPendingLeavesTheSubscriptionIdle() {
            Map<String, Object> wake = f.claim("s1");
            f.ok(f.subscriptions.release("", "s1", bearer(wake), ackBody(wake, "")));
            f.scheduler.advance(60_000);
            assertThat(f.wakeEvents()).isEmpty();
        }
    }
}
