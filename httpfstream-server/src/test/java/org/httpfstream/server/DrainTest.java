package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.httpfstream.server.testing.ServerExtension;
import org.httpfstream.store.Offsets;
import org.httpfstream.testing.Await;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link HttpFStreamServer#close()} drains: new connections are refused at once, requests already read
 * are answered (a POST waiting for its fsync included), every kind of live reader ends with the offset
 * to resume from, long-polls are answered, appenders may finish within the drain timeout and get Close
 * 1001 after it, keeping every byte.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DrainTest {
    /** The tests close the server themselves, as a SIGTERM would; the extension's close then does nothing. */
    @RegisterExtension
    final ServerExtension server = new ServerExtension().startedByTest();

    void start(boolean fsync, Duration drainTimeout) throws IOException {
        server.start(b -> b.fsync(fsync).drainTimeout(drainTimeout));
    }

    /** Runs close() on a thread of its own and waits until the drain has begun. */
    CompletableFuture<Void> closeInBackground() {
        CompletableFuture<Void> closed = CompletableFuture.runAsync(server.get()::close);
        Await.until("the server drains", server.get()::isDraining);
        return closed;
    }

    /** Waits (with a deadline) until a new connection is refused: the drain closes the listener first. */
    void assertRefusesConnections() {
        Await.until("new connections are refused", () -> {
            try (Socket s = new Socket()) {
                s.connect(server.address(), 5000);
                return false;
            } catch (ConnectException e) {
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }

    @Nested
    class InFlightRequests {
        @Test
        void aPostWaitingForItsFsyncAndOnePipelinedBehindItAreAnsweredAndDurable() throws Exception {
            start(true, Duration.ofSeconds(30));
            assertThat(RawHttp.request(server.address(), "PUT", "/d.txt",
                    "Content-Type: text/plain").status).isEqualTo(201);
            CountDownLatch gate = new CountDownLatch(1);
            CountDownLatch syncing = new CountDownLatch(1);
            server.store().syncHook(() -> {
                syncing.countDown();
                gate.await();
            });
            try (Socket s = RawHttp.connect(server.address())) {
                String post = "POST /d.txt HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s";
                // Two POSTs in one write: the second is held behind the first, which waits for its sync.
                RawHttp.write(s, post.formatted(8, "durable\n") + post.formatted(7, "second\n"));
                assertThat(syncing.await(20, TimeUnit.SECONDS)).as("the first POST's sync began").isTrue();

                CompletableFuture<Void> closed = closeInBackground();
                assertRefusesConnections();
                assertThat(closed).as("close() waits for the sync").isNotDone();
                gate.countDown();

                InputStream in = s.getInputStream();
                RawHttp first = RawHttp.readHead(in);
                assertThat(first.status).isEqualTo(204);
                assertThat(first.header("Stream-Next-Offset")).isEqualTo(Offsets.format(8));
                RawHttp second = RawHttp.readHead(in);
                assertThat(second.status).as("the pipelined POST is answered too").isEqualTo(204);
                assertThat(second.header("Stream-Next-Offset")).isEqualTo(Offsets.format(15));
                assertThat(second.header("Connection")).isEqualTo("close");
                assertThat(in.read()).as("then the connection closes").isEqualTo(-1);
                closed.get(20, TimeUnit.SECONDS);
            }
            server.store().syncHook(null);
            server.stop(); // closed above: lets it go, so that start() may start another

            start(true, Duration.ofSeconds(30)); // the same root, as after a restart
            RawHttp read = RawHttp.request(server.address(), "GET", "/d.txt?offset=-1");
            assertThat(read.bodyText()).isEqualTo("durable\nsecond\n");
            assertThat(Files.readString(server.root().resolve("d.txt"))).isEqualTo("durable\nsecond\n");
        }

        @Test
        void aFileStillBeingSentIsSentToItsEnd() throws Exception {
            byte[] big = new byte[8 * 1024 * 1024];
            new java.util.Random(1).nextBytes(big);
            Files.write(server.root().resolve("big.bin"), big);
            start(false, Duration.ofSeconds(30));
            try (Socket s = new Socket()) {
                s.setReceiveBufferSize(16 * 1024); // the body waits in the server's buffers, not ours
                s.connect(server.address(), 5000);
                s.setSoTimeout(20_000);
                RawHttp.write(s, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
                InputStream in = s.getInputStream();
                RawHttp head = RawHttp.read(in, true); // the head only: the body is read below
                assertThat(head.status).isEqualTo(200);
                byte[] first = in.readNBytes(1024);

                CompletableFuture<Void> closed = closeInBackground();
                byte[] rest = in.readAllBytes(); // to the end of the connection
                assertThat(first.length + rest.length).as("bytes of the body").isEqualTo(big.length);
                assertThat(java.util.Arrays.equals(rest, 0, rest.length, big, 1024, big.length)).isTrue();
                closed.get(20, TimeUnit.SECONDS);
            }
        }

        @Test
        void anIdleKeepAliveConnectionIsClosedAtOnce() throws Exception {
            start(false, Duration.ofSeconds(30));
            try (Socket s = RawHttp.connect(server.address())) {
                RawHttp.write(s, "PUT /idle.txt HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n");
                RawHttp created = RawHttp.readHead(s.getInputStream());
                assertThat(created.status).isEqualTo(201);
                assertThat(created.header("Connection")).isNull(); // kept alive

                CompletableFuture<Void> closed = closeInBackground();
                assertThat(s.getInputStream().read()).isEqualTo(-1);
                closed.get(20, TimeUnit.SECONDS);
            }
        }
    }

    @Nested
    class LiveReaders {
        @Test
        void everyKindOfFollowerEndsWithItsResumeOffsetAndTheAppenderFinishes() throws Exception {
            start(false, Duration.ofSeconds(30));
            assertThat(RawHttp.request(server.address(), "PUT", "/ds.txt", "Content-Type: text/plain")
                    .status).isEqualTo(201);
            try (RawWebSocket appender = RawWebSocket.append(server.address(), "/live.log");
                    Socket post = RawHttp.connect(server.address())) {
                RawHttp.write(post, "POST /ds.txt HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc");
                assertThat(RawHttp.readHead(post.getInputStream()).status).isEqualTo(204);
                appender.send(RawWebSocket.TEXT, "hello\n".getBytes(UTF_8));
                Await.until("the appender's bytes are written",
                        () -> server.root().resolve("live.log").toFile().length() == 6);

                try (RawWebSocket webSocket = RawWebSocket.follow(server.address(), "/live.log", "X-Verb: FOLLOW");
                        Socket follow = RawHttp.connect(server.address());
                        Socket sse = RawHttp.connect(server.address());
                        Socket poll = RawHttp.connect(server.address())) {
                    assertThat(webSocket.status()).isEqualTo(101);
                    assertThat(webSocket.readData(6)).isEqualTo("hello\n".getBytes(UTF_8));
                    RawHttp.write(follow, "GET /live.log?follow HTTP/1.1\r\nHost: x\r\n\r\n");
                    InputStream followIn = follow.getInputStream();
                    assertThat(RawHttp.readHead(followIn).status).isEqualTo(200);
                    Map<String, String> trailers = new TreeMap<>();
                    assertThat(RawHttp.readChunk(followIn, trailers)).isEqualTo("hello\n".getBytes(UTF_8));
                    RawHttp.write(sse, "GET /ds.txt?offset=-1&live=sse HTTP/1.1\r\nHost: x\r\n\r\n");
                    InputStream sseIn = sse.getInputStream();
                    assertThat(RawHttp.readHead(sseIn).status).isEqualTo(200);
                    StringBuilder events = new StringBuilder();
                    while (!events.toString().contains("\"upToDate\":true}\n\n")) {
                        events.append(new String(RawHttp.readChunk(sseIn, trailers), UTF_8));
                    }
                    RawHttp.write(poll, "GET /ds.txt?offset=" + Offsets.format(3)
                            + "&live=long-poll HTTP/1.1\r\nHost: x\r\n\r\n");
                    Await.until("four live readers", () -> server.get().liveReaders() == 4);

                    CompletableFuture<Void> closed = closeInBackground();
                    assertRefusesConnections();

                    ByteArrayOutputStream data = new ByteArrayOutputStream();
                    RawWebSocket.Frame close = webSocket.readToClose(data);
                    assertThat(close.closeCode()).as("WebSocket follower").isEqualTo(1001);

                    assertThat(RawHttp.readChunk(followIn, trailers)).as("?follow: the last chunk").isNull();
                    assertThat(trailers).containsEntry("stream-next-offset", Offsets.format(6))
                            .containsEntry("stream-writer-active", "true");
                    assertThat(followIn.read()).isEqualTo(-1);

                    byte[] chunk;
                    while ((chunk = RawHttp.readChunk(sseIn, new TreeMap<>())) != null) {
                        events.append(new String(chunk, UTF_8));
                    }
                    assertThat(events.toString()).as("SSE: a last control event with the offset, then the end")
                            .matches("(?s).*\nevent: control\ndata:\\{\"streamNextOffset\":\"" + Offsets.format(3)
                                    + "\",\"streamCursor\":\"[^\"]+\"}\n\n");
                    assertThat(sseIn.read()).isEqualTo(-1);

                    RawHttp polled = RawHttp.readHead(poll.getInputStream());
                    assertThat(polled.status).as("long-poll: answered as at its timeout").isEqualTo(204);
                    assertThat(polled.header("Stream-Next-Offset")).isEqualTo(Offsets.format(3));
                    assertThat(polled.header("Stream-Up-To-Date")).isEqualTo("true");
                    assertThat(polled.header("Connection")).isEqualTo("close");
                    assertThat(poll.getInputStream().read()).isEqualTo(-1);

                    // The appender goes on after the followers have gone, then ends as it wants.
                    assertThat(closed).isNotDone();
                    appender.send(RawWebSocket.TEXT, "more\n".getBytes(UTF_8));
                    appender.sendClose(1000);
                    assertThat(appender.readToClose(new ByteArrayOutputStream()).closeCode()).isEqualTo(1000);
                    closed.get(20, TimeUnit.SECONDS);
                }
            }
            assertThat(Files.readString(server.root().resolve("live.log"))).isEqualTo("hello\nmore\n");
        }
    }

    @Nested
    class Appenders {
        /** An append session on {@code path} that sent {@code text}, once its bytes are in the file. */
        RawWebSocket appendWritten(String path, String text) throws Exception {
            RawWebSocket appender = RawWebSocket.append(server.address(), path);
            appender.send(RawWebSocket.TEXT, text.getBytes(UTF_8));
            Await.until("the bytes are written",
                    () -> server.root().resolve(path.substring(1)).toFile().length() == text.length());
            return appender;
        }

        @Test
        void anAppenderStillAppendingAfterTheDrainTimeoutGetsClose1001AndKeepsItsBytes() throws Exception {
            start(false, Duration.ofMillis(300));
            try (RawWebSocket appender = appendWritten("/slow.log", "abc")) {
                server.get().close();
                assertThat(appender.readToClose(new ByteArrayOutputStream()).closeCode()).isEqualTo(1001);
            }
            assertThat(Files.readString(server.root().resolve("slow.log"))).isEqualTo("abc");
        }

        @Test
        void aSecondCloseEndsTheDrainAtOnce() throws Exception {
            start(false, Duration.ofMinutes(10));
            try (RawWebSocket appender = appendWritten("/busy.log", "xyz")) {
                CompletableFuture<Void> first = closeInBackground();
                server.get().close(); // as a second SIGTERM: returns once the server is closed
                assertThat(appender.readToClose(new ByteArrayOutputStream()).closeCode()).isEqualTo(1001);
                first.get(20, TimeUnit.SECONDS);
            }
            assertThat(Files.readString(server.root().resolve("busy.log"))).isEqualTo("xyz");
        }
    }

    @Test
    void closeBeforeStartAndTwiceIsHarmless() throws IOException {
        HttpFStreamServer never = HttpFStreamServer.builder().root(server.root()).bind("127.0.0.1", 0).build();
        never.close();
        assertThat(never.isDraining()).isFalse();
        start(false, Duration.ZERO);
        server.get().close();
        server.get().close();
        assertThat(server.get().isDraining()).isTrue();
    }
}
