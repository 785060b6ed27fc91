package org.httpfstream.durable;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import org.httpfstream.durable.DurableStreamException.Reason;
import org.httpfstream.durable.DurableStreams.AppendRequest;
import org.httpfstream.durable.DurableStreams.Appended;
import org.httpfstream.testing.StoreExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Appends' checks ({@code Stream-Seq}, closure, body, content type, JSON), on both stores. */
class AppendingTest {
    @RegisterExtension
    final StoreExtension stores = new StoreExtension();

    static AppendRequest seq(String seq, String body) {
        return new AppendRequest("text/plain", seq, null, false, body.getBytes(UTF_8));
    }

    static AppendRequest close(String body) {
        return new AppendRequest("text/plain", null, null, true, body.getBytes(UTF_8));
    }

    static DurableStreamException refused(Rules r, String path, AppendRequest request) {
        return catchThrowableOfType(() -> r.append(path, request), DurableStreamException.class);
    }

    Rules text(Rules.Store kind) throws IOException {
        Rules r = Rules.on(kind, stores);
        r.create("/t", "text/plain", "");
        return r;
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void streamSeqMustGrowAsAString(Rules.Store kind) throws IOException {
        Rules r = text(kind);
        r.append("/t", seq("b", "1"));
        DurableStreamException same = refused(r, "/t", seq("b", "x"));
        assertThat(same.reason()).isEqualTo(Reason.CONFLICT);
        assertThat(same).hasMessage("Stream-Seq b is not greater than the last one (b)");
        assertThat(refused(r, "/t", seq("a", "x")).reason()).isEqualTo(Reason.CONFLICT);
        r.append("/t", seq("ba", "2"));
        r.append("/t", Rules.append("text/plain", "3")); // no Stream-Seq: always taken
        assertThat(refused(r, "/t", seq("b9", "x")).reason()).isEqualTo(Reason.CONFLICT); // compared as strings: "b9" < "ba"
        r.append("/t", seq("c", "4"));
        assertThat(r.text("/t")).isEqualTo("1234");
    }

    @Test
    void theLastStreamSeqOutlivesTheRulesOverTheSameFiles() throws IOException {
        Rules r = text(Rules.Store.FILE);
        r.append("/t", seq("5", "1"));
        assertThat(refused(Rules.on(Rules.Store.FILE, stores), "/t", seq("5", "x")).reason())
                .isEqualTo(Reason.CONFLICT);
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void aClosedStreamRefusesAppendsWithItsFinalOffset(Rules.Store kind) throws IOException {
        Rules r = text(kind);
        assertThat(r.append("/t", close("abc"))).isEqualTo(new Appended(3, true, false, null));
        assertThat(r.streams.head("/t").closed()).isTrue();
        assertThat(r.streams.live(r.streams.head("/t"))).isFalse();
        assertThat(r.streams.ended(r.streams.head("/t").stream())).isTrue();
        DurableStreamException e = refused(r, "/t", Rules.append("text/plain", "d"));
        assertThat(e.reason()).isEqualTo(Reason.CLOSED);
        assertThat(e.nextOffset()).isEqualTo(3);
        assertThat(e).hasMessage("stream is closed");
        assertThat(refused(r, "/t", close("d")).reason()).isEqualTo(Reason.CLOSED);
        assertThat(r.append("/t", close(""))).isEqualTo(new Appended(3, true, false, null)); // closing again
        assertThat(r.text("/t")).isEqualTo("abc");
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void anEmptyCloseClosesWithoutWriting(Rules.Store kind) throws IOException {
        Rules r = text(kind);
        r.append("/t", Rules.append("text/plain", "ab"));
        assertThat(r.streams.live(r.streams.head("/t"))).isTrue();
        assertThat(r.streams.ended(r.streams.head("/t").stream())).isFalse();
        assertThat(r.append("/t", new AppendRequest(null, null, null, true, new byte[0])))
                .isEqualTo(new Appended(2, true, false, null));
        assertThat(r.streams.head("/t").closed()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void theBodyAndItsTypeAreChecked(Rules.Store kind) throws IOException {
        Rules r = text(kind);
        DurableStreamException empty = refused(r, "/t", Rules.append("text/plain", ""));
        assertThat(empty.reason()).isEqualTo(Reason.BAD_REQUEST);
        assertThat(empty).hasMessage("empty body: an append needs bytes");
        assertThat(refused(r, "/t", Rules.append(null, "a"))).hasMessage("missing Content-Type");
        assertThat(refused(r, "/t", Rules.append(" ", "a")).reason()).isEqualTo(Reason.BAD_REQUEST);
        DurableStreamException other = refused(r, "/t", Rules.append("text/html", "a"));
        assertThat(other.reason()).isEqualTo(Reason.CONFLICT);
        assertThat(other).hasMessage("content type text/html does not match the stream's text/plain");
        assertThat(r.append("/t", Rules.append("text/plain; charset=utf-8", "a")).tail()).isEqualTo(1);
        assertThat(r.append("/t", Rules.append("text/plain", "b")).tail()).isEqualTo(2); // the very same type
        assertThat(r.append("/t", Rules.append(" TEXT/Plain ", "c")).tail()).isEqualTo(3); // the same media type
        assertThat(refused(r, "/t", Rules.append("text/plainer", "d")).reason()).isEqualTo(Reason.CONFLICT);
        assertThat(refused(r, "/nothing", Rules.append("text/plain", "a")).reason()).isEqualTo(Reason.NOT_FOUND);
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void aJsonAppendStoresOneLinePerMessageAndRefusesAnEmptyArray(Rules.Store kind) throws IOException {
        Rules r = Rules.on(kind, stores);
        r.create("/j", "application/json", "");
        DurableStreamException e = refused(r, "/j", Rules.append("application/json", "[]"));
        assertThat(e.reason()).isEqualTo(Reason.BAD_REQUEST);
        assertThat(e).hasMessage("empty JSON array: nothing to append");
        assertThat(refused(r, "/j", Rules.append("application/json", "[1,")).reason()).isEqualTo(Reason.BAD_REQUEST);
        assertThat(r.append("/j", Rules.append("application/json", "[1,{\"a\":2}]")).tail()).isEqualTo(10);
        assertThat(r.append("/j", Rules.append("application/json", "\"s\"")).tail()).isEqualTo(14);
        assertThat(r.text("/j")).isEqualTo("1\n{\"a\":2}\n\"s\"\n");
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void anAppendRestartsTheSlidingTtl(Rules.Store kind) throws IOException {
        Rules r = Rules.on(kind, stores);
        r.streams.create("/t", new DurableStreams.CreateRequest("text/plain", 10L, null, null, false, new byte[0],
                null)).join();
        r.clock.advance(java.time.Duration.ofSeconds(9));
        r.append("/t", Rules.append("text/plain", "a"));
        r.clock.advance(java.time.Duration.ofSeconds(9));
        assertThat(r.streams.head("/t").tail()).isEqualTo(1);
    }
}
