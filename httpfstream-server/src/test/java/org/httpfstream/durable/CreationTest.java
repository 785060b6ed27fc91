package org.httpfstream.durable;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.httpfstream.durable.Rules.assertRefused;

import java.io.IOException;
import java.time.Instant;
import org.httpfstream.durable.DurableStreamException.Reason;
import org.httpfstream.durable.DurableStreams.CreateRequest;
import org.httpfstream.durable.DurableStreams.Created;
import org.httpfstream.store.StreamMetadata;
import org.junit.jupiter.api.Test;

/** Creating a stream, and the confirmation or refusal of a second create, on both stores. */
class CreationTest extends OnBothStores {
    static CreateRequest request(String type, Long ttl, Instant expiresAt, boolean closed) {
        return new CreateRequest(type, ttl, expiresAt == null ? null : expiresAt.toString(), expiresAt, closed,
                new byte[0], null);
    }

    static DurableStreamException refused(Rules r, String path, CreateRequest request) {
        return catchThrowableOfType(() -> r.streams.create(path, request).join(), DurableStreamException.class);
    }

    @Test
    void aNewStreamHoldsItsBodyAndConfiguration() throws IOException {
        Instant at = Instant.parse("2027-01-01T00:00:00Z");
        Created c = r.streams.create("/s", new CreateRequest(" text/plain ", 60L, at.toString(), at, false,
                "hello".getBytes(UTF_8), null)).join();
        assertThat(c.created()).isTrue();
        assertThat(c.snapshot().tail()).isEqualTo(5);
        assertThat(c.snapshot().managed()).isTrue();
        StreamMetadata m = r.streams.head("/s").metadata();
        assertThat(m.contentType()).isEqualTo("text/plain");
        assertThat(m.ttlSeconds()).isEqualTo(60L);
        assertThat(m.expiresAtInstant()).isEqualTo(at);
        assertThat(m.closed()).isFalse();
        assertThat(r.text("/s")).isEqualTo("hello");
        assertThat(r.streams.managed("/s")).isTrue();
        assertThat(r.streams.managed("/other")).isFalse();
    }

    @Test
    void withoutATypeAStreamIsBinary() throws IOException {
        r.streams.create("/a", request(null, null, null, false)).join();
        r.streams.create("/b", request("  ", null, null, false)).join();
        assertThat(r.streams.head("/a").metadata().contentType()).isEqualTo(StreamMetadata.DEFAULT_CONTENT_TYPE);
        assertThat(r.streams.head("/b").metadata().contentType()).isEqualTo(StreamMetadata.DEFAULT_CONTENT_TYPE);
    }

    @Test
    void aStreamCanBeCreatedClosed() throws IOException {
        Created c = r.streams.create("/c", new CreateRequest("text/plain", null, null, null, true,
                "last".getBytes(UTF_8), null)).join();
        assertThat(c.snapshot().closed()).isTrue();
        assertThat(r.streams.head("/c").closed()).isTrue();
        assertThat(r.streams.head("/c").tail()).isEqualTo(4);
        assertThat(catchThrowableOfType(() -> r.append("/c", Rules.append("text/plain", "x")),
                DurableStreamException.class).reason()).isEqualTo(Reason.CLOSED);
    }

    @Test
    void anEqualCreateConfirmsTheStreamAndADifferentOneConflicts() throws IOException {
        Instant at = Instant.parse("2027-01-01T00:00:00Z");
        r.streams.create("/s", request("text/plain", 60L, at, false)).join();
        r.append("/s", Rules.append("text/plain", "ab"));
        Created again = r.streams.create("/s", request("text/plain; charset=utf-8", 60L, at, false)).join();
        assertThat(again.created()).isFalse();
        assertThat(again.snapshot().tail()).isEqualTo(2);
        for (CreateRequest other : new CreateRequest[] {request("text/html", 60L, at, false),
                request("text/plain", 61L, at, false), request("text/plain", null, at, false),
                request("text/plain", 60L, at.plusSeconds(1), false), request("text/plain", 60L, null, false),
                request("text/plain", 60L, at, true)}) {
            DurableStreamException e = refused(r, "/s", other);
            assertThat(e.reason()).as("%s", other).isEqualTo(Reason.CONFLICT);
            assertThat(e).hasMessage("stream /s already exists with a different configuration");
        }
        assertThat(r.text("/s")).isEqualTo("ab");
    }

    @Test
    void aJsonStreamStoresItsInitialMessagesOnePerLine() throws IOException {
        assertThat(r.create("/j", "application/json", "[1,2]").snapshot().tail()).isEqualTo(4);
        assertThat(r.text("/j")).isEqualTo("1\n2\n");
        assertThat(r.create("/e", "application/json", "[]").snapshot().tail()).isZero();
        assertThat(refused(r, "/bad", Rules.create("application/json", "[1,")).reason()).isEqualTo(Reason.BAD_REQUEST);
        assertThat(r.streams.snapshot("/bad")).isNull();
    }

    @Test
    void aDeletedStreamIsGoneAndCanBeMadeAgain() throws IOException {
        r.create("/s", "text/plain", "old");
        r.streams.delete("/s").join();
        assertThat(r.streams.snapshot("/s")).isNull();
        assertThat(r.streams.managed("/s")).isFalse();
        assertRefused(catchThrowableOfType(() -> r.streams.head("/s"), DurableStreamException.class),
                Reason.NOT_FOUND, "no such stream: /s");
        assertThat(catchThrowableOfType(() -> r.streams.delete("/s"), DurableStreamException.class).reason())
                .isEqualTo(Reason.NOT_FOUND);
        assertThat(r.create("/s", "text/html", "new").created()).isTrue();
        assertThat(r.text("/s")).isEqualTo("new");
    }
}
