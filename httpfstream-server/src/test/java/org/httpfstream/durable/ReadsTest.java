package org.httpfstream.durable;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.httpfstream.durable.DurableStreams.Extent;
import org.httpfstream.durable.DurableStreams.Snapshot;
import org.junit.jupiter.api.Test;

/** Capped JSON reads across more than one block, and snapshots refreshed without the lock, on both stores. */
class ReadsTest extends OnBothStores {
    /** A JSON stream of the message "1" then one string message of 200,000 bytes with its quotes. */
    static Snapshot longMessage(Rules r) throws IOException {
        String big = "\"" + "x".repeat(199_998) + "\"";
        r.create("/j", "application/json", "[1," + big + "]");
        return r.streams.open("/j");
    }

    @Test
    void aCapInsideALongMessageEndsAfterTheMessageBeforeIt() throws IOException {
        Snapshot s = longMessage(r);
        assertThat(s.tail()).isEqualTo(200_003);
        Extent e = r.streams.openRead(s, 0, 150_000); // two blocks back from the cap to the first line end
        assertThat(e.next()).isEqualTo(2);
        assertThat(e.upToDate()).isFalse();
        assertThat(Rules.read(e)).isEqualTo("1\n");
    }

    @Test
    void aMessageLongerThanTheCapAndABlockIsReadWhole() throws IOException {
        Snapshot s = longMessage(r);
        Extent e = r.streams.openRead(s, 2, 10);
        assertThat(e.next()).isEqualTo(200_003);
        assertThat(e.length()).isEqualTo(200_001);
        assertThat(e.upToDate()).isTrue();
        assertThat(Rules.read(e)).endsWith("x\"\n");
    }

    @Test
    void aRefreshedSnapshotSeesNewBytesAndClosure() throws IOException {
        r.create("/t", "text/plain", "ab");
        Snapshot s = r.streams.open("/t");
        r.append("/t", new DurableStreams.AppendRequest("text/plain", null, null, true, "cd".getBytes(UTF_8)));
        Snapshot now = r.streams.refresh("/t", s);
        assertThat(now.tail()).isEqualTo(4);
        assertThat(now.closed()).isTrue();
        assertThat(now.managed()).isTrue();
        r.streams.delete("/t").join();
        assertThat(r.streams.refresh("/t", s)).isNull();
    }

    @Test
    void anExpiredStreamIsNotRefreshed() throws IOException {
        r.streams.create("/t", new DurableStreams.CreateRequest("text/plain", 1L, null, null, false,
                "ab".getBytes(UTF_8), null)).join();
        Snapshot s = r.streams.open("/t");
        r.append("/t", Rules.append("text/plain", "c")); // an open writer: the quick path applies
        r.clock.advance(java.time.Duration.ofSeconds(1));
        assertThat(r.streams.refresh("/t", s)).isNull();
    }
}
