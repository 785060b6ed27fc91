package org.httpfstream.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.httpfstream.testing.StoreExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One notification path per publish: an append tells every kind of follower (a session's follower, a
 * watcher such as a long poll, a change listener such as a webhook wake-up) once, through {@link
 * StreamStore#changed}, and so does the end of a WebSocket append session.
 */
class NotificationTest {
    @RegisterExtension
    final StoreExtension stores = new StoreExtension();

    @Test
    void anAppendAndASessionsEndTellEveryKindOfFollowerOnce() throws Exception {
        StreamStore store = stores.store();
        AppendSession session = store.startAppend("/n.log");
        Path file = store.locate("/n.log");
        AtomicInteger follower = new AtomicInteger();
        AtomicInteger watcher = new AtomicInteger();
        AtomicInteger changes = new AtomicInteger();
        store.watch(file, watcher::incrementAndGet);
        store.addChangeListener(f -> {
            if (f.equals(file)) {
                changes.incrementAndGet();
            }
        });
        try (Follower f = session.follow(0, follower::incrementAndGet)) {
            session.append(ByteBuffer.wrap("a".getBytes(UTF_8)));
            assertThat(follower).hasValue(1);
            assertThat(watcher).hasValue(1);
            assertThat(changes).hasValue(1);

            session.end().join();
            assertThat(follower).hasValue(2);
            assertThat(watcher).hasValue(2);
            assertThat(changes).hasValue(2);
            assertThat(f.ended()).isTrue();
            assertThat(f.length()).isEqualTo(1);
        }
        AppendSession next = store.startAppend("/n.log");
        next.append(ByteBuffer.wrap("b".getBytes(UTF_8)));
        next.end().join();
        assertThat(follower).as("a closed follower is told nothing").hasValue(2);
        assertThat(watcher).hasValue(4);
    }
}
