package org.httpfstream.durable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.httpfstream.durable.Rules.assertRefused;

import java.io.IOException;
import org.httpfstream.durable.DurableStreamException.Reason;
import org.httpfstream.durable.DurableStreams.CreateRequest;
import org.httpfstream.durable.DurableStreams.Created;
import org.httpfstream.durable.DurableStreams.ForkRequest;
import org.httpfstream.store.Offsets;
import org.junit.jupiter.api.Test;

/** Forks: where they start (offset and sub-offset bounds), their bytes, and soft deletes, on both stores. */
class ForksTest extends OnBothStores {
    static CreateRequest fork(String source, String offset, long sub) {
        return new CreateRequest(null, null, null, null, false, new byte[0], new ForkRequest(source, offset, sub));
    }

    static DurableStreamException refused(Rules r, String path, CreateRequest request) {
        return catchThrowableOfType(() -> r.streams.create(path, request).join(), DurableStreamException.class);
    }

    static DurableStreamException headRefused(Rules r, String path) {
        return catchThrowableOfType(() -> r.streams.head(path), DurableStreamException.class);
    }

    @Test
    void aForkHasItsSourcesBytesThenItsOwn() throws IOException {
        r.create("/s", "text/plain", "0123456789");
        Created f = r.streams.create("/f", fork("/s", null, 0)).join();
        assertThat(f.snapshot().tail()).isEqualTo(10);
        assertThat(r.streams.head("/f").metadata().contentType()).isEqualTo("text/plain");
        r.append("/f", Rules.append("text/plain", "f"));
        r.append("/s", Rules.append("text/plain", "s"));
        assertThat(r.text("/f")).isEqualTo("0123456789f");
        assertThat(r.text("/s")).isEqualTo("0123456789s");
    }

    @Test
    void aForkStartsAtItsOffsetPlusItsSubOffsetWithinTheData() throws IOException {
        r.create("/s", "text/plain", "0123456789");
        r.streams.create("/a", fork("/s", Offsets.format(4), 0)).join();
        r.streams.create("/b", fork("/s", Offsets.format(4), 3)).join();
        r.streams.create("/c", fork("/s", Offsets.format(4), 6)).join(); // up to the tail exactly
        r.streams.create("/z", fork("/s", "0000000000000000_0000000000000000", 2)).join();
        assertThat(r.text("/a")).isEqualTo("0123");
        assertThat(r.text("/b")).isEqualTo("0123456");
        assertThat(r.text("/c")).isEqualTo("0123456789");
        assertThat(r.text("/z")).isEqualTo("01");
        assertRefused(refused(r, "/d", fork("/s", Offsets.format(4), 7)),
                Reason.BAD_REQUEST, "Stream-Fork-Sub-Offset 7 is past the stream's data");
        DurableStreamException bad = refused(r, "/d", fork("/s", "junk", 0));
        assertThat(bad.reason()).isEqualTo(Reason.BAD_REQUEST);
        assertThat(bad.getMessage()).startsWith("bad Stream-Fork-Offset: ");
        assertThat(r.streams.snapshot("/d")).isNull();
    }

    @Test
    void aJsonForksSubOffsetCountsMessages() throws IOException {
        r.create("/s", "application/json", "[1,22,333]"); // "1\n22\n333\n"
        r.streams.create("/a", fork("/s", Offsets.format(2), 1)).join();
        r.streams.create("/b", fork("/s", Offsets.format(2), 2)).join(); // the last message exactly
        assertThat(r.text("/a")).isEqualTo("1\n22\n");
        assertThat(r.text("/b")).isEqualTo("1\n22\n333\n");
        assertRefused(refused(r, "/c", fork("/s", Offsets.format(2), 3)),
                Reason.BAD_REQUEST, "Stream-Fork-Sub-Offset 3 is past the stream's last message");
    }

    @Test
    void aForkMustExistAndKeepItsSourcesType() throws IOException {
        r.create("/s", "text/plain", "ab");
        assertRefused(refused(r, "/f", fork("/nothing", null, 0)),
                Reason.NOT_FOUND, "no such stream to fork: /nothing");
        CreateRequest html = new CreateRequest("text/html", null, null, null, false, new byte[0],
                new ForkRequest("/s", null, 0));
        assertRefused(refused(r, "/f", html),
                Reason.CONFLICT, "content type text/html differs from the source's text/plain");
    }

    @Test
    void anEqualForkIsConfirmedAndAnotherStartConflicts() throws IOException {
        r.create("/s", "text/plain", "0123");
        r.create("/t", "text/plain", "0123");
        r.streams.create("/f", fork("/s", Offsets.format(2), 0)).join();
        assertThat(r.streams.create("/f", fork("/s", Offsets.format(1), 1)).join().created()).isFalse();
        assertThat(refused(r, "/f", fork("/s", Offsets.format(3), 0)).reason()).isEqualTo(Reason.CONFLICT);
        assertThat(refused(r, "/f", fork("/t", Offsets.format(2), 0)).reason()).isEqualTo(Reason.CONFLICT);
        assertThat(refused(r, "/s", fork("/t", null, 0)).reason()).isEqualTo(Reason.CONFLICT); // not a fork
        assertThat(refused(r, "/f", Rules.create("text/plain", "")).reason()).isEqualTo(Reason.CONFLICT);
    }

    @Test
    void aDeletedSourceStaysSoftDeletedUntilItsLastForkGoes() throws IOException {
        r.create("/s", "text/plain", "abc");
        r.streams.create("/f", fork("/s", null, 0)).join();
        r.streams.create("/g", fork("/s", null, 0)).join();
        r.streams.delete("/s").join();
        assertRefused(headRefused(r, "/s"), Reason.GONE, "stream /s was deleted");
        assertRefused(refused(r, "/s", Rules.create("text/plain", "")),
                Reason.CONFLICT, "stream /s was deleted; forks still use it");
        assertThat(catchThrowableOfType(() -> r.append("/s", Rules.append("text/plain", "x")),
                DurableStreamException.class).reason()).isEqualTo(Reason.GONE);
        assertThat(r.text("/f")).isEqualTo("abc");
        r.streams.delete("/f").join();
        assertThat(headRefused(r, "/s").reason()).isEqualTo(Reason.GONE); // "/g" still uses it
        assertThat(r.text("/g")).isEqualTo("abc");
        r.streams.delete("/g").join();
        assertThat(headRefused(r, "/s").reason()).isEqualTo(Reason.NOT_FOUND);
        assertThat(r.create("/s", "text/plain", "new").created()).isTrue();
    }

    @Test
    void aSourceWhoseForksWentIsDeletedOutright() throws IOException {
        r.create("/s", "text/plain", "abc");
        r.streams.create("/f", fork("/s", null, 0)).join();
        r.streams.delete("/f").join();
        r.streams.delete("/s").join();
        assertThat(headRefused(r, "/s").reason()).isEqualTo(Reason.NOT_FOUND);
    }

    @Test
    void deletingTheLastForkOfAChainRemovesEveryDeletedSource() throws IOException {
        r.create("/a", "text/plain", "a");
        r.streams.create("/b", fork("/a", null, 0)).join();
        r.streams.create("/c", fork("/b", null, 0)).join();
        r.streams.delete("/a").join();
        r.streams.delete("/b").join();
        assertThat(headRefused(r, "/a").reason()).isEqualTo(Reason.GONE);
        assertThat(headRefused(r, "/b").reason()).isEqualTo(Reason.GONE);
        r.streams.delete("/c").join();
        assertThat(headRefused(r, "/a").reason()).isEqualTo(Reason.NOT_FOUND);
        assertThat(headRefused(r, "/b").reason()).isEqualTo(Reason.NOT_FOUND);
    }

    @Test
    void anExpiredForkReleasesItsSource() throws IOException {
        r.create("/s", "text/plain", "abc");
        r.streams.create("/f", new CreateRequest(null, 5L, null, null, false, new byte[0],
                new ForkRequest("/s", null, 0))).join();
        r.streams.delete("/s").join();
        r.clock.advance(java.time.Duration.ofSeconds(5));
        assertThat(r.streams.snapshot("/f")).isNull();
        assertThat(headRefused(r, "/s").reason()).isEqualTo(Reason.NOT_FOUND);
    }
}
