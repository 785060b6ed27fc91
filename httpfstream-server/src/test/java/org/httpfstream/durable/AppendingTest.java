package org.httpfstream.durable;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.httpfstream.durable.Rules.assertRefused;

import java.io.IOException;
import org.httpfstream.durable.DurableStreamException.Reason;
import org.httpfstream.durable.DurableStreams.AppendRequest;
import org.httpfstream.durable.DurableStreams.Appended;
import org.junit.jupiter.api.Test;

/** Appends' checks ({@code Stream-Seq}, closure, body, content type, JSON), on both stores. */
class AppendingTest extends OnBothStores {
    static AppendRequest seq(String seq, String body) {
        return new AppendRequest("text/plain", seq, null, false, body.getBytes(UTF_8));
    }

    static AppendRequest close(String body) {
        return new AppendRequest("text/plain", null, null, true, body.getBytes(UTF_8));
    }

    static DurableStreamException refused(Rules r, String path, AppendRequest request) {
        return catchThrowableOfType(() -> r.append(path, request), DurableStreamException.class);
    }

    @Test
    void streamSeqMustGrowAsAString() throws IOException {
        r.create("/t", "text/plain", "");
        r.append("/t", seq("b", "1"));
        assertRefused(refused(r, "/t", seq("b", "x")),
                Reason.CONFLICT, "Stream-Seq b is not greater than the last one (b)");
        assertThat(refused(r, "/t", seq("a", "x")).reason()).isEqualTo(Reason.CONFLICT);
        r.append("/t", seq("ba", "2"));
        r.append("/t", Rules.append("text/plain", "3")); // no Stream-Seq: always taken
        assertThat(refused(r, "/t", seq("b9", "x")).reason()).isEqualTo(Reason.CONFLICT); // compared as strings: "b9" < "ba"
        r.append("/t", seq("c", "4"));
        assertThat(r.text("/t")).isEqualTo("1234");
    }

    @Test
    void aClosedStreamRefusesAppendsWithItsFinalOffset() throws IOException {
        r.create("/t", "text/plain", "");
        assertThat(r.append("/t", close("abc"))).isEqualTo(new Appended(3, true, false, null));
        assertThat(r.streams.head("/t").closed()).isTrue();
        assertThat(r.streams.live(r.streams.head("/t"))).isFalse();
        assertThat(r.streams.ended(r.streams.head("/t").stream())).isTrue();
        DurableStreamException e = refused(r, "/t", Rules.append("text/plain", "d"));
        assertThat(e.reason()).isEqualTo(Reason.CLOSED);
        assertThat(e.details().nextOffset()).isEqualTo(3);
        assertThat(e).hasMessage("stream is closed");
        assertThat(refused(r, "/t", close("d")).reason()).isEqualTo(Reason.CLOSED);
        assertThat(r.append("/t", close(""))).isEqualTo(new Appended(3, true, false, null)); // closing again
        assertThat(r.text("/t")).isEqualTo("abc");
    }

    @Test
    void anEmptyCloseClosesWithoutWriting() throws IOException {
        r.create("/t", "text/plain", "");
        r.append("/t", Rules.append("text/plain", "ab"));
        assertThat(r.streams.live(r.streams.head("/t"))).isTrue();
        assertThat(r.streams.ended(r.streams.head("/t").stream())).isFalse();
        assertThat(r.append("/t", new AppendRequest(null, null, null, true, new byte[0])))
                .isEqualTo(new Appended(2, true, false, null));
        assertThat(r.streams.head("/t").closed()).isTrue();
    }

    @Test
    void theBodyAndItsTypeAreChecked() throws IOException {
        r.create("/t", "text/plain", "");
        assertRefused(refused(r, "/t", Rules.append("text/plain", "")),
                Reason.BAD_REQUEST, "empty body: an append needs bytes");
        assertThat(refused(r, "/t", Rules.append(null, "a"))).hasMessage("missing Content-Type");
        assertThat(refused(r, "/t", Rules.append(" ", "a")).reason()).isEqualTo(Reason.BAD_REQUEST);
        assertRefused(refused(r, "/t", Rules.append("text/html", "a")),
                Reason.CONFLICT, "content type text/html does not match the stream's text/plain");
        assertThat(r.append("/t", Rules.append("text/plain; charset=utf-8", "a")).tail()).isEqualTo(1);
        assertThat(r.append("/t", Rules.append("text/plain", "b")).tail()).isEqualTo(2); // the very same type
        assertThat(r.append("/t", Rules.append(" TEXT/Plain ", "c")).tail()).isEqualTo(3); // the same media type
        assertThat(refused(r, "/t", Rules.append("text/plainer", "d")).reason()).isEqualTo(Reason.CONFLICT);
        assertThat(refused(r, "/nothing", Rules.append("text/plain", "a")).reason()).isEqualTo(Reason.NOT_FOUND);
    }

    @Test
    void aJsonAppendStoresOneLinePerMessageAndRefusesAnEmptyArray() throws IOException {
        r.create("/j", "application/json", "");
        assertRefused(refused(r, "/j", Rules.append("application/json", "[]")),
                Reason.BAD_REQUEST, "empty JSON array: nothing to append");
        assertThat(refused(r, "/j", Rules.append("application/json", "[1,")).reason()).isEqualTo(Reason.BAD_REQUEST);
        assertThat(r.append("/j", Rules.append("application/json", "[1,{\"a\":2}]")).tail()).isEqualTo(10);
        assertThat(r.append("/j", Rules.append("application/json", "\"s\"")).tail()).isEqualTo(14);
        assertThat(r.text("/j")).isEqualTo("1\n{\"a\":2}\n\"s\"\n");
    }

    @Test
    void anAppendRestartsTheSlidingTtl() throws IOException {
        r.streams.create("/t", new DurableStreams.CreateRequest("text/plain", 10L, null, null, false, new byte[0],
                null)).join();
        r.clock.advance(java.time.Duration.ofSeconds(9));
        r.append("/t", Rules.append("text/plain", "a"));
        r.clock.advance(java.time.Duration.ofSeconds(9));
        assertThat(r.streams.head("/t").tail()).isEqualTo(1);
    }
}
