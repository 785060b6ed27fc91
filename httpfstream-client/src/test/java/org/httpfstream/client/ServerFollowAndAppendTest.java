package org.httpfstream.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The original's TestFollow, TestAppend and host/port handling, against the real server. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ServerFollowAndAppendTest {

    @RegisterExtension
    final ServerPerTest server = new ServerPerTest();

    private final HttpFStreamClient client = HttpFStreamClient.builder().readTimeout(Duration.ofSeconds(20)).build();

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void followOfAFileWrittenByHandReturnsItsContent() throws Exception {
        Files.writeString(server.root().resolve("foo1"), "bar");
        try (InputStream r = HttpFStream.follow(server.uri("/foo1"))) {
            assertThat(new String(r.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("bar");
        }
    }

    @Test
    void followOfAMissingFileIsNoSuchFile() throws Exception {
        URI uri = server.uri("/doesntexist");
        assertThatThrownBy(() -> HttpFStream.follow(uri))
                .isInstanceOfSatisfying(NoSuchFileException.class,
                        e -> assertThat(e.getFile()).isEqualTo(uri.toString()));
    }

    @Test
    void appendOfAByteArrayStream() throws Exception {
        assertThat(HttpFStream.append(server.uri("/foo1"), new ByteArrayInputStream(ascii("bar")))).isEqualTo(3);
        // append() returns after the server confirmed the end: the file is complete, no waiting.
        assertThat(Files.readString(server.root().resolve("foo1"))).isEqualTo("bar");
        assertThat(HttpFStream.append(server.uri("/foo1"), new ByteArrayInputStream(ascii("baz")))).isEqualTo(3);
        assertThat(Files.readString(server.root().resolve("foo1"))).isEqualTo("barbaz");
    }

    @Test
    void appendOfAnEmptyStreamCreatesAnEmptyFile() throws Exception {
        assertThat(HttpFStream.append(server.uri("/dir/empty"), InputStream.nullInputStream())).isZero();
        assertThat(server.root().resolve("dir/empty")).exists().isEmptyFile();
    }

    /**
     * The original's slow fixed-size reader: two bytes per read. Instead of sleeping, the reader hands out
     * its next chunk only once a follower has received the previous one, which proves that each read is
     * sent on its own, at once.
     */
    @Test
    void appendFromASlowFixedSizeReader() throws Exception {
        URI uri = server.uri("/foo3");
        byte[] data = ascii("quxx");
        InputStream[] follower = new InputStream[1];
        InputStream slow = new InputStream() {
            private int pos;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (pos == 0) {
                    follower[0] = client.follow(uri); // the append is open by the first read
                } else {
                    assertThat(follower[0].readNBytes(2)).isEqualTo(java.util.Arrays.copyOfRange(data, pos - 2, pos));
                }
                if (pos == data.length) {
                    return -1;
                }
                int n = Math.min(2, len);
                System.arraycopy(data, pos, b, off, n);
                pos += n;
                return n;
            }
        };
        assertThat(client.append(uri, slow)).isEqualTo(4);
        try (InputStream r = follower[0]) {
            assertThat(r.read()).as("the follower's stream ends with the append").isEqualTo(-1);
        }
        assertThat(Files.readString(server.root().resolve("foo3"))).isEqualTo("quxx");
    }

    @Test
    void appendToAFolderIsRefusedWithTheServersReason() throws Exception {
        Files.createDirectories(server.root().resolve("folder"));
        URI uri = server.uri("/folder");
        assertThatThrownBy(() -> client.openAppend(uri))
                .isExactlyInstanceOf(IOException.class)
                .hasMessageStartingWith("APPEND " + uri + " failed: HTTP 409")
                .hasMessageContaining("is a folder, not a stream");
    }

    @Test
    void hostNamesAndSchemeCaseAreHandled() throws Exception {
        int port = server.port();
        URI byName = URI.create("HTTP://localhost:" + port + "/named");
        assertThat(client.append(byName, new ByteArrayInputStream(ascii("by name")))).isEqualTo(7);
        try (InputStream r = client.follow(URI.create("http://127.0.0.1:" + port + "/named?ignored=1"))) {
            assertThat(new String(r.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("by name");
        }
    }

    @Test
    void followOfAPercentEncodedPath() throws Exception {
        Files.writeString(server.root().resolve("a file"), "spaced");
        try (InputStream r = client.follow(server.uri("/a%20file"))) {
            assertThat(new String(r.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("spaced");
        }
    }
}
