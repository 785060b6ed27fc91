package org.httpfstream.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** End to end against the real server: one appender, followers, and plain HTTP reads of the same path. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ServerStreamTest {

    @RegisterExtension
    final ServerPerTest server = new ServerPerTest();

    @TempDir
    Path root;

    private final HttpFStreamClient client = HttpFStreamClient.builder().readTimeout(Duration.ofSeconds(20)).build();

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String body(URI uri) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = RealServer.get(uri);
        assertThat(response.statusCode()).isEqualTo(200);
        return new String(response.body(), StandardCharsets.US_ASCII);
    }

    /**
     * The original's TestStream: every write reaches a follower at once, and a plain GET returns
     * everything written so far; when the appender closes, the follower's stream ends.
     */
    @Test
    void stream() throws Exception {
        URI uri = server.uri("/stream");
        try (OutputStream w = client.openAppend(uri); InputStream r = client.follow(uri)) {
            List<String> writes = List.of("foo", "bar", "baz", "qux");
            List<String> wants = List.of("abcfoo", "bar", "baz", "qux");
            w.write(ascii("abc"));
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < writes.size(); i++) {
                w.write(ascii(writes.get(i)));
                String want = wants.get(i);
                // The follower gets the bytes once they are in the file...
                assertThat(new String(r.readNBytes(want.length()), StandardCharsets.US_ASCII)).isEqualTo(want);
                all.append(want);
                // ...so a plain GET now returns everything written so far.
                assertThat(body(uri)).isEqualTo(all.toString());
            }
            w.close();
            assertThat(r.read()).as("the follower's stream ends with the append").isEqualTo(-1);
        }
        assertThat(server.text("/stream")).isEqualTo("abcfoobarbazqux");
        // With no appender, FOLLOW is answered with the stored file.
        try (InputStream r = client.follow(uri)) {
            assertThat(new String(r.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("abcfoobarbazqux");
        }
    }

    @Test
    void everyByteValueAndLargeWritesSurviveTheRoundTrip() throws Exception {
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(FollowTest.allByteValues());
        expected.writeBytes(FollowTest.randomBytes(1 << 20, 42));
        expected.writeBytes(new byte[] {'\r', '\n', 0, (byte) 0xC3, (byte) 0x28, (byte) 0xFF});
        byte[] data = expected.toByteArray();
        URI uri = server.uri("/bin/data.bin");
        try (OutputStream w = client.openAppend(uri); InputStream r = client.follow(uri)) {
            w.write(data, 0, 256);
            assertThat(r.readNBytes(256)).isEqualTo(FollowTest.allByteValues());
            w.write(data, 256, data.length - 256);
            w.close();
            // Small reads: messages bigger than the buffer must come through whole.
            byte[] rest = FollowTest.readAll(r, 1000);
            assertThat(rest).isEqualTo(java.util.Arrays.copyOfRange(data, 256, data.length));
        }
        assertThat(server.bytes("/bin/data.bin")).isEqualTo(data);
        assertThat(RealServer.get(uri).body()).isEqualTo(data);
    }

    @Test
    void lateFollowerGetsTheBacklogThenLiveBytes() throws Exception {
        byte[] backlog = FollowTest.randomBytes(300_000, 9);
        URI uri = server.uri("/late");
        try (OutputStream w = client.openAppend(uri)) {
            w.write(backlog);
            try (InputStream early = client.follow(uri)) {
                // An early follower proves the backlog is stored before the late one joins.
                assertThat(early.readNBytes(backlog.length)).isEqualTo(backlog);
            }
            try (InputStream late = client.follow(uri)) {
                assertThat(late.readNBytes(backlog.length)).isEqualTo(backlog);
                w.write(ascii("live"));
                assertThat(late.readNBytes(4)).isEqualTo(ascii("live"));
                w.close();
                assertThat(late.read()).isEqualTo(-1);
            }
        }
    }

    @Test
    void idleAppenderSurvivesServerPingsAndTimeout() throws Exception {
        try (RealServer server = RealServer.start(root,
                b -> b.pingInterval(Duration.ofMillis(50)).appenderTimeout(Duration.ofSeconds(1)))) {
            URI uri = server.uri("/idle");
            try (OutputStream w = client.openAppend(uri); InputStream r = client.follow(uri)) {
                w.write('a');
                assertThat(r.read()).isEqualTo('a');
                CompletableFuture<Integer> next = CompletableFuture.supplyAsync(() -> {
                    try {
                        return r.read();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                // For 2.5 appender timeouts nothing may happen: neither the appender nor the follower
                // (both pinged every 50 ms) is dropped, so the follower's read stays blocked.
                assertThatThrownBy(() -> next.get(2500, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
                w.write('b');
                assertThat(next.get(10, TimeUnit.SECONDS)).isEqualTo('b');
            }
            assertThat(server.text("/idle")).isEqualTo("ab");
        }
    }

    @Test
    void secondAppenderIsRefusedWhileTheFirstIsActive() throws Exception {
        URI uri = server.uri("/one-writer");
        try (OutputStream w = client.openAppend(uri)) {
            w.write(ascii("first"));
            assertThatThrownBy(() -> client.openAppend(uri))
                    .isInstanceOfSatisfying(WriterConflictException.class, e -> assertThat(e.uri()).isEqualTo(uri));
        }
        // close() returned, so the server has ended the session: the path is free again.
        assertThat(client.append(uri, new java.io.ByteArrayInputStream(ascii("second")))).isEqualTo(6);
        assertThat(server.text("/one-writer")).isEqualTo("firstsecond");
    }

    /**
     * Server shutdown: the appender learns that its append did not end cleanly, and a follower that does
     * not resume that the server went away (Close 1001), which is not the end of the stream. (Resuming
     * followers are tested in {@link ResumeTest}.)
     */
    @Test
    void appenderAndFollowerOfAServerThatGoesAwayGetAnError() throws Exception {
        HttpFStreamClient noResume = HttpFStreamClient.builder()
                .readTimeout(Duration.ofSeconds(20))
                .resumeTimeout(Duration.ZERO)
                .build();
        URI uri = server.uri("/dies");
        OutputStream w = client.openAppend(uri);
        InputStream r = noResume.follow(uri);
        w.write(ascii("partial"));
        assertThat(r.readNBytes(7)).isEqualTo(ascii("partial"));
        server.stop(); // drops every connection
        assertThatThrownBy(w::close)
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("APPEND " + uri + ": append did not end cleanly");
        assertThatThrownBy(r::read)
                .isInstanceOf(IOException.class)
                .hasMessage("FOLLOW " + uri + ": server closed the stream with code 1001 (going away): "
                        + "server shutting down");
        r.close();
    }
}
