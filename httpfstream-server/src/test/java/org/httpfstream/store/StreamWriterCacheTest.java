package org.httpfstream.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.httpfstream.durable.DurableStreamException;
import org.httpfstream.durable.DurableStreams;
import org.httpfstream.testing.Await;
import org.httpfstream.testing.StoreExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The writer cache: a stream's file stays open between appends, and is closed when idle or deleted. */
class StreamWriterCacheTest {
    @RegisterExtension
    final StoreExtension stores = new StoreExtension();
    Path root;
    StreamStore store;
    DurableStreams streams;

    @BeforeEach
    void open() {
        root = stores.root();
        store = stores.store();
        streams = stores.streams();
    }

    void create(String path) throws IOException {
        streams.create(path, new DurableStreams.CreateRequest("text/plain", null, null, null, false, new byte[0],
                null)).join();
    }

    /** Creates {@code path} as text/plain, then appends {@code body} to it. */
    void createHolding(String path, String body) throws IOException {
        create(path);
        append(path, body);
    }

    DurableStreams.Appended append(String path, String body) throws IOException {
        return streams.append(path, new DurableStreams.AppendRequest("text/plain", null, null, false,
                body.getBytes(UTF_8))).join();
    }

    @Test
    void appendsToOneStreamGoThroughOneOpenWriter() throws IOException {
        createHolding("/a/s.txt", "one ");
        StreamWriter w = store.openWriterOf(root.toRealPath().resolve("a/s.txt"));
        assertThat(w).isNotNull();
        assertThat(store.cachedWriter("/a/s.txt")).isSameAs(w);
        assertThat(append("/a/s.txt", "two").tail()).isEqualTo(7);
        assertThat(store.openWriterOf(root.toRealPath().resolve("a/s.txt"))).isSameAs(w);
        assertThat(Files.readString(root.resolve("a/s.txt"))).isEqualTo("one two");
    }

    @Test
    void aDeletedStreamsWriterIsClosedAndANewStreamStartsEmpty() throws IOException {
        createHolding("/d.txt", "old");
        StreamWriter old = store.cachedWriter("/d.txt");
        streams.delete("/d.txt").join();
        assertThat(old.isOpen()).isFalse();
        assertThat(store.cachedWriter("/d.txt")).isNull();
        assertThatThrownBy(() -> append("/d.txt", "lost")).isInstanceOf(DurableStreamException.class);
        createHolding("/d.txt", "new");
        assertThat(Files.readString(root.resolve("d.txt"))).isEqualTo("new");
    }

    @Test
    void anIdleWriterIsClosedAndTheNextAppendReopensTheFile() throws IOException {
        createHolding("/idle.txt", "a");
        StreamWriter first = store.cachedWriter("/idle.txt");
        store.idleTimeout(0);
        Await.until("the idle writer is closed", () -> !first.isOpen());
        assertThat(store.cachedWriter("/idle.txt")).isNull();
        store.idleTimeout(Duration.ofMinutes(1).toNanos());
        assertThat(append("/idle.txt", "b").tail()).isEqualTo(2);
        assertThat(store.cachedWriter("/idle.txt")).isNotSameAs(first);
        assertThat(Files.readString(root.resolve("idle.txt"))).isEqualTo("ab");
    }

    @Test
    void aWebSocketSessionAndPostsShareTheWriterOneAtATime() throws IOException {
        createHolding("/shared.txt", "post ");
        AppendSession session = store.startAppend("/shared.txt");
        assertThat(session.length()).isEqualTo(5);
        session.append(ByteBuffer.wrap("ws ".getBytes(UTF_8)));
        assertThatThrownBy(() -> append("/shared.txt", "refused"))
                .isInstanceOf(WriterConflictException.class)
                .hasMessage("a WebSocket appender is active on /shared.txt; appends are refused until it ends");
        session.end().join();
        assertThat(append("/shared.txt", "post").tail()).isEqualTo(12);
        assertThat(Files.readString(root.resolve("shared.txt"))).isEqualTo("post ws post");
    }
}
