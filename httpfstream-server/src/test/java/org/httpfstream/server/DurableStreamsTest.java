package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.httpfstream.server.RawWebSocket.Frame;
import org.httpfstream.server.testing.ServerExtension;
import org.httpfstream.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Durable Streams protocol and the WebSocket protocol over one store: what one writes the other
 * reads, closure and the single-writer lease hold across both, and the protocol's state survives a
 * restart. (The protocol itself is covered by the conformance suite in {@code conformance/}.)
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DurableStreamsTest {
    @RegisterExtension
    final ServerExtension server = new ServerExtension().longPollTimeout(Duration.ofSeconds(20));
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** Reads SSE lines from {@code in} until one equals {@code line}; returns everything read. */
    static String readSseUntil(BufferedReader in, String line) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String l = in.readLine(); l != null; l = in.readLine()) {
            sb.append(l).append('\n');
            if (l.equals(line)) {
                return sb.toString();
            }
        }
        throw new AssertionError("SSE ended before \"" + line + "\":\n" + sb);
    }

    @Test
    void bytesAppendedOverWebSocketAreReadWithEveryDurableStreamsReadMode() throws Exception {
        try (RawWebSocket appender = RawWebSocket.appendAccepted(server.address(), "/ws.txt")) {
            appender.send(RawWebSocket.BINARY, "hello ".getBytes(UTF_8));
            Await.until("the first bytes are in", () -> Files.exists(server.root().resolve("ws.txt"))
                    && server.root().resolve("ws.txt").toFile().length() == 6);

            HttpResponse<String> catchUp = server.send("GET", "/ws.txt?offset=-1&live=long-poll", null);
            assertThat(catchUp.statusCode()).isEqualTo(200);
            assertThat(catchUp.body()).isEqualTo("hello ");
            assertThat(catchUp.headers().firstValue("Stream-Next-Offset")).hasValue("0000000000000006");
            assertThat(catchUp.headers().firstValue("Stream-Up-To-Date")).hasValue("true");

            CompletableFuture<HttpResponse<String>> longPoll = server.sendAsync(
                    "GET", "/ws.txt?offset=0000000000000006&live=long-poll", null);
            HttpResponse<InputStream> sse = http.send(server.request("GET", "/ws.txt?offset=-1&live=sse", null),
                    BodyHandlers.ofInputStream());
            assertThat(sse.statusCode()).isEqualTo(200);
            assertThat(sse.headers().firstValue("Content-Type")).hasValue("text/event-stream");
            try (BufferedReader events = new BufferedReader(new InputStreamReader(sse.body(), UTF_8))) {
                assertThat(readSseUntil(events, "data:hello ")).startsWith("event: data\n");
                readSseUntil(events, "event: control");
                assertThat(readSseUntil(events, "")).contains("\"streamNextOffset\":\"0000000000000006\"");

                appender.send(RawWebSocket.TEXT, "world".getBytes(UTF_8));
                HttpResponse<String> polled = longPoll.get(20, TimeUnit.SECONDS);
                assertThat(polled.statusCode()).isEqualTo(200);
                assertThat(polled.body()).isEqualTo("world");
                assertThat(polled.headers().firstValue("Stream-Next-Offset")).hasValue("000000000000000b");
                assertThat(readSseUntil(events, "data:world")).contains("event: data\n");
            }
            appender.sendClose(1000);
            assertThat(appender.readToClose(new ByteArrayOutputStream()).closeCode()).isEqualTo(1000);
        }
        assertThat(Files.readString(server.root().resolve("ws.txt"))).isEqualTo("hello world");
    }

    @Test
    void bytesAppendedWithPostAreFollowedOverWebSocketUntilTheStreamIsClosed() throws Exception {
        assertThat(server.send("PUT", "/ds.log", "a", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        try (RawWebSocket follower = RawWebSocket.follow(server.address(), "/ds.log")) {
            // An open Durable Streams stream is live with no WebSocket appender at all.
            assertThat(follower.status()).isEqualTo(101);
            assertThat(new String(follower.readData(1), UTF_8)).isEqualTo("a");
            assertThat(server.send("POST", "/ds.log", "bc", "Content-Type", "text/plain").statusCode()).isEqualTo(204);
            assertThat(new String(follower.readData(2), UTF_8)).isEqualTo("bc");
            HttpResponse<String> close = server.send("POST", "/ds.log", "d", "Content-Type", "text/plain",
                    "Stream-Closed", "true");
            assertThat(close.statusCode()).isEqualTo(204);
            assertThat(close.headers().firstValue("Stream-Closed")).hasValue("true");
            follower.assertDataThenClose("d", 1000);
        }
        assertThat(Files.readString(server.root().resolve("ds.log"))).isEqualTo("abcd");
    }

    @Test
    void aClosedStreamRefusesWebSocketAppenders() throws Exception {
        assertThat(server.send("PUT", "/closed.bin", "x", "Stream-Closed", "true").statusCode()).isEqualTo(201);
        try (RawWebSocket appender = RawWebSocket.append(server.address(), "/closed.bin")) {
            assertThat(appender.status()).isEqualTo(409);
            assertThat(appender.response.bodyText()).isEqualTo("stream is closed\n");
        }
        assertThat(Files.readString(server.root().resolve("closed.bin"))).isEqualTo("x");
    }

    @Test
    void postsAreRefusedWhileAWebSocketAppenderHoldsTheLease() throws Exception {
        try (RawWebSocket appender = RawWebSocket.appendAccepted(server.address(), "/lease.bin")) {
            appender.send(RawWebSocket.BINARY, "ws".getBytes(UTF_8));
            HttpResponse<String> post = server.send("POST", "/lease.bin", "post", "Content-Type",
                    "application/octet-stream");
            assertThat(post.statusCode()).isEqualTo(409);
            assertThat(post.body()).contains("a WebSocket appender is active on /lease.bin");
            assertThat(server.send("DELETE", "/lease.bin", null).statusCode()).isEqualTo(409);
            appender.sendClose(1000);
            assertThat(appender.readToClose(new ByteArrayOutputStream()).closeCode()).isEqualTo(1000);
        }
        assertThat(server.send("POST", "/lease.bin", "post", "Content-Type", "application/octet-stream").statusCode())
                .isEqualTo(204);
        assertThat(Files.readString(server.root().resolve("lease.bin"))).isEqualTo("wspost");
    }

    @Test
    void metadataSurvivesARestartAndStaysOutOfTheTree() throws Exception {
        assertThat(server.send("PUT", "/m/events.json", "[1,2]", "Content-Type", "application/json",
                "Stream-TTL", "3600").statusCode()).isEqualTo(201);
        assertThat(server.send("POST", "/m/events.json", "3", "Content-Type", "application/json",
                "Producer-Id", "p", "Producer-Epoch", "1", "Producer-Seq", "0").statusCode()).isEqualTo(200);
        assertThat(server.send("POST", "/m/events.json", "[4]", "Content-Type", "application/json",
                "Stream-Seq", "0005").statusCode()).isEqualTo(204);
        assertThat(server.send("PUT", "/m/fork.json", null, "Stream-Forked-From", "/m/events.json")
                .statusCode()).isEqualTo(201);
        assertThat(server.send("DELETE", "/m/events.json", null).statusCode()).isEqualTo(204); // soft: a fork uses it
        assertThat(server.send("POST", "/m/fork.json", null, "Stream-Closed", "true").statusCode()).isEqualTo(204);

        server.restart();

        HttpResponse<String> head = server.send("HEAD", "/m/fork.json", null);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(head.headers().firstValue("Stream-TTL")).hasValue("3600");
        assertThat(head.headers().firstValue("Stream-Closed")).hasValue("true");
        assertThat(server.send("GET", "/m/fork.json?offset=-1", null).body()).isEqualTo("[1,2,3,4]");
        assertThat(server.send("HEAD", "/m/events.json", null).statusCode()).isEqualTo(410);
        assertThat(server.send("PUT", "/m/events.json", null).statusCode()).isEqualTo(409);

        // Producer state and Stream-Seq of a live stream persist too.
        assertThat(server.send("PUT", "/m/p.txt", null, "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        assertThat(server.send("POST", "/m/p.txt", "a", "Content-Type", "text/plain", "Stream-Seq", "b",
                "Producer-Id", "w", "Producer-Epoch", "3", "Producer-Seq", "0").statusCode()).isEqualTo(200);
        server.restart();
        HttpResponse<String> retry = server.send("POST", "/m/p.txt", "a", "Content-Type", "text/plain",
                "Stream-Seq", "b",
                "Producer-Id", "w", "Producer-Epoch", "3", "Producer-Seq", "0");
        assertThat(retry.statusCode()).isEqualTo(204); // a duplicate: nothing written
        assertThat(server.send("POST", "/m/p.txt", "z", "Content-Type", "text/plain", "Producer-Id", "w",
                "Producer-Epoch", "2", "Producer-Seq", "0").statusCode()).isEqualTo(403);
        assertThat(server.send("POST", "/m/p.txt", "z", "Content-Type", "text/plain", "Stream-Seq", "a")
                .statusCode()).isEqualTo(409);
        assertThat(Files.readString(server.root().resolve("m/p.txt"))).isEqualTo("a");

        // The stream files are plain files (the soft-deleted source's too: its fork reads its bytes); the
        // metadata lives in one hidden folder, which is no stream.
        try (Stream<Path> files = Files.list(server.root().resolve("m"))) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("events.json", "fork.json", "p.txt");
        }
        assertThat(Files.size(server.root().resolve("m/fork.json")))
                .isEqualTo(Files.size(server.root().resolve("m/events.json"))); // a hole up to the fork point
        assertThat(server.send("DELETE", "/m/fork.json", null).statusCode()).isEqualTo(204);
        assertThat(Files.exists(server.root().resolve("m/events.json"))).isFalse(); // its last fork gone
        assertThat(Files.isDirectory(server.root().resolve(".httpfstream"))).isTrue();
        assertThat(server.send("GET", "/.httpfstream/streams/m/p.txt.meta", null).statusCode()).isEqualTo(400);
    }

    @Test
    void withFsyncEveryAppendPathStillWorks() throws Exception {
        server.restart(b -> b.fsync(true));
        assertThat(server.send("PUT", "/sync/a.txt", "put ", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        assertThat(server.send("POST", "/sync/a.txt", "post ", "Content-Type",
                "text/plain").statusCode()).isEqualTo(204);
        try (RawWebSocket appender = RawWebSocket.append(server.address(), "/sync/a.txt")) {
            appender.send(RawWebSocket.BINARY, "ws".getBytes(UTF_8));
            appender.sendClose(1000);
            assertThat(appender.readToClose(new ByteArrayOutputStream()).closeCode()).isEqualTo(1000);
        }
        assertThat(server.send("GET", "/sync/a.txt?offset=-1", null).body()).isEqualTo("put post ws");
    }

    @Test
    void aFilePlacedByHandIsAStream() throws Exception {
        Files.writeString(server.root().resolve("hand.txt"), "by hand\n");
        HttpResponse<String> head = server.send("HEAD", "/hand.txt", null);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValue("Stream-Next-Offset")).hasValue("0000000000000008");
        assertThat(server.send("POST", "/hand.txt", "more\n", "Content-Type",
                "text/plain").statusCode()).isEqualTo(204);
        HttpResponse<String> read = server.send("GET", "/hand.txt?offset=-1&live=long-poll", null);
        assertThat(read.body()).isEqualTo("by hand\nmore\n");
        assertThat(read.headers().firstValue("Stream-Up-To-Date")).hasValue("true");
        // The first protocol state it gets (here a Stream-Seq) keeps the append's content type.
        assertThat(server.send("POST", "/hand.txt", "end\n", "Content-Type", "text/plain", "Stream-Seq", "1")
                .statusCode()).isEqualTo(204);
        assertThat(server.send("HEAD", "/hand.txt", null).headers().firstValue("Content-Type")).hasValue("text/plain");
    }

    @Test
    void aStreamDeletedAndCreatedAgainWhileItsWriterIsOpenIsReadAfresh() throws Exception {
        assertThat(server.send("PUT", "/re.txt", "old", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        assertThat(server.send("POST", "/re.txt", "er", "Content-Type", "text/plain").statusCode()).isEqualTo(204);
        CompletableFuture<HttpResponse<String>> waiting = server.sendAsync(
                "GET", "/re.txt?offset=0000000000000005&live=long-poll", null);
        Path file = server.store().locate("/re.txt");
        Await.until("the long-poll is waiting", () -> server.store().watched(file));
        assertThat(server.send("DELETE", "/re.txt", null).statusCode()).isEqualTo(204);
        assertThat(waiting.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(404);
        assertThat(server.send("GET", "/re.txt?offset=-1", null).statusCode()).isEqualTo(404);

        assertThat(server.send("PUT", "/re.txt", "new", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        HttpResponse<String> read = server.send("GET", "/re.txt?offset=-1", null);
        assertThat(read.body()).isEqualTo("new");
        assertThat(read.headers().firstValue("Stream-Next-Offset")).hasValue("0000000000000003");
        assertThat(server.send("HEAD", "/re.txt", null).headers().firstValue("Stream-Next-Offset"))
                .hasValue("0000000000000003");
    }

    @Test
    void aLongPollReaderSeesEveryByteBeforeTheClosureThatFollowsThem() throws Exception {
        assertThat(server.send("PUT", "/closing.txt", null, "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        StringBuilder appended = new StringBuilder();
        StringBuilder read = new StringBuilder();
        String offset = "0000000000000000";
        for (int i = 0; i < 40; i++) {
            CompletableFuture<HttpResponse<String>> poll = server.sendAsync(
                    "GET", "/closing.txt?offset=" + offset + "&live=long-poll", null);
            String body = "line " + i + "\n";
            appended.append(body);
            String[] headers = i == 39 ? new String[] {"Content-Type", "text/plain", "Stream-Closed", "true"}
                    : new String[] {"Content-Type", "text/plain"};
            assertThat(server.send("POST", "/closing.txt", body, headers).statusCode()).isEqualTo(204);
            HttpResponse<String> r = poll.get(20, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            read.append(r.body());
            offset = r.headers().firstValue("Stream-Next-Offset").orElseThrow();
        }
        // Whatever the last poll saw, the reader ends with every byte and then the closure.
        for (;;) {
            HttpResponse<String> r = server.send("GET", "/closing.txt?offset=" + offset + "&live=long-poll", null);
            read.append(r.body());
            offset = r.headers().firstValue("Stream-Next-Offset").orElseThrow();
            if (r.headers().firstValue("Stream-Closed").isPresent()) {
                break;
            }
        }
        assertThat(read.toString()).isEqualTo(appended.toString());
        assertThat(Long.parseLong(offset, 16)).isEqualTo(appended.length());
    }

    /**
     * Producers appending to one stream at once share their metadata writes (page cache): whatever the
     * interleaving, each producer's last acknowledged state is what the file holds after a restart.
     */
    @Test
    void concurrentProducersLastAcknowledgedStatesSurviveARestart() throws Exception {
        assertThat(server.send("PUT", "/many.txt", null, "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        int producers = 8;
        int appends = 40;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(producers);
        try {
            List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int p = 0; p < producers; p++) {
                String id = "producer-" + p;
                done.add(pool.submit(() -> {
                    for (int seq = 0; seq < appends; seq++) {
                        HttpResponse<String> r = server.send("POST", "/many.txt", id + ":" + seq + "\n",
                                "Content-Type", "text/plain", "Producer-Id", id, "Producer-Epoch", "0",
                                "Producer-Seq", Integer.toString(seq));
                        assertThat(r.statusCode()).as(id + " seq " + seq).isEqualTo(200);
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        server.restart();
        for (int p = 0; p < producers; p++) {
            String id = "producer-" + p;
            HttpResponse<String> retry = server.send("POST", "/many.txt", id + ":" + (appends - 1) + "\n",
                    "Content-Type", "text/plain", "Producer-Id", id, "Producer-Epoch", "0",
                    "Producer-Seq", Integer.toString(appends - 1));
            assertThat(retry.statusCode()).as(id + " retry").isEqualTo(204);
            assertThat(server.send("POST", "/many.txt", "next\n", "Content-Type", "text/plain", "Producer-Id", id,
                    "Producer-Epoch", "0", "Producer-Seq", Integer.toString(appends)).statusCode())
                    .as(id + " next").isEqualTo(200);
        }
        List<String> lines = server.send("GET", "/many.txt?offset=-1", null).body().lines().toList();
        assertThat(lines).hasSize(producers * (appends + 1));
        for (int p = 0; p < producers; p++) {
            List<String> own = new java.util.ArrayList<>();
            for (String l : lines) {
                if (l.startsWith("producer-" + p + ":")) {
                    own.add(l);
                }
            }
            assertThat(own).hasSize(appends).first().isEqualTo("producer-" + p + ":0");
        }
    }
}
