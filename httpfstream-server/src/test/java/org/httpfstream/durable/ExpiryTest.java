package org.httpfstream.durable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import org.httpfstream.durable.DurableStreamException.Reason;
import org.httpfstream.durable.DurableStreams.CreateRequest;
import org.httpfstream.durable.DurableStreams.ForkRequest;
import org.junit.jupiter.api.Test;

/** Sliding TTLs and absolute expiry on a manual clock, on both stores. */
class ExpiryTest extends OnBothStores {
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

    /** Asserts that "/t" is there now and gone once the clock moved by {@code more}. */
    void assertGoneAfter(Duration more) throws IOException {
        assertThat(gone(r, "/t")).isFalse();
        r.clock.advance(more);
        assertThat(gone(r, "/t")).isTrue();
    }

    @Test
    void aTtlStreamExpiresExactlyItsTtlAfterTheLastAccess() throws IOException {
        r.streams.create("/t", ttl(10)).join();
        r.clock.advance(Duration.ofMillis(9_999));
        assertThat(r.streams.head("/t").tail()).isEqualTo(3); // head is no access
        assertGoneAfter(Duration.ofMillis(1));
        assertThat(catchThrowableOfType(() -> r.streams.head("/t"), DurableStreamException.class).reason())
                .isEqualTo(Reason.NOT_FOUND);
        assertThat(r.create("/t", "text/html", "").created()).isTrue(); // the path is free again
    }

    @Test
    void openingAndReadingRestartTheTtl() throws IOException {
        r.streams.create("/t", ttl(10)).join();
        r.clock.advance(Duration.ofSeconds(8));
        DurableStreams.Snapshot s = r.streams.open("/t");
        r.clock.advance(Duration.ofSeconds(8));
        r.streams.openRead(s, 0, 0).close();
        r.clock.advance(Duration.ofSeconds(8));
        assertGoneAfter(Duration.ofSeconds(2));
    }

    @Test
    void anAppendRestartsTheTtl() throws IOException {
        r.streams.create("/t", ttl(10)).join();
        r.clock.advance(Duration.ofSeconds(8));
        r.append("/t", Rules.append("text/plain", "d"));
        r.clock.advance(Duration.ofSeconds(8));
        assertThat(gone(r, "/t")).as("16 s after its creation, 8 s after the append").isFalse();
        assertThat(r.streams.head("/t").tail()).isEqualTo(4); // head is no access
        r.clock.advance(Duration.ofSeconds(2));
        assertThat(gone(r, "/t")).as("10 s after the append").isTrue();
    }

    @Test
    void openingAloneRestartsTheTtl() throws IOException {
        r.streams.create("/t", ttl(10)).join();
        r.clock.advance(Duration.ofSeconds(8));
        r.streams.open("/t");
        r.clock.advance(Duration.ofSeconds(8));
        assertGoneAfter(Duration.ofSeconds(2));
    }

    @Test
    void anExpiresAtStreamIsGoneFromThatInstantOn() throws IOException {
        r.streams.create("/t", at(START.plusSeconds(5))).join();
        r.clock.advance(Duration.ofMillis(4_999));
        r.streams.open("/t"); // access does not move an absolute expiry
        assertGoneAfter(Duration.ofMillis(1));
    }

    @Test
    void anExpiredStreamRefusesAppends() throws IOException {
        r.streams.create("/t", ttl(1)).join();
        r.clock.advance(Duration.ofSeconds(1));
        assertThat(catchThrowableOfType(() -> r.append("/t", Rules.append("text/plain", "x")),
                DurableStreamException.class).reason()).isEqualTo(Reason.NOT_FOUND);
    }

    @Test
    void aForkInheritsItsSourcesExpiryUnlessItSetsOne() throws IOException {
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
