package org.httpfstream.durable;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.httpfstream.durable.DurableStreamException.Reason;
import org.httpfstream.store.AppendSession;
import org.httpfstream.store.StreamClosedException;
import org.httpfstream.store.WriterConflictException;
import org.httpfstream.testing.StoreExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Durable Streams rules beside the original protocol's append sessions on the same files: a session
 * holds the stream (appends and deletes refused), a closed or deleted stream refuses new sessions, and a
 * stream a session wrote takes the type of the first Durable Streams append that sets state.
 */
class WebSocketSessionsTest {
    @RegisterExtension
    final StoreExtension stores = new StoreExtension();

    @Test
    void aSessionHoldsTheStreamAgainstAppendsAndDeletes() throws IOException {
        Rules r = Rules.on(Rules.Store.FILE, stores);
        r.create("/t", "text/plain", "ab");
        AppendSession session = stores.store().startAppend("/t");
        try {
            session.append(ByteBuffer.wrap("cd".getBytes(UTF_8)));
            assertThatThrownBy(() -> r.append("/t", Rules.append("text/plain", "x")))
                    .isInstanceOf(WriterConflictException.class)
                    .hasMessage("a WebSocket appender is active on /t; appends are refused until it ends");
            assertThatThrownBy(() -> r.streams.delete("/t")).isInstanceOf(WriterConflictException.class)
                    .hasMessage("a WebSocket appender is active on /t");
        } finally {
            session.end().join();
        }
        assertThat(r.append("/t", Rules.append("text/plain", "e")).tail()).isEqualTo(5);
        assertThat(r.text("/t")).isEqualTo("abcde");
    }

    @Test
    void aClosedStreamRefusesNewSessions() throws IOException {
        Rules r = Rules.on(Rules.Store.FILE, stores);
        r.streams.create("/t", new DurableStreams.CreateRequest("text/plain", null, null, null, true,
                new byte[0], null)).join();
        assertThatThrownBy(() -> stores.store().startAppend("/t")).isInstanceOf(StreamClosedException.class);
    }

    @Test
    void aSoftDeletedStreamRefusesNewSessionsAsGone() throws IOException {
        Rules r = Rules.on(Rules.Store.FILE, stores);
        r.create("/s", "text/plain", "ab");
        r.streams.create("/f", ForksTest.fork("/s", null, 0)).join();
        r.streams.delete("/s").join();
        DurableStreamException e = catchThrowableOfType(() -> stores.store().startAppend("/s"),
                DurableStreamException.class);
        assertThat(e.reason()).isEqualTo(Reason.GONE);
    }

    @Test
    void aStreamASessionWroteIsLiveWhileItRunsAndTakesTheTypeOfItsFirstStatefulAppend() throws IOException {
        Rules r = Rules.on(Rules.Store.FILE, stores);
        AppendSession session = stores.store().startAppend("/w");
        session.append(ByteBuffer.wrap("ab".getBytes(UTF_8)));
        DurableStreams.Snapshot s = r.streams.head("/w");
        assertThat(s.managed()).isFalse();
        assertThat(r.streams.live(s)).isTrue();
        session.end().join();
        assertThat(r.streams.live(r.streams.head("/w"))).isFalse();
        assertThat(r.append("/w", Rules.append("text/html", "c")).tail()).isEqualTo(3); // no state: stays unmanaged
        assertThat(r.streams.managed("/w")).isFalse();
        // The first append that sets state (here a Stream-Seq) gives the stream its metadata and type.
        assertThat(r.append("/w", new DurableStreams.AppendRequest(" text/csv ", "1", null, false,
                "d".getBytes(UTF_8))).tail()).isEqualTo(4);
        assertThat(r.streams.head("/w").metadata().contentType()).isEqualTo("text/csv");
        assertThat(r.streams.managed("/w")).isTrue();
        assertThat(catchThrowableOfType(() -> r.append("/w", Rules.append("text/plain", "e")),
                DurableStreamException.class).reason()).isEqualTo(Reason.CONFLICT);
    }
}
