package org.httpfstream.durable;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.httpfstream.store.AppendSession;
import org.httpfstream.store.StoredStream;
import org.httpfstream.testing.StoreExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * With durable writes, a producer's appends record the stream's length in its metadata (so a crash's
 * unanswered bytes are cut at the next start); a WebSocket appender's session drops that record, since
 * its bytes extend the stream without it.
 */
class SessionRecordTest {
    @RegisterExtension
    final StoreExtension stores = new StoreExtension(true);

    @Test
    void aProducersAppendRecordsTheLengthAndAWebSocketSessionDropsIt() throws IOException {
        Rules r = Rules.on(Rules.Store.FILE, stores);
        r.create("/p", "text/plain", "abc");
        StoredStream stream = r.streams.storage().stream("/p");
        assertThat(stream.metadata().orElseThrow().length()).isEqualTo(-1); // no producer yet: nothing recorded
        r.append("/p", Rules.produce("a", 0, 0, "de"));
        assertThat(stream.metadata().orElseThrow().length()).isEqualTo(5);
        r.append("/p", Rules.produce("a", 0, 1, "f"));
        assertThat(stream.metadata().orElseThrow().length()).isEqualTo(6);
        AppendSession session = stores.store().startAppend("/p");
        try {
            assertThat(stream.metadata().orElseThrow().length()).isEqualTo(-1);
        } finally {
            session.end().join();
        }
        assertThat(r.text("/p")).isEqualTo("abcdef");
    }
}
