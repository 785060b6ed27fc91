package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.httpfstream.server.Refusals.Reason;
import org.httpfstream.server.testing.ServerExtension;
import org.httpfstream.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Each transport limit against a real server on a real socket: what a client past it gets (status,
 * one line, the connection closed or not), that the refusal is counted once, and that the place is
 * given back when the connection or the read ends.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LimitsTest {
    @RegisterExtension
    final ServerExtension server = new ServerExtension().startedByTest();
    final List<AutoCloseable> open = new ArrayList<>();
    final ExecutorService clients = Executors.newCachedThreadPool();

    void start(Limits limits) throws IOException {
        start(limits, HttpFStreamSettings.defaults());
    }

    void start(Limits limits, HttpFStreamSettings settings) throws IOException {
        server.start(b -> b.limits(limits).settings(settings));
    }

    @AfterEach
    void stop() throws Exception {
        clients.shutdownNow();
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    long refused(Reason reason) {
        return server.get().refusals().get(reason);
    }

    /** A connected socket from {@code localAddress} (null: any), closed after the test. */
    Socket connect(String localAddress) throws IOException {
        Socket s = new Socket();
        open.add(s);
        if (localAddress != null) {
            s.bind(new InetSocketAddress(localAddress, 0));
        }
        s.connect(server.address(), 5000);
        s.setSoTimeout(20_000);
        return s;
    }

    Socket connect() throws IOException {
        return connect(null);
    }

    String get(String target) {
        return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + server.address().getPort() + "\r\n\r\n";
    }

    /** Asserts that a request on {@code s} is served: a GET of a missing file gets its 404, not a refusal. */
    void assertServed(Socket s) throws IOException {
        RawHttp.write(s, get("/nothing.txt"));
        assertThat(RawHttp.read(s.getInputStream(), false).status).isEqualTo(404);
    }

    /** Asserts that the server closed {@code s} and counted it as one refusal for {@code reason}. */
    void assertClosedAndRefusedOnce(Socket s, Reason reason) throws IOException {
        assertThat(closedByServer(s)).isTrue();
        assertThat(refused(reason)).isEqualTo(1);
    }

    /** An append session on {@code path}, upgraded (101), closed after the test. */
    RawWebSocket acceptedAppender(String path) throws IOException {
        RawWebSocket appender = track(RawWebSocket.append(server.address(), path));
        assertThat(appender.status()).isEqualTo(101);
        return appender;
    }

    /** True if the server closed {@code s}: the next read sees the end (or a reset), not data. */
    static boolean closedByServer(Socket s) throws IOException {
        try {
            return s.getInputStream().read() < 0;
        } catch (SocketException e) {
            return true; // reset
        }
    }

    RawWebSocket track(RawWebSocket ws) {
        open.add(ws);
        return ws;
    }

    @Nested
    class Connections {
        @Test
        void oneMoreThanTheTotalIsAnswered503AndClosed_andItsPlaceIsFreedWhenOneCloses() throws Exception {
            start(Limits.defaults().withMaxConnections(2));
            Socket first = connect();
            connect();
            Await.until("two connections are open", () -> server.get().openConnections() == 2);

            Socket third = connect();
            RawHttp r = RawHttp.read(third.getInputStream(), false);
            assertThat(r.status).isEqualTo(503);
            assertThat(r.header("Retry-After")).isEqualTo("5");
            assertThat(r.header("Connection")).isEqualTo("close");
            assertThat(r.bodyText()).isEqualTo("too many connections: the server has 2 open (limit 2, "
                    + "-max-connections)\n");
            assertClosedAndRefusedOnce(third, Reason.CONNECTIONS);

            first.close();
            Await.until("the closed connection is given back", () -> server.get().openConnections() == 1);
            Socket fourth = connect();
            assertServed(fourth);
            assertThat(refused(Reason.CONNECTIONS)).isEqualTo(1);
        }

        @Test
        void oneMoreThanTheLimitFromOneAddressIsRefused_whileOtherAddressesAreServed() throws Exception {
            start(Limits.defaults().withMaxConnectionsPerAddress(2));
            connect("127.0.0.1");
            connect("127.0.0.1");
            Await.until("two connections are open", () -> server.get().openConnections() == 2);

            Socket third = connect("127.0.0.1");
            RawHttp r = RawHttp.read(third.getInputStream(), false);
            assertThat(r.status).isEqualTo(503);
            assertThat(r.bodyText()).isEqualTo("too many connections from 127.0.0.1: 2 open (limit per address, "
                    + "-max-connections-per-address)\n");
            assertThat(closedByServer(third)).isTrue();

            Socket other = connect("127.0.0.2");
            assertServed(other);
            assertThat(refused(Reason.CONNECTIONS)).isEqualTo(1);
        }

        @Test
        void upgradedConnectionsCountUntilTheyClose() throws Exception {
            start(Limits.defaults().withMaxConnections(1));
            RawWebSocket appender = acceptedAppender("/ws.txt");
            Socket second = connect();
            assertThat(RawHttp.read(second.getInputStream(), false).status).isEqualTo(503);

            appender.sendClose(1000);
            appender.closedByServer();
            Await.until("the appender's connection is given back", () -> server.get().openConnections() == 0);
            assertThat(RawWebSocket.append(server.address(), "/ws.txt").status()).isEqualTo(101);
        }
    }

    @Nested
    class HeaderTimeout {
        /** Sends {@code text} a byte at a time, {@code every} apart, until done or the socket fails. */
        Future<Integer> drip(Socket s, String text, Duration every) {
            return clients.submit(() -> {
                OutputStream out = s.getOutputStream();
                s.setTcpNoDelay(true);
                int sent = 0;
                try {
                    for (byte b : text.getBytes(ISO_8859_1)) {
                        out.write(b);
                        out.flush();
                        sent++;
                        Thread.sleep(every.toMillis()); // the pace of a slow client, not a wait for an event
                    }
                } catch (IOException e) {
                    // cut by the server
                }
                return sent;
            });
        }

        String slowHead() {
            return "GET /slow.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + "x".repeat(200) + "\r\n\r\n";
        }

        @Test
        void aHeadSentOneByteAtATimeIsCutWith408AfterTheTimeout() throws Exception {
            start(Limits.defaults().withHeaderTimeout(Duration.ofMillis(800)));
            Socket s = connect();
            long begin = System.nanoTime();
            Future<Integer> dripped = drip(s, slowHead(), Duration.ofMillis(50));
            RawHttp r = RawHttp.read(s.getInputStream(), false);
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);

            assertThat(r.status).isEqualTo(408);
            assertThat(r.header("Connection")).isEqualTo("close");
            assertThat(r.bodyText()).isEqualTo(
                    "request head not received whole within 800ms of its first byte (-header-timeout)\n");
            assertThat(closedByServer(s)).isTrue();
            assertThat(tookMillis).isBetween(800L, 8_000L);
            assertThat(dripped.get(20, TimeUnit.SECONDS)).isLessThan(slowHead().length());
            assertThat(refused(Reason.HEADER_TIMEOUT)).isEqualTo(1);
            assertThat(refused(Reason.REQUEST_TIMEOUT)).isZero();
        }

        @Test
        void everyRequestOfAKeepAliveConnectionIsTimed() throws Exception {
            start(Limits.defaults().withHeaderTimeout(Duration.ofMillis(800)));
            Files.writeString(server.root().resolve("slow.txt"), "fast");
            Socket s = connect();
            RawHttp.write(s, get("/slow.txt"));
            RawHttp first = RawHttp.read(s.getInputStream(), false);
            assertThat(first.bodyText()).isEqualTo("fast");

            drip(s, slowHead(), Duration.ofMillis(50));
            RawHttp second = RawHttp.read(s.getInputStream(), false);
            assertThat(second.status).isEqualTo(408);
            assertClosedAndRefusedOnce(s, Reason.HEADER_TIMEOUT);
        }

        @Test
        void theClockStartsAtTheFirstByteOfAHead_notAtTheConnection() throws Exception {
            start(Limits.defaults().withHeaderTimeout(Duration.ofMillis(300)));
            Files.writeString(server.root().resolve("late.txt"), "late");
            Socket s = connect();
            Thread.sleep(700); // longer than the header timeout, with nothing sent
            RawHttp.write(s, get("/late.txt"));
            assertThat(RawHttp.read(s.getInputStream(), false).bodyText()).isEqualTo("late");
            Thread.sleep(700); // and between two requests of a keep-alive connection
            RawHttp.write(s, get("/late.txt"));
            assertThat(RawHttp.read(s.getInputStream(), false).bodyText()).isEqualTo("late");
            assertThat(refused(Reason.HEADER_TIMEOUT)).isZero();
        }
    }

    @Nested
    class RequestTimeout {
        @Test
        void aConnectionThatSendsNothingIsClosedWithoutAnAnswer() throws Exception {
            start(Limits.defaults().withRequestTimeout(Duration.ofMillis(500)));
            long begin = System.nanoTime();
            Socket s = connect();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin)).isBetween(500L, 8_000L);
            assertThat(refused(Reason.REQUEST_TIMEOUT)).isEqualTo(1);
            Await.until("the connection is given back", () -> server.get().openConnections() == 0);
        }

        @Test
        void aConnectionThatSentARequestIsThenUnderTheIdleTimeout() throws Exception {
            start(Limits.defaults().withRequestTimeout(Duration.ofMillis(300)).withHeaderTimeout(Duration.ofMillis(300)),
                    HttpFStreamSettings.defaults().withIdleTimeout(Duration.ofSeconds(1)));
            Files.writeString(server.root().resolve("a.txt"), "a");
            Socket s = connect();
            RawHttp.write(s, get("/a.txt"));
            assertThat(RawHttp.read(s.getInputStream(), false).bodyText()).isEqualTo("a");
            Thread.sleep(600); // past the request timeout, within the idle timeout
            RawHttp.write(s, get("/a.txt"));
            assertThat(RawHttp.read(s.getInputStream(), false).bodyText()).isEqualTo("a");
            long begin = System.nanoTime();
            assertThat(closedByServer(s)).isTrue(); // by the idle timeout
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin)).isGreaterThanOrEqualTo(700L);
            assertThat(refused(Reason.REQUEST_TIMEOUT)).isZero();
            assertThat(refused(Reason.HEADER_TIMEOUT)).isZero();
        }
    }

    /** Long live reads under timeouts far shorter than they last. */
    @Nested
    class LiveReadsAreNotCut {
        static final Duration SHORT = Duration.ofMillis(200);
        static final long LONGER = 900; // ms: several times every timeout

        void startShort() throws IOException {
            start(Limits.defaults().withHeaderTimeout(SHORT).withRequestTimeout(SHORT),
                    HttpFStreamSettings.defaults().withLongPollTimeout(Duration.ofMillis(1500)));
        }

        @Test
        void aWebSocketFollowerAndAPlainFollowKeepReading() throws Exception {
            startShort();
            RawWebSocket appender = acceptedAppender("/live.txt");
            RawWebSocket follower = track(RawWebSocket.follow(server.address(), "/live.txt"));
            assertThat(follower.status()).isEqualTo(101);
            Socket plain = connect();
            RawHttp.write(plain, get("/live.txt?follow"));
            InputStream in = plain.getInputStream();
            assertThat(RawHttp.readHead(in).status).isEqualTo(200);

            Thread.sleep(LONGER);
            appender.send(RawWebSocket.BINARY, "late".getBytes(UTF_8));
            assertThat(new String(follower.readData(4), UTF_8)).isEqualTo("late");
            assertThat(new String(readChunkData(in, 4), UTF_8)).isEqualTo("late");
            assertThat(refused(Reason.HEADER_TIMEOUT) + refused(Reason.REQUEST_TIMEOUT)).isZero();
        }

        @Test
        void aLongPollWaitsItsOwnTimeoutAndAnSseReadGoesOn() throws Exception {
            startShort();
            Socket put = connect();
            RawHttp.write(put, "PUT /ds.txt HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n");
            assertThat(RawHttp.read(put.getInputStream(), false).status).isEqualTo(201);

            Socket poll = connect();
            long begin = System.nanoTime();
            RawHttp.write(poll, get("/ds.txt?offset=now&live=long-poll"));
            Socket sse = connect();
            RawHttp.write(sse, get("/ds.txt?offset=now&live=sse"));
            assertThat(RawHttp.readHead(sse.getInputStream()).status).isEqualTo(200);

            RawHttp polled = RawHttp.read(poll.getInputStream(), false);
            assertThat(polled.status).isEqualTo(204);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin)).isGreaterThanOrEqualTo(1500L);
            RawHttp.write(put, "POST /ds.txt HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello");
            assertThat(RawHttp.read(put.getInputStream(), false).status).isEqualTo(204);
            StringBuilder events = new StringBuilder();
            while (!events.toString().contains("data:hello")) {
                events.append(new String(readChunkData(sse.getInputStream(), 1), UTF_8));
            }
            assertThat(refused(Reason.HEADER_TIMEOUT) + refused(Reason.REQUEST_TIMEOUT)).isZero();
        }
    }

    /** Reads chunks of a chunked body until at least {@code n} bytes of data (keep-alive zeros skipped). */
    static byte[] readChunkData(InputStream in, int n) throws IOException {
        java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
        while (data.size() < n) {
            byte[] chunk = RawHttp.readChunk(in, new HashMap<>());
            if (chunk == null) {
                throw new IOException("the body ended after " + data.size() + " bytes");
            }
            data.write(chunk, 0, chunk.length);
        }
        return data.toByteArray();
    }

    @Nested
    class BodySize {
        String post(String path, long length, String more) {
            return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: " + length
                    + "\r\n" + more + "\r\n";
        }

        void create(String path) throws IOException {
            Socket s = connect();
            RawHttp.write(s, "PUT " + path
                    + " HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n");
            assertThat(RawHttp.read(s.getInputStream(), false).status).isEqualTo(201);
        }

        @Test
        void aBodyOfTheLimitIsTaken_oneByteMoreIs413AndTheConnectionClosed() throws Exception {
            start(Limits.defaults().withMaxBodyBytes(1000));
            create("/b.txt");
            Socket s = connect();
            RawHttp.write(s, post("/b.txt", 1000, "") + "a".repeat(1000));
            assertThat(RawHttp.read(s.getInputStream(), false).status).isEqualTo(204);

            RawHttp.write(s, post("/b.txt", 1001, "") + "b".repeat(100)); // the rest never comes
            RawHttp r = RawHttp.read(s.getInputStream(), false);
            assertThat(r.status).isEqualTo(413);
            assertThat(r.header("Connection")).isEqualTo("close");
            assertThat(r.bodyText()).isEqualTo("request body too large: 1001 bytes, the limit is 1000 (-max-body-size)\n");
            assertThat(closedByServer(s)).isTrue();
            assertThat(Files.size(server.root().resolve("b.txt"))).isEqualTo(1000);
            assertThat(refused(Reason.BODY_SIZE)).isEqualTo(1);
        }

        @Test
        void aHugeDeclaredBodyIsRefusedAtOnce_andTheConnectionIsNotLeftReadingIt() throws Exception {
            start(Limits.defaults());
            create("/h.txt");
            Socket s = connect();
            RawHttp.write(s, post("/h.txt", 100L << 20, "") + "h".repeat(1000));
            RawHttp r = RawHttp.read(s.getInputStream(), false);
            assertThat(r.status).isEqualTo(413);
            assertThat(r.bodyText()).isEqualTo("request body too large: 104857600 bytes, the limit is 16777216 "
                    + "(-max-body-size)\n");
            assertClosedAndRefusedOnce(s, Reason.BODY_SIZE);
        }

        @Test
        void aChunkedBodyIsCutWhenItPassesTheLimit() throws Exception {
            start(Limits.defaults().withMaxBodyBytes(1000));
            create("/c.txt");
            Socket s = connect();
            RawHttp.write(s, "POST /c.txt HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "258\r\n" + "c".repeat(600) + "\r\n" + "258\r\n" + "c".repeat(600) + "\r\n");
            RawHttp r = RawHttp.read(s.getInputStream(), false);
            assertThat(r.status).isEqualTo(413);
            assertThat(r.bodyText()).isEqualTo("request body too large: more than 1000 bytes, the limit is 1000 "
                    + "(-max-body-size)\n");
            assertThat(closedByServer(s)).isTrue();
            assertThat(Files.size(server.root().resolve("c.txt"))).isZero();
            assertThat(refused(Reason.BODY_SIZE)).isEqualTo(1);
        }

        @Test
        void aClientThatWaitsFor100ContinueGets413_notA417() throws Exception {
            start(Limits.defaults().withMaxBodyBytes(1000));
            create("/e.txt");
            Socket s = connect();
            RawHttp.write(s, post("/e.txt", 5000, "Expect: 100-continue\r\n"));
            RawHttp r = RawHttp.read(s.getInputStream(), false);
            assertThat(r.status).isEqualTo(413);
            assertClosedAndRefusedOnce(s, Reason.BODY_SIZE);
        }

        @Test
        void webSocketMessagesAreBoundedByTheFrameSizeInstead() throws Exception {
            start(Limits.defaults().withMaxBodyBytes(1000));
            RawWebSocket appender = acceptedAppender("/w.txt");
            appender.send(RawWebSocket.BINARY, "w".repeat(5000).getBytes(UTF_8));
            appender.sendClose(1000);
            assertThat(appender.readToClose(new java.io.ByteArrayOutputStream()).closeCode()).isEqualTo(1000);
            assertThat(Files.size(server.root().resolve("w.txt"))).isEqualTo(5000);
            assertThat(refused(Reason.BODY_SIZE)).isZero();
        }
    }

    @Nested
    class Followers {
        RawWebSocket liveStream(String path) throws IOException {
            RawWebSocket appender = track(RawWebSocket.append(server.address(), path));
            assertThat(appender.status()).isEqualTo(101);
            return appender;
        }

        @Test
        void oneMoreThanTheLimitPerStreamIsAnswered503BeforeTheUpgrade_onEveryKindOfLiveRead() throws Exception {
            start(Limits.defaults().withMaxFollowersPerStream(2));
            liveStream("/one.txt");
            liveStream("/two.txt");
            RawWebSocket a = track(RawWebSocket.follow(server.address(), "/one.txt"));
            RawWebSocket b = track(RawWebSocket.follow(server.address(), "/one.txt"));
            assertThat(a.status()).isEqualTo(101);
            assertThat(b.status()).isEqualTo(101);

            RawWebSocket c = track(RawWebSocket.follow(server.address(), "/one.txt"));
            assertThat(c.status()).isEqualTo(503);
            assertThat(c.response.header("Retry-After")).isEqualTo("5");
            assertThat(c.response.bodyText()).isEqualTo("too many live readers of /one.txt: 2 (limit per stream, "
                    + "-max-followers-per-stream); try again later\n");
            Socket plain = connect();
            RawHttp.write(plain, get("/one.txt?follow"));
            RawHttp r = RawHttp.read(plain.getInputStream(), false);
            assertThat(r.status).isEqualTo(503);
            assertThat(r.header("Retry-After")).isEqualTo("5");
            // A plain GET is no live read; another stream has its own count.
            RawHttp.write(plain, get("/one.txt"));
            assertThat(RawHttp.read(plain.getInputStream(), false).status).isEqualTo(200);
            assertThat(track(RawWebSocket.follow(server.address(), "/two.txt")).status()).isEqualTo(101);
            assertThat(refused(Reason.FOLLOWERS)).isEqualTo(2);
        }

        @Test
        void placesAreGivenBackHoweverAFollowerEnds() throws Exception {
            start(Limits.defaults().withMaxFollowersPerStream(2).withMaxFollowers(2));
            liveStream("/gone.txt");
            RawWebSocket closing = track(RawWebSocket.follow(server.address(), "/gone.txt"));
            Socket dropping = connect();
            RawHttp.write(dropping, get("/gone.txt?follow"));
            assertThat(RawHttp.readHead(dropping.getInputStream()).status).isEqualTo(200);
            assertThat(closing.status()).isEqualTo(101);
            assertThat(server.get().liveReaders()).isEqualTo(2);
            assertThat(track(RawWebSocket.follow(server.address(), "/gone.txt")).status()).isEqualTo(503);

            closing.sendClose(1000); // a follower that says goodbye
            closing.closedByServer();
            dropping.close(); // and one that just goes away
            Await.until("both places are given back", () -> server.get().liveReaders() == 0);
            assertThat(track(RawWebSocket.follow(server.address(), "/gone.txt")).status()).isEqualTo(101);
            assertThat(track(RawWebSocket.follow(server.address(), "/gone.txt")).status()).isEqualTo(101);
        }

        @Test
        void theTotalCountsLongPollsAndSseReadsToo_andALongPollGivesItsPlaceBackWhenItAnswers() throws Exception {
            start(Limits.defaults().withMaxFollowers(2),
                    HttpFStreamSettings.defaults().withLongPollTimeout(Duration.ofSeconds(20)));
            Socket put = connect();
            RawHttp.write(put, "PUT /ds.txt HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n");
            assertThat(RawHttp.read(put.getInputStream(), false).status).isEqualTo(201);
            Socket poll = connect();
            RawHttp.write(poll, get("/ds.txt?offset=now&live=long-poll"));
            Socket sse = connect();
            RawHttp.write(sse, get("/ds.txt?offset=now&live=sse"));
            assertThat(RawHttp.readHead(sse.getInputStream()).status).isEqualTo(200);
            Await.until("the long-poll and the SSE read are admitted", () -> server.get().liveReaders() == 2);

            liveStream("/ws.txt");
            RawWebSocket refusedFollower = track(RawWebSocket.follow(server.address(), "/ws.txt"));
            assertThat(refusedFollower.status()).isEqualTo(503);
            assertThat(refusedFollower.response.bodyText())
                    .isEqualTo("too many live readers: the server has 2 (limit 2, -max-followers); try again later\n");
            Socket poll2 = connect();
            RawHttp.write(poll2, get("/ds.txt?offset=now&live=long-poll"));
            assertThat(RawHttp.read(poll2.getInputStream(), false).status).isEqualTo(503);

            RawHttp.write(put, "POST /ds.txt HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi");
            assertThat(RawHttp.read(put.getInputStream(), false).status).isEqualTo(204);
            RawHttp answered = RawHttp.read(poll.getInputStream(), false);
            assertThat(answered.bodyText()).isEqualTo("hi");
            Await.until("the long-poll gave its place back", () -> server.get().liveReaders() == 1);
            assertThat(track(RawWebSocket.follow(server.address(), "/ws.txt")).status()).isEqualTo(101);
            assertThat(refused(Reason.FOLLOWERS)).isEqualTo(2);

            sse.close();
            Await.until("the SSE read gave its place back", () -> server.get().liveReaders() == 1);
        }
    }
}
