package org.httpfstream.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.httpfstream.server.HttpFStreamServer;
import org.httpfstream.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resumable append ({@link HttpFStreamClient#openResumableAppend}) against the real server: a known
 * pseudo-random byte sequence streamed through a server restarted on the same root, and through a relay
 * that kills the connection twice (partway through a commit report); the stream holds exactly the
 * sequence, no gap, no duplicate. And the ways it gives up: another writer, no server back in time.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ResumableAppendTest {
    /** A server closed under an appender tells it at once (Close 1001) rather than waiting for it to end. */
    static final Duration DRAIN = Duration.ofMillis(100);

    @TempDir Path root;
    RealServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** {@code n} pseudo-random bytes of {@code seed}. */
    static byte[] sequence(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Writes {@code data[from, to)} in writes of 5,000 bytes (not a multiple of any buffer). */
    static void writeRange(OutputStream out, byte[] data, int from, int to) throws IOException {
        for (int i = from; i < to; i += 5000) {
            out.write(data, i, Math.min(5000, to - i));
        }
    }

    static HttpFStreamClient client(int buffer, Duration resume) {
        return HttpFStreamClient.builder().appendBufferSize(buffer).resumeTimeout(resume)
                .readTimeout(Duration.ofSeconds(10)).build();
    }

    @Test
    void aServerRestartedOnTheSameRootMidAppendGetsEveryByteOnce() throws Exception {
        byte[] data = sequence(15, 3_000_000);
        server = RealServer.start(root, b -> b.storage(HttpFStreamServer.STORAGE_FILE).drainTimeout(DRAIN));
        URI first = server.uri("/build/out.bin");
        URI second;
        try (ServerSocket reserved = new ServerSocket(0)) { // a port for the restarted server, listed now
            second = URI.create("http://127.0.0.1:" + reserved.getLocalPort() + "/build/out.bin");
        }
        OutputStream out = client(1 << 20, Duration.ofSeconds(20)).openResumableAppend(List.of(first, second));
        writeRange(out, data, 0, 2_000_000); // returns once at least 1 MB is reported committed
        Await.until("a first part is committed", () -> server.bytes("/build/out.bin").length >= 1_000_000);
        server.close(); // Close 1001 to the appender; bytes in flight are in doubt
        server = RealServer.start(root, b -> b.storage(HttpFStreamServer.STORAGE_FILE).drainTimeout(DRAIN)
                .bind("127.0.0.1", second.getPort()));
        writeRange(out, data, 2_000_000, data.length);
        out.close();
        assertThat(Arrays.equals(server.bytes("/build/out.bin"), data)).as("exactly the sequence").isTrue();
    }

    @Test
    void aRelayThatKillsTheConnectionTwiceLosesAndRepeatsNothing() throws Exception {
        byte[] data = sequence(16, 2_000_000);
        server = RealServer.start(root, b -> b.drainTimeout(DRAIN));
        try (CuttingProxy relay = CuttingProxy.start(server.server.localAddress().getPort(), new long[0], 3,
                () -> { })) {
            try (OutputStream out = client(256 * 1024, Duration.ofSeconds(20))
                    .openResumableAppend(List.of(relay.uri("/cut/out.bin")))) {
                // Each write returns once its bytes are held and sent, not committed: each cut leaves some
                // in doubt (sent or not, committed or not, reported or not).
                writeRange(out, data, 0, 700_000);
                relay.killConnections();
                writeRange(out, data, 700_000, 1_400_000);
                relay.killConnections();
                writeRange(out, data, 1_400_000, data.length);
            }
            assertThat(relay.cuts()).isEqualTo(2);
            assertThat(relay.connections()).isGreaterThanOrEqualTo(3);
        }
        assertThat(Arrays.equals(server.bytes("/cut/out.bin"), data)).as("exactly the sequence").isTrue();
    }

    @Test
    void anotherWriterMeanwhileEndsTheAppendSayingWhatIsCommitted() throws Exception {
        server = RealServer.start(root, b -> b.drainTimeout(DRAIN));
        URI uri = server.uri("/other/out.txt");
        try (CuttingProxy relay = CuttingProxy.start(server.server.localAddress().getPort(), new long[0], 1,
                () -> { })) {
            OutputStream out = client(1024, Duration.ofSeconds(5)).openResumableAppend(List.of(relay.uri("/other/out.txt")));
            out.write("mine ".getBytes(UTF_8));
            Await.until("committed", () -> server.bytes("/other/out.txt").length == 5);
            relay.killConnections();
            Await.until("the server ended the session", () -> !server.server.storage().stream("/other/out.txt").sessionActive());
            HttpFStream.append(uri, new java.io.ByteArrayInputStream("theirs ".getBytes(UTF_8)));
            assertThatThrownBy(() -> {
                out.write("more".getBytes(UTF_8));
                out.close();
            }).isInstanceOf(IOException.class).hasMessageContaining("another writer")
                    .hasMessageContaining("bytes of this append are committed");
        }
        assertThat(server.text("/other/out.txt")).isEqualTo("mine theirs ");
    }

    @Test
    void noServerBackInTimeIsAnErrorThatSaysHowManyBytesAreCommitted() throws Exception {
        server = RealServer.start(root, b -> b.drainTimeout(DRAIN));
        OutputStream out = client(1024, Duration.ofMillis(500)).openResumableAppend(List.of(server.uri("/gone/out.txt")));
        out.write("abc".getBytes(UTF_8));
        Await.until("committed", () -> server.bytes("/gone/out.txt").length == 3);
        server.close();
        server = null;
        assertThatThrownBy(() -> {
            for (int i = 0; i < 100; i++) { // a write finds the connection gone, at the latest after the close
                out.write("d".getBytes(UTF_8));
            }
            out.close();
        }).isInstanceOf(IOException.class).hasMessageContaining("gave up resuming after")
                .hasMessageMatching("(?s).*[0-9]+ bytes of this append are committed.*");
    }
}
