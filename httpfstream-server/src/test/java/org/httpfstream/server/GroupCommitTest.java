package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.httpfstream.server.RawWebSocket.Frame;
import org.httpfstream.server.testing.ServerExtension;
import org.httpfstream.store.StreamStore;
import org.httpfstream.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Durability with {@code -fsync}: appends share syncs (group commit), nothing is answered or seen before
 * its sync, metadata is as durable as the bytes, and the single-writer rule still holds across
 * protocols. The sync is held with the store's sync hook, so "not yet" is observed, not guessed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GroupCommitTest {
    @RegisterExtension
    final ServerExtension server = new ServerExtension().startedByTest().fsync(true)
            .longPollTimeout(Duration.ofSeconds(20));
    /** While closed, the sync thread waits before each batch; open it with {@link #releaseSyncs()}. */
    volatile CountDownLatch gate = new CountDownLatch(0);
    /** Metadata batches left to fail (after their streams' bytes are synced, as a failed write would). */
    final AtomicInteger metadataFailures = new AtomicInteger();
    /** Streams whose own metadata writes fail (the others' succeed). */
    final java.util.Set<Path> failingStreams = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @BeforeEach
    void start() throws IOException {
        server.start().store().syncHook(new StreamStore.SyncHook() {
            @Override
            public void beforeSync() throws InterruptedException {
                gate.await();
            }

            @Override
            public void beforeMetadataWrites() throws IOException {
                if (metadataFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    throw new IOException("the metadata write failed");
                }
            }

            @Override
            public void beforeMetadataWrite(Path stream) throws IOException {
                if (failingStreams.contains(stream)) {
                    throw new IOException("the metadata write of " + stream + " failed");
                }
            }
        });
    }

    @AfterEach
    void stop() {
        releaseSyncs(); // before the extension closes the server, which waits for the syncs it owes
    }

    void holdSyncs() {
        gate = new CountDownLatch(1);
    }

    void releaseSyncs() {
        gate.countDown();
    }

    long size(String name) {
        return server.root().resolve(name).toFile().length();
    }

    /** The metadata file of the stream {@code name}, as on disk. */
    String metadataFile(String name) throws IOException {
        String[] segments = name.split("/");
        Path meta = server.root().resolve(".httpfstream/metadata");
        for (int i = 0; i < segments.length - 1; i++) {
            meta = meta.resolve(segments[i] + ".d");
        }
        return Files.readString(meta.resolve(segments[segments.length - 1] + ".meta"), ISO_8859_1);
    }

    String header(HttpResponse<?> response, String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    @Nested
    class DurableStreamsAppends {
        @Test
        void concurrentPostsShareOneSync() throws Exception {
            assertThat(server.send("PUT", "/g.txt", null, "Content-Type", "text/plain").statusCode()).isEqualTo(201);
            long batchesBefore = server.store().syncBatches();
            holdSyncs();
            // The first POST's batch is held; the other 31 are written meanwhile and wait for the next.
            List<CompletableFuture<HttpResponse<String>>> posts = new ArrayList<>();
            posts.add(server.sendAsync("POST", "/g.txt", "0123456789", "Content-Type", "text/plain"));
            Await.until("the first append is written", () -> size("g.txt") == 10);
            for (int i = 1; i < 32; i++) {
                posts.add(server.sendAsync("POST", "/g.txt", "0123456789", "Content-Type", "text/plain"));
            }
            Await.until("all 32 appends are written", () -> size("g.txt") == 320);
            assertThat(posts).noneMatch(CompletableFuture::isDone);
            releaseSyncs();
            for (CompletableFuture<HttpResponse<String>> p : posts) {
                assertThat(p.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(204);
            }
            assertThat(server.store().syncBatches() - batchesBefore).isBetween(1L, 2L);
            assertThat(server.send("GET", "/g.txt?offset=-1", null).body()).hasSize(320);
        }

        @Test
        void aPostIsAnsweredAndItsBytesSeenOnlyAfterTheSync() throws Exception {
            assertThat(server.send("PUT", "/s.txt", "old ", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
            CompletableFuture<HttpResponse<String>> longPoll = server.sendAsync("GET",
                    "/s.txt?offset=0000000000000004&live=long-poll", null);
            holdSyncs();
            CompletableFuture<HttpResponse<String>> post = server.sendAsync("POST", "/s.txt", "new", "Content-Type",
                    "text/plain");
            Await.until("the bytes are in the file", () -> size("s.txt") == 7);

            HttpResponse<String> read = server.send("GET", "/s.txt?offset=-1", null);
            assertThat(read.body()).isEqualTo("old ");
            assertThat(read.headers().firstValue("Stream-Next-Offset")).hasValue("0000000000000004");
            assertThat(server.send("HEAD", "/s.txt", null).headers().firstValue("Stream-Next-Offset"))
                    .hasValue("0000000000000004");
            assertThat(server.send("GET", "/s.txt", null).body()).isEqualTo("old "); // plain GET too
            assertThat(post).isNotDone();
            assertThat(longPoll).isNotDone();

            releaseSyncs();
            HttpResponse<String> answered = post.get(20, TimeUnit.SECONDS);
            assertThat(answered.statusCode()).isEqualTo(204);
            assertThat(answered.headers().firstValue("Stream-Next-Offset")).hasValue("0000000000000007");
            assertThat(longPoll.get(20, TimeUnit.SECONDS).body()).isEqualTo("new");
            assertThat(server.send("GET", "/s.txt?offset=-1", null).body()).isEqualTo("old new");
        }

        @Test
        void aClosureIsAnsweredAndSeenOnlyAfterTheSync() throws Exception {
            assertThat(server.send("PUT", "/c.txt", "a", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
            holdSyncs();
            CompletableFuture<HttpResponse<String>> close = server.sendAsync("POST", "/c.txt", "b", "Content-Type",
                    "text/plain", "Stream-Closed", "true");
            Await.until("the bytes are in the file", () -> size("c.txt") == 2);
            HttpResponse<String> head = server.send("HEAD", "/c.txt", null);
            assertThat(head.headers().firstValue("Stream-Closed")).isEmpty();
            assertThat(head.headers().firstValue("Stream-Next-Offset")).hasValue("0000000000000001");
            assertThat(close).isNotDone();
            // A POST after the closure is refused, once the closure is durable.
            CompletableFuture<HttpResponse<String>> refused = server.sendAsync("POST", "/c.txt", "c", "Content-Type",
                    "text/plain");

            releaseSyncs();
            assertThat(close.get(20, TimeUnit.SECONDS).headers().firstValue("Stream-Closed")).hasValue("true");
            assertThat(refused.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(409);
            HttpResponse<String> after = server.send("HEAD", "/c.txt", null);
            assertThat(after.headers().firstValue("Stream-Closed")).hasValue("true");
            assertThat(after.headers().firstValue("Stream-Next-Offset")).hasValue("0000000000000002");
        }

        @Test
        void pipelinedRequestsAreAnsweredInOrder() throws Exception {
            assertThat(server.send("PUT", "/p.txt", null, "Content-Type", "text/plain").statusCode()).isEqualTo(201);
            holdSyncs();
            try (Socket s = new Socket()) {
                s.connect(server.address(), 5000);
                s.setSoTimeout(20_000);
                String host = "Host: 127.0.0.1:" + server.address().getPort() + "\r\n";
                s.getOutputStream().write(("POST /p.txt HTTP/1.1\r\n" + host
                        + "Content-Type: text/plain\r\nContent-Length: 3\r\n\r\none"
                        + "GET /p.txt?offset=-1 HTTP/1.1\r\n" + host + "\r\n"
                        + "POST /p.txt HTTP/1.1\r\n" + host
                        + "Content-Type: text/plain\r\nContent-Length: 3\r\n\r\ntwo"
                        + "GET /p.txt?offset=-1 HTTP/1.1\r\n" + host + "\r\n").getBytes(ISO_8859_1));
                Await.until("the first append is written", () -> size("p.txt") == 3);
                InputStream in = s.getInputStream();
                assertThat(in.available()).isZero(); // nothing answered while the sync is held
                releaseSyncs();
                RawHttp first = RawHttp.read(in, true);
                assertThat(first.status).isEqualTo(204);
                assertThat(first.header("Stream-Next-Offset")).isEqualTo("0000000000000003");
                assertThat(RawHttp.read(in, false).bodyText()).isEqualTo("one");
                assertThat(RawHttp.read(in, true).header("Stream-Next-Offset")).isEqualTo("0000000000000006");
                assertThat(RawHttp.read(in, false).bodyText()).isEqualTo("onetwo");
            }
        }

        @Test
        void aFailedSyncIsAnswered507AndItsBytesAreCutOffNeverSeen() throws Exception {
            assertThat(server.send("PUT", "/f.txt", "a", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
            server.store().syncHook(() -> {
                throw new InterruptedException("the sync failed");
            });
            HttpResponse<String> refused = server.send("POST", "/f.txt", "b", "Content-Type", "text/plain");
            assertThat(refused.statusCode()).isEqualTo(507);
            assertThat(refused.body()).startsWith("insufficient storage: ").hasLineCount(1);
            assertThat(server.send("GET", "/f.txt?offset=-1", null).body()).isEqualTo("a");
            assertThat(Files.readString(server.root().resolve("f.txt"))).as("cut back to the last acknowledged append")
                    .isEqualTo("a");
            server.store().syncHook(() -> gate.await());
            HttpResponse<String> next = server.send("POST", "/f.txt", "c", "Content-Type", "text/plain");
            assertThat(next.statusCode()).isEqualTo(204);
            assertThat(next.headers().firstValue("Stream-Next-Offset")).hasValue("0000000000000002");
            assertThat(server.send("GET", "/f.txt?offset=-1", null).body()).isEqualTo("ac");
        }

        @Test
        void bytesAndMetadataSurviveARestart() throws Exception {
            assertThat(server.send("PUT", "/r/a.txt", "a", "Content-Type", "text/plain", "Stream-TTL", "3600")
                    .statusCode()).isEqualTo(201);
            assertThat(server.send("POST", "/r/a.txt", "b", "Content-Type", "text/plain", "Stream-Seq", "1",
                    "Producer-Id", "p", "Producer-Epoch", "2", "Producer-Seq", "0").statusCode()).isEqualTo(200);
            assertThat(server.send("POST", "/r/a.txt", "c", "Content-Type", "text/plain", "Stream-Closed", "true",
                    "Producer-Id", "p", "Producer-Epoch", "2", "Producer-Seq", "1").statusCode()).isEqualTo(200);
            server.stop();
            start();
            HttpResponse<String> head = server.send("HEAD", "/r/a.txt", null);
            assertThat(head.headers().firstValue("Stream-Closed")).hasValue("true");
            assertThat(head.headers().firstValue("Stream-TTL")).hasValue("3600");
            assertThat(head.headers().firstValue("Stream-Next-Offset")).hasValue("0000000000000003");
            HttpResponse<String> retry = server.send("POST", "/r/a.txt", "c", "Content-Type", "text/plain",
                    "Stream-Closed", "true", "Producer-Id", "p", "Producer-Epoch", "2", "Producer-Seq", "1");
            assertThat(retry.statusCode()).isEqualTo(204); // the closing request, retried: a duplicate
            assertThat(server.send("GET", "/r/a.txt?offset=-1", null).body()).isEqualTo("abc");
        }
    }

    /**
     * A metadata batch that fails (its write or force throws) after its streams' bytes are synced. The
     * semantics: a failed batch's changes are not dropped but carried into the next batch, which retries
     * them; the requests that waited for it are answered 500 (outcome unknown, as for bytes). The
     * writers' view stays what the next batch will write, and every answer that depends on it waits for
     * a batch that makes it durable: while the disk refuses, such answers are 500 too. Rolling the
     * writers' view back instead would be wrong for the bytes, which are synced before the metadata
     * write fails and stay: a producer's retry would append them a second time.
     */
    @Nested
    class FailedMetadataBatches {
        @Test
        void aStreamWhoseMetadataKeepsFailingHoldsUpNoOtherStream() throws Exception {
            assertThat(server.send("PUT", "/bad.txt", "a", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
            assertThat(server.send("PUT", "/good.txt", "a", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
            failingStreams.add(server.root().toRealPath().resolve("bad.txt"));
            assertThat(server.send("POST", "/bad.txt", "b", "Content-Type", "text/plain", "Stream-Closed", "true")
                    .statusCode()).isEqualTo(500);
            // The other stream's changes are made durable, answered and seen while bad.txt keeps failing.
            HttpResponse<String> produced = server.send("POST", "/good.txt", "x", "Content-Type", "text/plain",
                    "Producer-Id", "p", "Producer-Epoch", "0", "Producer-Seq", "0");
            assertThat(produced.statusCode()).isEqualTo(200);
            assertThat(metadataFile("good.txt")).contains("producer.p=0 0");
            assertThat(server.send("POST", "/good.txt", null, "Stream-Closed", "true").statusCode()).isEqualTo(204);
            assertThat(header(server.send("HEAD", "/good.txt", null), "Stream-Closed")).isEqualTo("true");
            assertThat(metadataFile("good.txt")).contains("closed=true");
            assertThat(server.send("POST", "/bad.txt", "c", "Content-Type", "text/plain").statusCode()).isEqualTo(500);
            assertThat(metadataFile("bad.txt")).contains("closed=false");

            failingStreams.clear(); // its retry succeeds on its own
            Await.until("the failed closure is retried and seen", () -> "true".equals(header(server.send("HEAD", "/bad.txt", null), "Stream-Closed")));
            assertThat(metadataFile("bad.txt")).contains("closed=true");
        }

        @Test
        void aClosureIsClaimedByNoAnswerUntilARetriedBatchMakesItDurable() throws Exception {
            assertThat(server.send("PUT", "/cf.txt", "a", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
            metadataFailures.set(Integer.MAX_VALUE);
            assertThat(server.send("POST", "/cf.txt", "b", "Content-Type", "text/plain", "Stream-Closed", "true")
                    .statusCode()).isEqualTo(500);
            // Readers and the disk: the bytes synced before the metadata write failed; the stream is open.
            assertThat(server.send("GET", "/cf.txt?offset=-1", null).body()).isEqualTo("ab");
            HttpResponse<String> head = server.send("HEAD", "/cf.txt", null);
            assertThat(header(head, "Stream-Closed")).isNull();
            assertThat(header(head, "Stream-Next-Offset")).isEqualTo("0000000000000002");
            assertThat(metadataFile("cf.txt")).contains("closed=false");
            // Writers: the closure is pending, not durable, so neither "closed" (409) nor an append is answered.
            assertThat(server.send("POST", "/cf.txt", "c", "Content-Type", "text/plain").statusCode()).isEqualTo(500);
            assertThat(server.send("POST", "/cf.txt", null, "Stream-Closed", "true").statusCode()).isEqualTo(500);
            assertThat(size("cf.txt")).isEqualTo(2);

            metadataFailures.set(0); // the disk takes writes again: a retried batch makes the closure durable
            Await.until("the closure is durable and seen",
                    () -> "true".equals(header(server.send("HEAD", "/cf.txt", null), "Stream-Closed")));
            assertThat(metadataFile("cf.txt")).contains("closed=true");
            HttpResponse<String> retried = server.send("POST", "/cf.txt", null, "Stream-Closed", "true");
            assertThat(retried.statusCode()).isEqualTo(204);
            assertThat(header(retried, "Stream-Closed")).isEqualTo("true");
            assertThat(server.send("POST", "/cf.txt", "c", "Content-Type", "text/plain").statusCode()).isEqualTo(409);

            server.stop();
            start();
            head = server.send("HEAD", "/cf.txt", null);
            assertThat(header(head, "Stream-Closed")).isEqualTo("true");
            assertThat(header(head, "Stream-Next-Offset")).isEqualTo("0000000000000002");
            assertThat(server.send("GET", "/cf.txt?offset=-1", null).body()).isEqualTo("ab");
        }

        @Test
        void aProducerAppendWhoseBatchFailsIsAppliedOnceAndItsRetryAcknowledgedOnlyWhenDurable() throws Exception {
            assertThat(server.send("PUT", "/pf.txt", "a", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
            assertThat(server.send("POST", "/pf.txt", "b", "Content-Type", "text/plain", "Producer-Id", "p",
                    "Producer-Epoch", "0", "Producer-Seq", "0").statusCode()).isEqualTo(200);
            metadataFailures.set(Integer.MAX_VALUE);
            String[] seq1 = {"Content-Type", "text/plain", "Producer-Id", "p", "Producer-Epoch", "0",
                    "Producer-Seq", "1"};
            assertThat(server.send("POST", "/pf.txt", "c", seq1).statusCode()).isEqualTo(500);
            assertThat(server.send("GET", "/pf.txt?offset=-1", null).body()).isEqualTo("abc"); // its bytes stay
            assertThat(metadataFile("pf.txt")).contains("producer.p=0 0");
            // The retry is not acknowledged as a duplicate while the state that makes it one is not durable.
            assertThat(server.send("POST", "/pf.txt", "c", seq1).statusCode()).isEqualTo(500);
            assertThat(size("pf.txt")).isEqualTo(3);

            metadataFailures.set(0);
            HttpResponse<String> retried = server.send("POST", "/pf.txt", "c", seq1);
            assertThat(retried.statusCode()).isEqualTo(204); // a duplicate: "c" is in the stream once
            assertThat(header(retried, "Producer-Seq")).isEqualTo("1");
            assertThat(metadataFile("pf.txt")).contains("producer.p=0 1");
            assertThat(server.send("POST", "/pf.txt", "d", "Content-Type", "text/plain", "Producer-Id", "p",
                    "Producer-Epoch", "0", "Producer-Seq", "2").statusCode()).isEqualTo(200);

            server.stop();
            start();
            assertThat(server.send("POST", "/pf.txt", "c", seq1).statusCode()).isEqualTo(204);
            assertThat(server.send("GET", "/pf.txt?offset=-1", null).body()).isEqualTo("abcd");
        }

        @Test
        void aCreationWhoseBatchFailsIsRetriedWithItsFolderEntry() throws Exception {
            metadataFailures.set(Integer.MAX_VALUE);
            assertThat(server.send("PUT", "/new/n.json", "[1]", "Content-Type", "application/json").statusCode())
                    .isEqualTo(500);
            assertThat(server.send("PUT", "/new/n.json", "[1]", "Content-Type", "application/json").statusCode())
                    .isEqualTo(500);
            metadataFailures.set(0);
            // Retried: the stream exists with its configuration, now durable.
            assertThat(server.send("PUT", "/new/n.json", "[1]", "Content-Type", "application/json").statusCode())
                    .isEqualTo(200);
            assertThat(metadataFile("new/n.json")).contains("contentType=application/json");

            server.stop();
            start();
            HttpResponse<String> read = server.send("GET", "/new/n.json?offset=-1", null);
            assertThat(header(read, "Content-Type")).isEqualTo("application/json");
            assertThat(read.body()).isEqualTo("[1]");
        }

        @Test
        void aStreamSeqWhoseBatchFailsIsRefusedAgainOnlyOnceItIsDurable() throws Exception {
            assertThat(server.send("PUT", "/sf.txt", null, "Content-Type", "text/plain").statusCode()).isEqualTo(201);
            metadataFailures.set(Integer.MAX_VALUE);
            assertThat(server.send("POST", "/sf.txt", "a", "Content-Type", "text/plain", "Stream-Seq", "5")
                    .statusCode())
                    .isEqualTo(500);
            assertThat(server.send("POST", "/sf.txt", "a", "Content-Type", "text/plain", "Stream-Seq", "5")
                    .statusCode())
                    .isEqualTo(500);
            assertThat(metadataFile("sf.txt")).doesNotContain("lastSeq");
            metadataFailures.set(0);
            // The first request did take effect (its bytes are in the stream): its retry is refused.
            assertThat(server.send("POST", "/sf.txt", "a", "Content-Type", "text/plain", "Stream-Seq", "5")
                    .statusCode())
                    .isEqualTo(409);
            assertThat(metadataFile("sf.txt")).contains("lastSeq=5");
            assertThat(server.send("GET", "/sf.txt?offset=-1", null).body()).isEqualTo("a");
        }
    }

    @Nested
    class WebSocketAppends {
        @Test
        void followersGetEveryByteAndTheAppenderItsCloseOnlyAfterTheFinalSync() throws Exception {
            try (RawWebSocket appender = RawWebSocket.appendAccepted(server.address(), "/ws.log")) {
                appender.send(RawWebSocket.BINARY, "first ".getBytes(UTF_8));
                org.httpfstream.store.AppendSession session = server.store().lookup("/ws.log").session();
                Await.until("the first bytes are committed", () -> session.length() == 6);
                try (RawWebSocket follower = RawWebSocket.follow(server.address(), "/ws.log")) {
                    assertThat(follower.status()).isEqualTo(101);
                    assertThat(new String(follower.readData(6), UTF_8)).isEqualTo("first ");
                    holdSyncs();
                    appender.send(RawWebSocket.TEXT, "second".getBytes(UTF_8));
                    appender.sendClose(1000);
                    Await.until("the session has ended", () -> server.store().activeSessions() == 0);
                    assertThat(size("ws.log")).isEqualTo(12);
                    assertThat(appender.socket.getInputStream().available()).isZero(); // no Close yet
                    assertThat(follower.socket.getInputStream().available()).isZero(); // nor the bytes

                    releaseSyncs();
                    assertThat(appender.readToClose(new ByteArrayOutputStream()).closeCode()).isEqualTo(1000);
                    follower.assertDataThenClose("second", 1000);
                }
            }
            assertThat(Files.readString(server.root().resolve("ws.log"))).isEqualTo("first second");
        }

        @Test
        void postsAreRefusedWhileAWebSocketAppenderHoldsTheLease() throws Exception {
            assertThat(server.send("PUT", "/lease.txt", "put ", "Content-Type",
                    "text/plain").statusCode()).isEqualTo(201);
            try (RawWebSocket appender = RawWebSocket.appendAccepted(server.address(), "/lease.txt")) {
                appender.send(RawWebSocket.BINARY, "ws ".getBytes(UTF_8));
                HttpResponse<String> post = server.send("POST", "/lease.txt", "post", "Content-Type", "text/plain");
                assertThat(post.statusCode()).isEqualTo(409);
                assertThat(post.body()).contains("a WebSocket appender is active on /lease.txt");
                assertThat(server.send("DELETE", "/lease.txt", null).statusCode()).isEqualTo(409);
                appender.sendClose(1000);
                assertThat(appender.readToClose(new ByteArrayOutputStream()).closeCode()).isEqualTo(1000);
            }
            try (RawWebSocket second = RawWebSocket.appendAccepted(server.address(), "/lease.txt")) {
                second.sendClose(1000);
                assertThat(second.readToClose(new ByteArrayOutputStream()).closeCode()).isEqualTo(1000);
            }
            assertThat(server.send("POST", "/lease.txt", "post", "Content-Type",
                    "text/plain").statusCode()).isEqualTo(204);
            assertThat(server.send("GET", "/lease.txt?offset=-1", null).body()).isEqualTo("put ws post");
        }
    }
}
