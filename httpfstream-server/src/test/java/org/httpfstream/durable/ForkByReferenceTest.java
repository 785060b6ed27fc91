package org.httpfstream.durable;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import org.httpfstream.store.Follower;
import org.httpfstream.store.StreamStore;
import org.httpfstream.testing.StoreExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A fork refers to its source's bytes instead of copying them (issue 13, fix b), on the file store:
 * its file takes no room for the source's part, reads are exact across the fork point, and the
 * reference survives the source's deletion and a restart.
 */
class ForkByReferenceTest {
    private static final int SOURCE = 4 << 20;

    @RegisterExtension
    final StoreExtension stores = new StoreExtension();

    static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ('a' + i % 26);
        }
        return b;
    }

    static DurableStreams.CreateRequest create(byte[] body, DurableStreams.ForkRequest fork) {
        return new DurableStreams.CreateRequest("text/plain", null, null, null, false, body, fork);
    }

    static byte[] readAll(DurableStreams.Extent e) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) e.length());
        while (b.hasRemaining()) {
            assertThat(e.read(e.from() + b.position(), b)).isPositive();
        }
        e.close();
        return b.array();
    }

    /** The expected fork: the source's bytes, then "own". */
    static byte[] expected() {
        byte[] want = Arrays.copyOf(pattern(SOURCE), SOURCE + 3);
        System.arraycopy("own".getBytes(UTF_8), 0, want, SOURCE, 3);
        return want;
    }

    /** Blocks the file takes on disk, in bytes (du: allocated, not apparent, size). */
    static long allocated(Path file) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("du", "-k", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return Long.parseLong(out.split("\\s+")[0]) * 1024;
    }

    void assertForkReads(DurableStreams streams) throws IOException {
        DurableStreams.Snapshot f = streams.open("/f");
        assertThat(f.tail()).isEqualTo(SOURCE + 3);
        assertThat(readAll(streams.openRead(f, 0, 0))).isEqualTo(expected());
        assertThat(new String(readAll(streams.openRead(f, SOURCE - 2, 0)), UTF_8))
                .isEqualTo(new String(Arrays.copyOfRange(expected(), SOURCE - 2, SOURCE + 3), UTF_8));
        try (Follower follower = streams.follow(f, () -> { })) {
            ByteBuffer b = ByteBuffer.allocate(SOURCE + 3);
            while (b.hasRemaining()) {
                assertThat(follower.read(b.position(), b)).isPositive();
            }
            assertThat(b.array()).isEqualTo(expected());
        }
    }

    @Test
    void aForkOfALargeStreamCopiesNoneOfItsBytesAndReadsThemAcrossTheForkPoint() throws Exception {
        DurableStreams streams = stores.streams();
        streams.create("/s", create(pattern(SOURCE), null)).join();
        streams.create("/f", create("own".getBytes(UTF_8), new DurableStreams.ForkRequest("/s", null, 0))).join();

        assertThat(allocated(stores.root().resolve("f"))).isLessThan(64 * 1024);
        assertThat(allocated(stores.root().resolve("s"))).isGreaterThanOrEqualTo(SOURCE);
        assertForkReads(streams);
    }

    @Test
    void aDeletedSourceKeepsItsBytesForItsForksAlsoAfterARestart() throws Exception {
        DurableStreams streams = stores.streams();
        streams.create("/s", create(pattern(SOURCE), null)).join();
        streams.create("/f", create("own".getBytes(UTF_8), new DurableStreams.ForkRequest("/s", null, 0))).join();
        streams.delete("/s").join();

        assertThatThrownBy(() -> streams.snapshot("/s")).hasMessage("stream /s was deleted");
        assertForkReads(streams);

        stores.store().close();
        Path root = stores.root();
        try (StreamStore again = new StreamStore(root, false)) {
            DurableStreams restarted = new DurableStreams(again, Clock.systemUTC());
            assertForkReads(restarted);
            restarted.delete("/f").join(); // the last fork gone: the source's bytes go too
            assertThat(Files.exists(root.resolve("s"))).isFalse();
        }
    }
}
