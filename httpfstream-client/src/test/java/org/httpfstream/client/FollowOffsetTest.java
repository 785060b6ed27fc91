package org.httpfstream.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** FOLLOW from an offset against the real server, for finished and live streams; byte-exact. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FollowOffsetTest {

    @RegisterExtension
    final ServerPerTest server = new ServerPerTest();

    private final HttpFStreamClient client = HttpFStreamClient.builder().readTimeout(Duration.ofSeconds(20)).build();

    /** The server's offset of byte position {@code position}, formatted independently of the client. */
    static String offsetOf(long position) {
        return String.format("%016x", position);
    }

    private static byte[] range(byte[] data, int from) {
        return Arrays.copyOfRange(data, from, data.length);
    }

    @Test
    void finishedStreamFromTheStartByDefaultByNullAndByMinusOne() throws Exception {
        byte[] data = FollowTest.randomBytes(100_000, 11);
        URI uri = server.uri("/done.bin");
        client.append(uri, new ByteArrayInputStream(data));
        for (String offset : new String[] {null, "-1", offsetOf(0)}) {
            try (FollowInputStream in = offset == null ? client.follow(uri) : client.follow(uri, offset)) {
                assertThat(in.offset()).as("start for %s", offset).isEqualTo(offsetOf(0));
                assertThat(FollowTest.readAll(in, 777)).isEqualTo(data);
                assertThat(in.offset()).isEqualTo(offsetOf(data.length));
            }
        }
        try (FollowInputStream in = client.follow(uri, null)) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 1023, 1024, 65_536, 99_999, 100_000})
    void finishedStreamFromAFormattedPosition(int position) throws Exception {
        byte[] data = FollowTest.randomBytes(100_000, 12);
        URI uri = server.uri("/done.bin");
        client.append(uri, new ByteArrayInputStream(data));
        try (FollowInputStream in = client.follow(uri, offsetOf(position))) {
            assertThat(in.offset()).isEqualTo(offsetOf(position));
            assertThat(FollowTest.readAll(in, 4096)).isEqualTo(range(data, position));
            assertThat(in.offset()).isEqualTo(offsetOf(data.length));
            assertThat(in.read()).isEqualTo(-1);
        }
    }

    @Test
    void finishedStreamFromNowIsEmptyAndReportsTheTail() throws Exception {
        byte[] data = FollowTest.randomBytes(5000, 13);
        URI uri = server.uri("/done.bin");
        client.append(uri, new ByteArrayInputStream(data));
        try (FollowInputStream in = HttpFStream.follow(uri, "now")) {
            assertThat(in.offset()).isEqualTo(offsetOf(data.length));
            assertThat(in.read()).isEqualTo(-1);
            assertThat(in.offset()).isEqualTo(offsetOf(data.length));
        }
    }

    /** offset() is exact in the middle of a message: a second follower started with it continues seamlessly. */
    @Test
    void aFollowersOffsetStartsAnotherWhereTheFirstIs() throws Exception {
        byte[] data = FollowTest.randomBytes(300_000, 14);
        URI uri = server.uri("/done.bin");
        client.append(uri, new ByteArrayInputStream(data));
        try (FollowInputStream first = client.follow(uri)) {
            int position = 0;
            for (int n : new int[] {1, 7, 4095, 65_537, 3}) {
                byte[] part = first.readNBytes(n);
                assertThat(part).isEqualTo(Arrays.copyOfRange(data, position, position + n));
                position += n;
                assertThat(first.offset()).isEqualTo(offsetOf(position));
                try (FollowInputStream second = client.follow(uri, first.offset())) {
                    assertThat(second.offset()).isEqualTo(first.offset());
                    assertThat(second.readAllBytes()).isEqualTo(range(data, position));
                }
            }
        }
    }

    @Test
    void liveStreamFromEveryKindOfOffset() throws Exception {
        byte[] before = FollowTest.randomBytes(200_000, 15);
        byte[] after = FollowTest.randomBytes(150_000, 16);
        byte[] all = new byte[before.length + after.length];
        System.arraycopy(before, 0, all, 0, before.length);
        System.arraycopy(after, 0, all, before.length, after.length);
        URI uri = server.uri("/live.bin");
        try (OutputStream w = client.openAppend(uri);
             FollowInputStream first = client.follow(uri)) {
            w.write(before);
            // The first follower has every byte of `before`, so the server has committed them all.
            assertThat(first.readNBytes(before.length)).isEqualTo(before);
            assertThat(first.offset()).isEqualTo(offsetOf(before.length));
            try (FollowInputStream now = client.follow(uri, "now");
                 FollowInputStream start = client.follow(uri, "-1");
                 FollowInputStream middle = client.follow(uri, offsetOf(12_345));
                 FollowInputStream atFirst = client.follow(uri, first.offset())) {
                assertThat(now.offset()).isEqualTo(offsetOf(before.length));
                assertThat(start.offset()).isEqualTo(offsetOf(0));
                assertThat(middle.offset()).isEqualTo(offsetOf(12_345));
                assertThat(atFirst.offset()).isEqualTo(offsetOf(before.length));
                w.write(after);
                w.close();
                assertThat(FollowTest.readAll(now, 1000)).isEqualTo(after);
                assertThat(FollowTest.readAll(start, 1000)).isEqualTo(all);
                assertThat(FollowTest.readAll(middle, 1000)).isEqualTo(range(all, 12_345));
                assertThat(FollowTest.readAll(atFirst, 1000)).isEqualTo(after);
                assertThat(FollowTest.readAll(first, 1000)).isEqualTo(after);
                for (FollowInputStream in : new FollowInputStream[] {now, start, middle, atFirst, first}) {
                    assertThat(in.offset()).isEqualTo(offsetOf(all.length));
                }
            }
        }
        assertThat(server.bytes("/live.bin")).isEqualTo(all);
    }

    @Test
    void offsetPastTheTailIsRefusedWithTheServersReason() throws Exception {
        URI uri = server.uri("/short.bin");
        client.append(uri, new ByteArrayInputStream(new byte[1024]));
        assertThatThrownBy(() -> client.follow(uri, offsetOf(1025)))
                .isExactlyInstanceOf(IOException.class)
                .hasMessageStartingWith("FOLLOW " + uri + " at offset " + offsetOf(1025) + " failed: HTTP 400")
                .hasMessageContaining("past the end of the stream");
        try (OutputStream w = client.openAppend(uri); FollowInputStream in = client.follow(uri, offsetOf(1024))) {
            w.write(7);
            assertThat(in.read()).isEqualTo(7);
            assertThatThrownBy(() -> client.follow(uri, offsetOf(1026)))
                    .isExactlyInstanceOf(IOException.class)
                    .hasMessageContaining("HTTP 400");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"00000000000004", "000000000000040A", "00000000000004g0", "0x00000000000040", "-2", "later",
            "+000000000000040", "00000000000000000"})
    void malformedOffsetIsRefusedWithTheServersReason(String offset) throws Exception {
        URI uri = server.uri("/bad.bin");
        client.append(uri, new ByteArrayInputStream(new byte[2048]));
        assertThatThrownBy(() -> client.follow(uri, offset))
                .isExactlyInstanceOf(IOException.class)
                .hasMessageStartingWith("FOLLOW " + uri + " at offset " + offset + " failed: HTTP 400")
                .hasMessageContaining("malformed offset");
    }

    @Test
    void missingStreamWithAnOffsetIsNoSuchFile() throws Exception {
        URI uri = server.uri("/never");
        assertThatThrownBy(() -> client.follow(uri, offsetOf(0)))
                .isInstanceOfSatisfying(NoSuchFileException.class, e -> assertThat(e.getFile()).isEqualTo(uri.toString()));
    }

    @Test
    void emptyOffsetIsAnArgumentError() {
        URI uri = URI.create("http://127.0.0.1:1/x");
        assertThatThrownBy(() -> client.follow(uri, ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("offset");
        assertThatThrownBy(() -> client.follow(null, "-1"))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("uri");
    }
}
