package org.httpfstream.durable;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.httpfstream.testing.StoreExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Where a catch-up read ends ({@link DurableStreams#openRead}), on temp files, without a network. */
class DurableStreamsOpenReadTest {
    @RegisterExtension
    final StoreExtension stores = new StoreExtension();

    DurableStreams.Snapshot create(String path, String type, String body) throws IOException {
        stores.streams().create(path, new DurableStreams.CreateRequest(type, null, null, null, false,
                body.getBytes(UTF_8), null)).join();
        return stores.streams().open(path);
    }

    static String read(DurableStreams.Extent e) throws IOException {
        try (var ch = e.channel()) {
            ByteBuffer b = ByteBuffer.allocate((int) e.length());
            while (b.hasRemaining()) {
                ch.read(b, e.from() + b.position());
            }
            return new String(b.array(), UTF_8);
        }
    }

    /** Reads the text stream "0123456789" from {@code from} up to {@code cap}; checks where it ends and what it holds. */
    void assertTextRead(long from, long cap, long next, boolean upToDate, String bytes) throws IOException {
        DurableStreams.Extent e = stores.streams().openRead(create("/t", "text/plain", "0123456789"), from, cap);
        assertThat(e.next()).isEqualTo(next);
        assertThat(e.upToDate()).isEqualTo(upToDate);
        assertThat(read(e)).isEqualTo(bytes);
    }

    @Test
    void withoutACapAReadGoesToTheTail() throws IOException {
        assertTextRead(3, 0, 10, true, "3456789");
    }

    @Test
    void aCappedByteReadEndsAtTheCap() throws IOException {
        assertTextRead(2, 4, 6, false, "2345");
    }

    @Test
    void aCappedJsonReadEndsAfterTheLastWholeMessageWithinTheCap() throws IOException {
        // Stored as the lines {"a":1}\n {"b":22}\n {"c":333}\n (8, 9 and 10 bytes).
        DurableStreams.Snapshot s = create("/j", "application/json", "[{\"a\":1},{\"b\":22},{\"c\":333}]");
        assertThat(s.tail()).isEqualTo(27);
        assertThat(read(stores.streams().openRead(s, 0, 20))).isEqualTo("{\"a\":1}\n{\"b\":22}\n");
        assertThat(read(stores.streams().openRead(s, 0, 17))).isEqualTo("{\"a\":1}\n{\"b\":22}\n");
        assertThat(read(stores.streams().openRead(s, 8, 100))).isEqualTo("{\"b\":22}\n{\"c\":333}\n");
    }

    @Test
    void oneJsonMessageLongerThanTheCapIsReadWhole() throws IOException {
        DurableStreams.Snapshot s = create("/j", "application/json", "[{\"a\":1},{\"b\":22},{\"c\":333}]");
        assertThat(read(stores.streams().openRead(s, 0, 3))).isEqualTo("{\"a\":1}\n");
        assertThat(read(stores.streams().openRead(s, 17, 1))).isEqualTo("{\"c\":333}\n");
    }

    @Test
    void argumentsAreChecked() throws IOException {
        DurableStreams.Snapshot s = create("/t", "text/plain", "abc");
        assertThatThrownBy(() -> stores.streams().openRead(s, 4, 0)).hasMessage("from out of range: 4");
        assertThatThrownBy(() -> stores.streams().openRead(s, 0, -1)).hasMessage("max < 0: -1");
    }
}
