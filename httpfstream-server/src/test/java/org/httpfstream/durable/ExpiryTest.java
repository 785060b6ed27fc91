package org.httpfstream.durable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import org.httpfstream.durable.DurableStreamException.Reason;
import org.httpfstream.durable.DurableStreams.CreateRequest;
import org.httpfstream.durable.DurableStreams.ForkRequest;
import org.httpfstream.testing.StoreExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Sliding TTLs and absolute expiry on a manual clock, on both stores. */
class ExpiryTest {
    @RegisterExtension
    final StoreExtension stores = new StoreExtension();

    static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    static CreateRequest ttl(long seconds) {
        return new CreateRequest("text/plain", seconds, null, null, false, "abc".getBytes(), null);
    }

    static CreateRequest at(Instant at) {
        return new CreateRequest("text/plain", null, at.toString(), at, false, "abc".getBytes(), null);
    }

    static boolean gone(Rules r, String path) throws IOException {
        return r.streams.snapshot(path) == null;
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void aTtlStreamExpiresExactlyItsTtlAfterTheLastAccess(Rules.Store kind) throws IOException {
        Rules r = Rules.on(kind, stores);
        r.streams.create("/t", ttl(10)).join();
        r.clock.advance(Duration.ofMillis(9_999));
        assertThat(gone(r, "/t")).isFalse();
        assertThat(r.streams.head("/t").tail()).isEqualTo(3); // head is no access
        r.clock.advance(Duration.ofMillis(1));
        assertThat(gone(r, "/t")).isTrue();
        assertThat(catchThrowableOfType(() -> r.streams.head("/t"), DurableStreamException.class).reason())
                .isEqualTo(Reason.NOT_FOUND);
        assertThat(r.create("/t", "text/html", "").created()).isTrue(); // the path is free again
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void openingAndReadingRestartTheTtl(Rules.Store kind) throws IOException {
        Rules r = Rules.on(kind, stores);
        r.streams.create("/t", ttl(10)).join();
        r.clock.advance(Duration.ofSeconds(8));
        DurableStreams.Snapshot s = r.streams.open("/t");
        r.clock.advance(Duration.ofSeconds(8));
        r.streams.openRead(s, 0, 0).close();
        r.clock.advance(Duration.ofSeconds(8));
        assertThat(gone(r, "/t")).isFalse();
        r.clock.advance(Duration.ofSeconds(2));
        assertThat(gone(r, "/t")).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void anAppendRestartsTheTtl(Rules.Store kind) throws IOException {
        Rules r = Rules.on(kind, stores);
        r.streams.create("/t", ttl(10)).join();
        r.clock.advance(Duration.ofSeconds(8));
        r.append("/t", Rules.append("text/plain", "d"));
        r.clock.advance(Duration.ofSeconds(8));
        assertThat(gone(r, "/t")).as("16 s after its creation, 8 s after the append").isFalse();
        assertThat(r.streams.head("/t").tail()).isEqualTo(4); // head is no access
        r.clock.advance(Duration.ofSeconds(2));
        assertThat(gone(r, "/t")).as("10 s after the append").isTrue();
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void openingAloneRestartsTheTtl(Rules.Store kind) throws IOException {
        Rules r = Rules.on(kind, stores);
        r.streams.create("/t", ttl(10)).join();
        r.clock.advance(Duration.ofSeconds(8));
        r.streams.open("/t");
        r.clock.advance(Duration.ofSeconds(8));
        assertThat(gone(r, "/t")).isFalse();
        r.clock.advance(Duration.ofSeconds(2));
        assertThat(gone(r, "/t")).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void anExpiresAtStreamIsGoneFromThatInstantOn(Rules.Store kind) throws IOException {
        Rules r = Rules.on(kind, stores);
        r.streams.create("/t", at(START.plusSeconds(5))).join();
        r.clock.advance(Duration.ofMillis(4_999));
        r.streams.open("/t"); // access does not move an absolute expiry
        assertThat(gone(r, "/t")).isFalse();
        r.clock.advance(Duration.ofMillis(1));
        assertThat(gone(r, "/t")).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void anExpiredStreamRefusesAppends(Rules.Store kind) throws IOException {
        Rules r = Rules.on(kind, stores);
        r.streams.create("/t", ttl(1)).join();
        r.clock.advance(Duration.ofSeconds(1));
        assertThat(catchThrowableOfType(() -> r.append("/t", Rules.append("text/plain", "x")),
                DurableStreamException.class).reason()).isEqualTo(Reason.NOT_FOUND);
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void aForkInheritsItsSourcesExpiryUnlessItSetsOne(Rules.Store kind) throws IOException {
        Rules r = Rules.on(kind, stores);
        r.streams.create("/s", at(START.plusSeconds(100))).join();
        r.streams.create("/f", new CreateRequest(null, null, null, null, false, new byte[0],
                new ForkRequest("/s", null, 0))).join();
        r.streams.create("/g", new CreateRequest(null, 1000L, null, null, false, new byte[0],
                new ForkRequest("/s", null, 0))).join();
        assertThat(r.streams.head("/f").metadata().expiresAtInstant()).isEqualTo(START.plusSeconds(100));
        assertThat(r.streams.head("/g").metadata().expiresAtInstant()).isNull();
        assertThat(r.streams.head("/g").metadata().ttlSeconds()).isEqualTo(1000L);
    }
}
