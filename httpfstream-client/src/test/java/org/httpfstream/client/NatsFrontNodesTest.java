package org.httpfstream.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import org.httpfstream.server.HttpFStreamServer;
import org.httpfstream.testing.Await;
import org.httpfstream.testing.NatsCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two front nodes ({@code -store=nats}) over one real 3-node JetStream cluster, driven by the Java
 * client over the original protocol: an append on node A is followed live on node B with the same bytes
 * and offsets, and a second appender on B is refused as on one node.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class NatsFrontNodesTest {
    @RegisterExtension
    static final NatsCluster nats = new NatsCluster();

    @TempDir Path rootA;
    @TempDir Path rootB;
    HttpFStreamServer a;
    HttpFStreamServer b;

    @BeforeEach
    void startTwoFrontNodes() throws IOException {
        a = HttpFStreamServer.builder().root(rootA).bind("127.0.0.1", 0).nats(java.util.List.of(nats.url(0)))
                .build().start();
        b = HttpFStreamServer.builder().root(rootB).bind("127.0.0.1", 0).nats(java.util.List.of(nats.url(1)))
                .build().start();
    }

    @AfterEach
    void stop() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    @Test
    void anAppendOnOneNodeIsFollowedLiveOnTheOtherAndASecondAppenderThereIsRefused() throws Exception {
        try (OutputStream out = HttpFStream.openAppend(a.uri().resolve("/live/build.log"))) {
            out.write("hello ".getBytes(UTF_8));
            out.flush();
            Await.until("node B sees A's append session",
                    () -> b.storage().stream("/live/build.log").sessionActive());
            try (FollowInputStream live = HttpFStream.follow(b.uri().resolve("/live/build.log"));
                    FollowInputStream fromSix = HttpFStream.follow(b.uri().resolve("/live/build.log"), org.httpfstream.store.Offsets.format(6))) {
                assertThat(new String(live.readNBytes(6), UTF_8)).isEqualTo("hello ");
                assertThatThrownBy(() -> HttpFStream.openAppend(b.uri().resolve("/live/build.log")))
                        .isInstanceOf(WriterConflictException.class);
                out.write("world".getBytes(UTF_8));
                out.flush();
                assertThat(new String(live.readNBytes(5), UTF_8)).isEqualTo("world");
                assertThat(new String(fromSix.readNBytes(5), UTF_8)).isEqualTo("world");
                out.close(); // A's session ends: B's followers reach the end
                assertThat(live.read()).isEqualTo(-1);
                assertThat(fromSix.read()).isEqualTo(-1);
            }
        }
        try (FollowInputStream late = HttpFStream.follow(b.uri().resolve("/live/build.log"))) {
            assertThat(new String(late.readAllBytes(), UTF_8)).isEqualTo("hello world");
        }
        assertThat(HttpFStream.append(b.uri().resolve("/live/build.log"), new java.io.ByteArrayInputStream("!".getBytes(UTF_8))))
                .isEqualTo(1); // B may append once A's appender is gone
        try (FollowInputStream onA = HttpFStream.follow(a.uri().resolve("/live/build.log"))) {
            assertThat(new String(onA.readAllBytes(), UTF_8)).isEqualTo("hello world!");
        }
    }
}
