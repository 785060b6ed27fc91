package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.httpfstream.server.AuthHttp.bearer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.httpfstream.auth.AuthConfig;
import org.httpfstream.json.Json;
import org.httpfstream.server.testing.FilesOnDisk;
import org.httpfstream.server.testing.ServerExtension;
import org.httpfstream.testing.Await;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The viewer's HTTP API (issue 14, docs/notes/viewer-api.md) on a real server: exact bytes and headers.
 * Runs on both stores (the surefire execution {@code memory-store} runs it again with the streams in
 * memory); the tests that look at the index's files or the root's folders are {@link FilesOnDisk}.
 */
class ViewerApiTest {
    static final String ESC = "\u001b";

    @RegisterExtension
    final ServerExtension server = new ServerExtension();

    RawHttp get(String target, String... headers) throws IOException {
        return RawHttp.request(server.address(), "GET", target, headers);
    }

    /** A new stream at {@code path} holding {@code bytes}, through the server's storage (either store). */
    void write(String path, byte[] bytes) throws IOException {
        server.write(path, bytes);
    }

    void write(String path, String text) throws IOException {
        write(path, text.getBytes(UTF_8));
    }

    /** The names of the index files of the stream named {@code name} on {@code s}'s root. */
    /**
     * The names of {@code name}'s index files. The server may be deleting index files while this lists
     * them (the sweep at start runs beside the test), so a file gone between the listing and its visit
     * means: list again.
     */
    static java.util.List<String> indexFiles(ServerExtension s, String name) throws IOException {
        Path folder = s.root().resolve(".httpfstream").resolve("lines");
        while (true) {
            if (!Files.isDirectory(folder)) {
                return java.util.List.of();
            }
            try (Stream<Path> files = Files.walk(folder)) {
                return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(name + ".idx")).sorted()
                        .toList();
            } catch (java.io.UncheckedIOException e) {
                if (!(e.getCause() instanceof java.nio.file.NoSuchFileException)) {
                    throw e;
                }
            } catch (java.nio.file.NoSuchFileException e) {
                // the folder itself went: look again
            }
        }
    }

    static String body(RawHttp r) {
        return new String(r.body, UTF_8);
    }

    /** Asserts a 200 answer with {@code body} and the header fields {@code nameValue} (name, value, ...). */
    static void assertAnswer(RawHttp r, String body, String... nameValue) {
        assertThat(r.status).isEqualTo(200);
        assertThat(body(r)).isEqualTo(body);
        for (int i = 0; i < nameValue.length; i += 2) {
            assertThat(r.header(nameValue[i])).as(nameValue[i]).isEqualTo(nameValue[i + 1]);
        }
    }

    static long num(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).longValue();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> json(RawHttp r) {
        assertThat(r.header("content-type")).isEqualTo("application/json");
        return (Map<String, Object>) Json.parse(body(r));
    }

    @Nested
    class LinesStartWithTheAnsiStateTheyNeed {
        static final String LOG = "plain\n" + ESC + "[31mred\nstill red\n" + ESC + "[0mreset\n";

        @Test
        void aRangeInsideColourGetsItsSgrPrefix() throws IOException {
            write("/a.log", LOG);
            assertAnswer(get("/a.log?lines=3-3"), ESC + "[0;31mstill red\n",
                    "content-type", "text/plain; charset=utf-8", "line-first", "3", "line-last", "3", "line-count", "4",
                    "line-offset", String.valueOf(LOG.indexOf("still")),
                    "line-end-offset", String.valueOf(LOG.indexOf(ESC + "[0mreset")), "line-sections", "[]");
        }

        @Test
        void aLineThatResetsStillStartsInTheColourBeforeIt() throws IOException {
            write("/a.log", LOG);
            assertThat(body(get("/a.log?lines=4-"))).isEqualTo(ESC + "[0;31m" + ESC + "[0mreset\n");
            assertThat(body(get("/a.log?lines=1-2"))).isEqualTo("plain\n" + ESC + "[31mred\n");
            assertThat(body(get("/a.log?lines=2"))).isEqualTo(ESC + "[31mred\n");
        }

        @Test
        void aRangePastTheEndIsCutAtTheLastLine() throws IOException {
            write("/a.log", LOG);
            assertAnswer(get("/a.log?lines=3-100"), ESC + "[0;31mstill red\n" + ESC + "[0mreset\n",
                    "line-last", "4", "line-end-offset", String.valueOf(LOG.length()));
        }

        @Test
        void aFirstLineBeyondTheEndIs416AndBadSyntax400() throws IOException {
            write("/a.log", LOG);
            assertThat(get("/a.log?lines=5").status).isEqualTo(416);
            assertThat(get("/a.log?lines=5-9").status).isEqualTo(416);
            for (String bad : new String[] {"0-3", "a", "3-2", "-3", "", "1-b"}) {
                assertThat(get("/a.log?lines=" + bad).status).as(bad).isEqualTo(400);
            }
            assertThat(get("/missing.log?lines=1").status).isEqualTo(404);
        }

        @Test
        void anUnterminatedLastLineCounts() throws IOException {
            write("/a.log", "a\nb");
            assertAnswer(get("/a.log?lines=2"), "b", "line-count", "2", "line-end-offset", "3");
        }

        @Test
        void theTailIsTheLastLines() throws IOException {
            write("/a.log", LOG);
            assertAnswer(get("/a.log?tail=2"), ESC + "[0;31mstill red\n" + ESC + "[0mreset\n",
                    "line-first", "3", "line-last", "4");
            assertThat(body(get("/a.log?tail=100"))).isEqualTo(LOG);
            assertAnswer(get("/a.log?tail=0"), "", "line-first", "5", "line-last", "4",
                    "line-offset", String.valueOf(LOG.length()));
            assertThat(get("/a.log?tail=-1").status).isEqualTo(400);
        }

        @Test
        void anEmptyStreamHasNoLines() throws IOException {
            write("/empty.log", "");
            assertThat(get("/empty.log?lines=1").status).isEqualTo(416);
            assertAnswer(get("/empty.log?tail=10"), "", "line-count", "0");
        }
    }

    @Nested
    class OpenSectionsComeAsAHeader {
        @Test
        void eachKindAtItsLines() throws IOException {
            String log = "--- :hammer: Build\n" // 1
                    + "::group::Compile " + ESC + "[1mjava" + ESC + "[0m\n" // 2
                    + ESC + "[0Ksection_start:1700000000:tests[collapsed=true]\r" + ESC + "[0KRun tests\n" // 3
                    + "section_start:1700000001:unit\r" + ESC + "[0K\n" // 4
                    + "inside\n" // 5
                    + "section_end:1700000002:tests\r" + ESC + "[0K\n" // 6
                    + "::endgroup::\n" // 7
                    + "+++ Deploy \u00e9\n" // 8
                    + "done\n"; // 9
            write("/s.log", log);
            assertThat(get("/s.log?lines=1").header("line-sections")).isEqualTo("[]");
            assertThat(get("/s.log?lines=2").header("line-sections"))
                    .isEqualTo("[{\"title\":\"Build\",\"line\":1,\"kind\":\"buildkite\",\"collapsed\":true}]"
                            .replace("Build", ":hammer: Build"));
            assertThat(get("/s.log?lines=5").header("line-sections")).isEqualTo("["
                    + "{\"title\":\":hammer: Build\",\"line\":1,\"kind\":\"buildkite\",\"collapsed\":true},"
                    + "{\"title\":\"Compile java\",\"line\":2,\"kind\":\"github\",\"collapsed\":true},"
                    + "{\"title\":\"Run tests\",\"line\":3,\"kind\":\"gitlab\",\"collapsed\":true},"
                    + "{\"title\":\"unit\",\"line\":4,\"kind\":\"gitlab\",\"collapsed\":false}]");
            assertThat(get("/s.log?lines=7").header("line-sections")).isEqualTo("["
                    + "{\"title\":\":hammer: Build\",\"line\":1,\"kind\":\"buildkite\",\"collapsed\":true},"
                    + "{\"title\":\"Compile java\",\"line\":2,\"kind\":\"github\",\"collapsed\":true}]");
            assertThat(get("/s.log?tail=1").header("line-sections"))
                    .isEqualTo("[{\"title\":\"Deploy \\u00e9\",\"line\":8,\"kind\":\"buildkite\",\"collapsed\":false}]");
        }
    }

    @Nested
    class LargeLogs {
        @Test
        void anyRangeOfA120000LineLogIsExact() throws IOException {
            int lines = 120_000;
            StringBuilder log = new StringBuilder();
            long[] starts = new long[lines + 2];
            for (int i = 1; i <= lines; i++) {
                starts[i] = log.length();
                if (i % 1000 == 1) {
                    log.append("::group::Part ").append(i / 1000).append('\n');
                } else {
                    log.append("line ").append(i).append(" text ").append(ESC).append("[3").append(i % 8).append("m\n");
                }
            }
            starts[lines + 1] = log.length();
            write("/big.log", log.toString());
            for (int first : new int[] {1, 2, 60_000, 60_002, 119_998}) {
                int last = Math.min(lines, first + 2);
                RawHttp r = get("/big.log?lines=" + first + "-" + last);
                int previous = first - 1;
                String prefix = previous < 1 || previous % 1000 == 1 ? stateBefore(previous) : ESC + "[0;3" + previous % 8 + "m";
                assertThat(body(r)).as("lines %d-%d", first, last)
                        .isEqualTo(prefix + log.substring((int) starts[first], (int) starts[last + 1]));
                assertThat(r.header("line-offset")).isEqualTo(String.valueOf(starts[first]));
                assertThat(r.header("line-count")).isEqualTo(String.valueOf(lines));
                if (first > 1) {
                    assertThat(r.header("line-sections")).contains("\"title\":\"Part " + ((first - 1) / 1000) + "\"");
                }
            }
            RawHttp tail = get("/big.log?tail=3");
            assertThat(body(tail)).isEqualTo(ESC + "[0;3" + (lines - 3) % 8 + "m" + log.substring((int) starts[lines - 2]));
        }

        /** The state at the start of the line after {@code previous}, when that line set none itself. */
        private String stateBefore(int previous) {
            return previous <= 1 ? "" : ESC + "[0;3" + (previous - 1) % 8 + "m";
        }

        @Test
        void randomBytesInvalidUtf8AndVeryLongLinesComeBackByteForByte() throws IOException {
            Random random = new Random(42);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] junk = new byte[1 << 20];
            random.nextBytes(junk);
            out.writeBytes(junk);
            out.write('\n');
            byte[] longLine = new byte[3 << 20];
            Arrays.fill(longLine, (byte) 'x');
            longLine[5] = (byte) 0xff; // invalid UTF-8
            out.writeBytes(longLine);
            out.writeBytes("\nafter\n".getBytes(UTF_8));
            byte[] bytes = out.toByteArray();
            write("/junk.log", bytes);
            int total = 0;
            int lastStart = 0;
            int[] starts = new int[bytes.length + 1];
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] == '\n') {
                    starts[++total] = i + 1;
                }
            }
            RawHttp count = get("/junk.log?tail=1");
            assertThat(count.header("line-count")).isEqualTo(String.valueOf(total));
            assertThat(count.body).endsWith("after\n".getBytes(UTF_8));
            for (int line : new int[] {1, total / 2, total - 1}) {
                RawHttp r = get("/junk.log?lines=" + line + "-" + (line + 1));
                byte[] expected = Arrays.copyOfRange(bytes, starts[line - 1], starts[line + 1]);
                assertThat(r.header("line-offset")).isEqualTo(String.valueOf(starts[line - 1]));
                byte[] prefix = Arrays.copyOf(r.body, r.body.length - expected.length);
                assertThat(Arrays.copyOfRange(r.body, prefix.length, r.body.length)).isEqualTo(expected);
                assertThat(new String(prefix, ISO_8859_1)).matches("(\u001b\\[0(;\\d+)*m)?");
            }
            lastStart = starts[total - 1];
            assertThat(get("/junk.log?lines=" + total).header("line-offset")).isEqualTo(String.valueOf(lastStart));
        }
    }

    @Nested
    class LiveStreams {
        @Test
        void linesOfAStreamGrowingWhileItIsRead() throws IOException {
            try (RawWebSocket ws = RawWebSocket.appendAccepted(server.address(), "/live.log")) {
                ws.send(RawWebSocket.BINARY, (ESC + "[32mone\n").getBytes(UTF_8));
                Await.until("line 1", () -> body(get("/live.log?lines=1-")).equals(ESC + "[32mone\n"));
                ws.send(RawWebSocket.BINARY, "two\nthr".getBytes(UTF_8));
                Await.until("a partial line 3", () -> "3".equals(get("/live.log?tail=1").header("line-count")));
                assertThat(body(get("/live.log?lines=3"))).isEqualTo(ESC + "[0;32mthr");
                ws.send(RawWebSocket.BINARY, "ee\n".getBytes(UTF_8));
                Await.until("line 3 whole", () -> body(get("/live.log?lines=3")).equals(ESC + "[0;32mthree\n"));
                assertThat(body(get("/live.log?lines=2-"))).isEqualTo(ESC + "[0;32mtwo\nthree\n");
            }
        }

        @Test
        void tailFollowIsTailMinusFOverHttp() throws IOException {
            try (RawWebSocket ws = RawWebSocket.appendAccepted(server.address(), "/f.log");
                    Socket socket = RawHttp.connect(server.address())) {
                ws.send(RawWebSocket.BINARY, ("1\n2\n" + ESC + "[33m3\n4\n").getBytes(UTF_8));
                Await.until("4 lines", () -> "4".equals(get("/f.log?tail=1").header("line-count")));
                RawHttp.write(socket, "GET /f.log?tail=2&follow HTTP/1.1\r\nHost: x\r\n\r\n");
                InputStream in = socket.getInputStream();
                RawHttp head = RawHttp.readHeadOnly(in);
                assertThat(head.status).isEqualTo(200);
                assertThat(head.header("transfer-encoding")).isEqualTo("chunked");
                assertThat(head.header("line-first")).isEqualTo("3");
                Map<String, String> trailers = new HashMap<>();
                String tail = ESC + "[33m3\n4\n"; // line 3 starts in the default state: no prefix
                assertThat(readUntil(in, trailers, tail.length())).isEqualTo(tail);
                ws.send(RawWebSocket.BINARY, "5\n".getBytes(UTF_8));
                assertThat(readUntil(in, trailers, 2)).isEqualTo("5\n");
                ws.sendClose(1000);
                assertThat(RawHttp.readChunk(in, trailers)).isNull(); // the end, with the append's
                assertThat(trailers.get("stream-next-offset")).isNotNull();
            }
        }

        private String readUntil(InputStream in, Map<String, String> trailers, int n) throws IOException {
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            while (got.size() < n) {
                byte[] chunk = RawHttp.readChunk(in, trailers);
                assertThat(chunk).as("ended after %s", got).isNotNull();
                got.writeBytes(chunk);
            }
            return got.toString(UTF_8);
        }

        @Test
        void anOpenDurableStreamIsFollowedUntilItIsClosed() throws Exception {
            assertThat(server.send("PUT", "/ds.log", "a\nb\n", "Content-Type", "text/plain").statusCode())
                    .isEqualTo(201);
            assertThat(json(get("/ds.log?status"))).containsEntry("writer", "live");
            try (Socket socket = RawHttp.connect(server.address())) {
                RawHttp.write(socket, "GET /ds.log?tail=1&follow HTTP/1.1\r\nHost: x\r\n\r\n");
                InputStream in = socket.getInputStream();
                RawHttp head = RawHttp.readHeadOnly(in);
                assertThat(head.header("transfer-encoding")).isEqualTo("chunked");
                Map<String, String> trailers = new HashMap<>();
                assertThat(readUntil(in, trailers, 2)).isEqualTo("b\n");
                assertThat(server.send("POST", "/ds.log", "c\n", "Content-Type", "text/plain").statusCode())
                        .isEqualTo(204);
                assertThat(readUntil(in, trailers, 2)).isEqualTo("c\n");
                assertThat(server.send("POST", "/ds.log", "", "Content-Type", "text/plain", "Stream-Closed", "true")
                        .statusCode()).isEqualTo(204);
                assertThat(RawHttp.readChunk(in, trailers)).isNull();
            }
            assertThat(json(get("/ds.log?status"))).containsEntry("writer", "finished");
            assertThat(body(get("/ds.log?lines=2-"))).isEqualTo("b\nc\n");
        }

        @Test
        void tailFollowOfAFinishedStreamIsJustTheTail() throws IOException {
            write("/done.log", "a\nb\nc\n");
            RawHttp r = get("/done.log?tail=1&follow");
            assertThat(body(r)).isEqualTo("c\n");
        }

        @Test
        void theWriterIsLiveThenFinishedOrLost() throws IOException {
            try (RawWebSocket ws = RawWebSocket.appendAccepted(server.address(), "/ok.log")) {
                ws.send(RawWebSocket.BINARY, "x\n".getBytes(UTF_8));
                Await.until("live", () -> "live".equals(json(get("/ok.log?status")).get("writer")));
                Map<String, Object> s = json(get("/ok.log?status"));
                assertThat(num(s, "length")).isEqualTo(2);
                assertThat(num(s, "lines")).isEqualTo(1);
                assertThat(num(s, "since")).isPositive();
                ws.sendClose(1000);
                Await.until("finished", () -> "finished".equals(json(get("/ok.log?status")).get("writer")));
            }
            RawWebSocket gone = RawWebSocket.appendAccepted(server.address(), "/gone.log");
            gone.send(RawWebSocket.BINARY, "y\n".getBytes(UTF_8));
            Await.until("live", () -> "live".equals(json(get("/gone.log?status")).get("writer")));
            gone.close(); // no Close frame: the appender vanished
            Await.until("lost", () -> "lost".equals(json(get("/gone.log?status")).get("writer")));
        }

    }

    @Nested
    class TheIdleThresholdIsASetting {
        @RegisterExtension
        final ServerExtension quick = new ServerExtension().with(b -> b.viewerIdle(java.time.Duration.ofMillis(300)));

        String writer() throws IOException {
            return (String) json(RawHttp.request(quick.address(), "GET", "/quiet.log?status")).get("writer");
        }

        @Test
        void aSilentWriterIsIdleThenLiveWhenItWritesAgain() throws IOException {
            try (RawWebSocket ws = RawWebSocket.appendAccepted(quick.address(), "/quiet.log")) {
                Await.until("live while it writes", () -> {
                    ws.send(RawWebSocket.BINARY, "x\n".getBytes(UTF_8));
                    return "live".equals(writer());
                });
                long start = System.nanoTime();
                Await.until("idle", () -> "idle".equals(writer()));
                assertThat((System.nanoTime() - start) / 1_000_000).as("idle after 300 ms, not 5 s").isLessThan(4000);
                Await.until("live again while it writes", () -> { // a line each time it is asked: never missed
                    ws.send(RawWebSocket.BINARY, "y\n".getBytes(UTF_8));
                    return "live".equals(writer());
                });
                Await.until("idle again", () -> "idle".equals(writer()));
                ws.sendClose(1000);
            }
        }
    }

    @Nested
    class AForkShowsItsWholeReadableContent {
        @Test
        void theLinesItInheritedFromItsSourceComeFirst() throws Exception {
            assertThat(server.send("PUT", "/src.log", "one\n" + ESC + "[31mtwo\nthr", "Content-Type", "text/plain")
                    .statusCode()).isEqualTo(201);
            assertThat(server.send("PUT", "/fork.log", null, "Content-Type", "text/plain",
                    "Stream-Forked-From", "/src.log").statusCode()).isEqualTo(201);
            assertThat(server.send("POST", "/fork.log", "ee\nfour\n", "Content-Type", "text/plain").statusCode())
                    .isEqualTo(204);
            assertAnswer(get("/fork.log?lines=1-"), "one\n" + ESC + "[31mtwo\nthree\nfour\n", "line-count", "4");
            assertAnswer(get("/fork.log?lines=3"), ESC + "[0;31mthree\n", "line-offset", "13", "line-end-offset", "19");
            assertThat(body(get("/fork.log?tail=1"))).isEqualTo(ESC + "[0;31mfour\n");
            assertThat(body(get("/fork.log?search=thre"))).isEqualTo(
                    "{\"count\":1,\"matches\":[{\"line\":3,\"start\":0,\"end\":4}],\"truncated\":false}");
            assertThat(num(json(get("/fork.log?status")), "lines")).isEqualTo(4);
            assertThat(body(get("/src.log?lines=1-"))).isEqualTo("one\n" + ESC + "[31mtwo\nthr");
        }

        @Test
        void aForkWithNoBytesOfItsOwnShowsItsSourcesLinesUpToTheForkPoint() throws Exception {
            assertThat(server.send("PUT", "/src2.log", "a\nb\nc\n", "Content-Type", "text/plain").statusCode())
                    .isEqualTo(201);
            assertThat(server.send("PUT", "/fork2.log", null, "Content-Type", "text/plain",
                    "Stream-Forked-From", "/src2.log").statusCode()).isEqualTo(201);
            assertThat(server.send("POST", "/src2.log", "d\n", "Content-Type", "text/plain").statusCode())
                    .isEqualTo(204);
            assertAnswer(get("/fork2.log?lines=1-"), "a\nb\nc\n", "line-count", "3", "line-end-offset", "6");
            assertAnswer(get("/fork2.log?tail=1"), "c\n", "line-first", "3");
            assertAnswer(get("/src2.log?tail=1"), "d\n", "line-count", "4");
        }
    }

    @Nested
    class RemovedStreams {
        static final String LOG = "a\n" + ESC + "[1mb\n";

        /** A stream at {@code path} whose index files exist (it was viewed). */
        void viewed(String path) throws Exception {
            assertThat(server.send("PUT", path, LOG, "Content-Type", "text/plain").statusCode()).isEqualTo(201);
            assertThat(body(get(path + "?lines=2"))).isEqualTo(ESC + "[1mb\n");
        }

        void indexGoes(String name) {
            Await.until("the index files of " + name + " gone", () -> indexFiles(server, name).isEmpty());
        }

        @Test
        @FilesOnDisk
        void aDeletedStreamsIndexFilesGoWhileTheIndexIsOpen() throws Exception {
            viewed("/d/open.log");
            assertThat(indexFiles(server, "open.log")).contains("open.log.idx.head", "open.log.idx.lines");
            assertThat(server.send("DELETE", "/d/open.log", null).statusCode()).isEqualTo(204);
            indexGoes("open.log");
        }

        @Test
        @FilesOnDisk
        void aDeletedStreamsIndexFilesGoWhenNoIndexIsOpen() throws Exception {
            viewed("/d/closed.log");
            server.restart(); // no index open
            assertThat(indexFiles(server, "closed.log")).isNotEmpty();
            assertThat(server.send("DELETE", "/d/closed.log", null).statusCode()).isEqualTo(204);
            indexGoes("closed.log");
        }

        @Test
        @FilesOnDisk
        void anExpiredStreamsIndexFilesGo() throws Exception {
            assertThat(server.send("PUT", "/d/ttl.log", LOG, "Content-Type", "text/plain",
                    "Stream-Expires-At", java.time.Instant.now().plusSeconds(1).toString())
                    .statusCode()).isEqualTo(201);
            assertThat(body(get("/d/ttl.log?lines=1"))).isEqualTo("a\n");
            assertThat(indexFiles(server, "ttl.log")).isNotEmpty();
            Await.until("expired", () -> server.send("GET", "/d/ttl.log", null).statusCode() == 404);
            indexGoes("ttl.log");
        }

        @Test
        @FilesOnDisk
        void indexFilesWithoutAStreamAreSweptAtStart() throws Exception {
            viewed("/d/kept.log");
            viewed("/d/gone.log");
            server.stop();
            Files.delete(server.root().resolve("d").resolve("gone.log"));
            server.restart();
            indexGoes("gone.log");
            assertThat(indexFiles(server, "kept.log")).contains("kept.log.idx.head", "kept.log.idx.lines");
            assertThat(body(get("/d/kept.log?lines=2"))).isEqualTo(ESC + "[1mb\n");
        }

        @Test
        void aStreamMadeAgainAfterItsDeletionShowsItsNewLines() throws Exception {
            viewed("/d/again.log");
            assertThat(server.send("DELETE", "/d/again.log", null).statusCode()).isEqualTo(204);
            assertThat(get("/d/again.log?lines=1").status).isEqualTo(404);
            write("/d/again.log", "new\n");
            RawHttp r = get("/d/again.log?lines=1-");
            assertThat(body(r)).isEqualTo("new\n");
            assertThat(r.header("line-count")).isEqualTo("1");
        }
    }

    @Nested
    class TheMemoryStore {
        @RegisterExtension
        final ServerExtension memory = new ServerExtension().with(b -> b.storage(HttpFStreamServer.STORAGE_MEMORY));

        @Test
        void keepsItsIndexOnTheHeapAndServesEveryRead() throws IOException {
            memory.write("/m/x.log", "one\n" + ESC + "[32mtwo\nthree\n");
            RawHttp r = RawHttp.request(memory.address(), "GET", "/m/x.log?lines=3");
            assertThat(body(r)).isEqualTo(ESC + "[0;32mthree\n");
            assertThat(r.header("line-count")).isEqualTo("3");
            assertThat(body(RawHttp.request(memory.address(), "GET", "/m/x.log?tail=2")))
                    .isEqualTo(ESC + "[32mtwo\nthree\n");
            assertThat(num(json(RawHttp.request(memory.address(), "GET", "/m/x.log?search=t")), "count")).isEqualTo(2);
            assertThat(memory.root().resolve(".httpfstream").resolve("lines")).doesNotExist();
            assertThat(memory.root().resolve("m")).doesNotExist();
        }
    }

    @Nested
    class HeadAnswersWithTheHeadersOfGet {
        static final String[] SAME = {"content-type", "content-length", "line-first", "line-last", "line-count",
            "line-offset", "line-end-offset", "line-sections"};

        @Test
        void andNoBodyForEveryViewerRead() throws IOException {
            write("/logs/h.log", "one\n" + ESC + "[31mtwo\nthree\n");
            for (String target : new String[] {"/logs/h.log?lines=2-3", "/logs/h.log?tail=1",
                "/logs/h.log?tail=1&follow", "/logs/h.log?search=t", "/logs/h.log?status", "/logs/?list"}) {
                RawHttp get = get(target);
                assertThat(get.status).as(target).isEqualTo(200);
                assertThat(get.body).as(target).isNotEmpty();
                try (Socket socket = RawHttp.connect(server.address())) { // HEAD, then GET on one connection
                    RawHttp.write(socket, "HEAD " + target + " HTTP/1.1\r\nHost: x\r\n\r\n"
                            + "GET /logs/h.log?lines=1 HTTP/1.1\r\nHost: x\r\n\r\n");
                    InputStream in = socket.getInputStream();
                    RawHttp head = RawHttp.readHeadOnly(in);
                    assertThat(head.status).as(target).isEqualTo(200);
                    assertThat(head.header("content-length")).as(target).isEqualTo(String.valueOf(get.body.length));
                    for (String name : SAME) {
                        assertThat(head.header(name)).as(target + " " + name).isEqualTo(get.header(name));
                    }
                    RawHttp next = RawHttp.read(in, false); // starts right after HEAD's header fields
                    assertThat(next.status).isEqualTo(200);
                    assertThat(body(next)).isEqualTo("one\n");
                }
            }
            assertThat(RawHttp.request(server.address(), "HEAD", "/logs/none.log?lines=1").status).isEqualTo(404);
            assertThat(RawHttp.request(server.address(), "HEAD", "/logs/h.log?lines=9").status).isEqualTo(416);
        }
    }

    @Nested
    class TheIndex {
        @Test
        @FilesOnDisk
        void isRebuiltAfterItsFilesAreDeletedAndTheServerRestarts() throws IOException {
            StringBuilder log = new StringBuilder();
            for (int i = 1; i <= 5000; i++) {
                log.append(ESC).append("[3").append(i % 8).append("mline ").append(i).append('\n');
            }
            write("/r/x.log", log.toString());
            String expected = ESC + "[0;31m" + ESC + "[32mline 4002\n";
            assertThat(body(get("/r/x.log?lines=4002"))).isEqualTo(expected);
            Path folder = server.root().resolve(".httpfstream").resolve("lines");
            try (Stream<Path> files = Files.walk(folder)) {
                assertThat(files.map(p -> p.getFileName().toString())).contains("x.log.idx.lines", "x.log.idx.head");
            }
            server.stop();
            try (Stream<Path> files = Files.walk(folder)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
            server.restart();
            assertThat(body(get("/r/x.log?lines=4002"))).isEqualTo(expected);
            assertThat(folder.resolve("r.d").resolve("x.log.idx.lines")).exists();
        }

        @Test
        void isNeverReachableThroughTheApi() throws IOException {
            write("/x.log", "a\n");
            assertThat(get("/x.log?lines=1").status).isEqualTo(200);
            assertThat(get("/.httpfstream/lines/x.log.idx.lines?lines=1").status).isEqualTo(400);
            assertThat(get("/.httpfstream/lines/x.log.idx.lines?tail=1").status).isEqualTo(400);
            assertThat(get("/.httpfstream/lines/x.log.idx.lines?search=a").status).isEqualTo(400);
            assertThat(get("/.httpfstream/?list").status).isEqualTo(400);
            assertThat(get("/.httpfstream/lines/?list").status).isEqualTo(400);
            assertThat(body(get("/?list"))).doesNotContain(".httpfstream");
        }
    }

    @Nested
    class Search {
        static final String LOG = "Error one\n" + ESC + "[31mERROR" + ESC + "[0m: two error\nfine\n"
                + "\u00e9rror? no; error\n";

        @Test
        void countsAndPlacesEveryMatchInTheTextWithoutEscapes() throws IOException {
            write("/s.log", LOG);
            Map<String, Object> r = json(get("/s.log?search=error"));
            assertThat(num(r, "count")).isEqualTo(4);
            assertThat(r).containsEntry("truncated", false);
            assertThat(r.get("matches")).isEqualTo(Json.parse("[{\"line\":1,\"start\":0,\"end\":5},"
                    + "{\"line\":2,\"start\":0,\"end\":5},{\"line\":2,\"start\":11,\"end\":16},"
                    + "{\"line\":4,\"start\":11,\"end\":16}]"));
        }

        @Test
        void caseRegexFromAndLimit() throws IOException {
            write("/s.log", LOG);
            assertThat(num(json(get("/s.log?search=error&case")), "count")).isEqualTo(2);
            assertThat(num(json(get("/s.log?search=%5Ee%28rr%29or&regex")), "count")).isEqualTo(2); // line 2 starts with ERROR once its escapes are gone
            assertThat(num(json(get("/s.log?search=r%28r%7Cx%29or%5Cb&regex&case")), "count")).isEqualTo(4);
            assertThat(num(json(get("/s.log?search=r%28r%7Cx%29or%5Cb&regex")), "count")).isEqualTo(5);
            assertThat(num(json(get("/s.log?search=error&from=3")), "count")).isEqualTo(1);
            Map<String, Object> limited = json(get("/s.log?search=error&limit=1"));
            assertThat(num(limited, "count")).isEqualTo(4);
            assertThat(limited).containsEntry("truncated", true);
            assertThat((java.util.List<?>) limited.get("matches")).hasSize(1);
            assertThat(get("/s.log?search=%5B&regex").status).isEqualTo(400);
            assertThat(get("/s.log?search=x*&regex").status).isEqualTo(400);
            assertThat(get("/s.log?search=").status).isEqualTo(400);
        }
    }

    @Nested
    @FilesOnDisk // the root's folders, with their modification times
    class Listing {
        @RegisterExtension
        final ServerExtension auth = new ServerExtension().tokens("all-t read /\npart-t read /logs/a.log\n");

        RawHttp list(String target, String... headers) throws IOException {
            return RawHttp.request(auth.address(), "GET", target, headers);
        }

        @Test
        void showsOnlyWhatTheCallerMayReadNewestFirst() throws IOException {
            Path logs = auth.root().resolve("logs");
            Files.createDirectories(logs.resolve("sub"));
            Files.writeString(logs.resolve("sub").resolve("c.log"), "c");
            Files.writeString(logs.resolve("a.log"), "aaa");
            Files.writeString(logs.resolve("b.log"), "bb");
            Files.setLastModifiedTime(logs.resolve("a.log"), FileTime.fromMillis(3_000_000));
            Files.setLastModifiedTime(logs.resolve("b.log"), FileTime.fromMillis(2_000_000));
            Files.setLastModifiedTime(logs.resolve("sub"), FileTime.fromMillis(1_000_000));
            Map<String, Object> all = json(list("/logs/?list", bearer("all-t")));
            assertThat(all.get("path")).isEqualTo("/logs/");
            assertThat(all.get("entries")).isEqualTo(Json.parse("["
                    + "{\"name\":\"a.log\",\"kind\":\"stream\",\"size\":3,\"modified\":3000000,\"writer\":\"finished\"},"
                    + "{\"name\":\"b.log\",\"kind\":\"stream\",\"size\":2,\"modified\":2000000,\"writer\":\"finished\"},"
                    + "{\"name\":\"sub\",\"kind\":\"folder\",\"size\":0,\"modified\":1000000}]"));
            Map<String, Object> part = json(list("/logs/?list", bearer("part-t")));
            assertThat(part.get("entries")).isEqualTo(Json.parse(
                    "[{\"name\":\"a.log\",\"kind\":\"stream\",\"size\":3,\"modified\":3000000,\"writer\":\"finished\"}]"));
            assertThat(list("/logs/?list").status).isEqualTo(401);
            assertThat(list("/logs/?list", bearer("nobody")).status).isEqualTo(200);
            assertThat(json(list("/logs/?list", bearer("nobody"))).get("entries")).isEqualTo(java.util.List.of());
            assertThat(list("/logs/b.log?lines=1", bearer("part-t")).status).isEqualTo(403);
            assertThat(list("/logs/a.log?lines=1", bearer("part-t")).status).isEqualTo(200);
        }
    }

    @Nested
    class SignedLinks {
        @RegisterExtension
        final ServerExtension auth = new ServerExtension().tokens("adm admin /\n");

        RawHttp send(String method, String target, String... headers) throws IOException {
            return RawHttp.request(auth.address(), method, target, headers);
        }

        String sign(String scope) throws IOException {
            RawHttp r = AuthHttp.send(auth.address(), "POST", "/__ds/sign?path=" + scope + "&ttl=1h", new byte[0],
                    bearer("adm"));
            assertThat(r.status).as(r.bodyText()).isEqualTo(200);
            return r.bodyText().strip();
        }

        @Test
        void aLinkToAStreamOpensEveryViewerRead() throws IOException {
            auth.write("/logs/build.log", "one\n" + ESC + "[1mtwo\nthree\n");
            auth.write("/logs/other.log", "x\n");
            String q = sign("/logs/build.log");
            assertThat(body(send("GET", "/logs/build.log?lines=3&" + q))).isEqualTo(ESC + "[0;1mthree\n");
            assertThat(body(send("GET", "/logs/build.log?tail=1&" + q))).isEqualTo(ESC + "[0;1mthree\n");
            assertThat(num(json(send("GET", "/logs/build.log?search=t&" + q)), "count")).isEqualTo(2);
            assertThat(json(send("GET", "/logs/build.log?status&" + q))).containsEntry("writer", "finished");
            assertThat(send("GET", "/logs/other.log?lines=1&" + q).status).isEqualTo(403);
            assertThat(send("GET", "/logs/build.log?lines=1").status).isEqualTo(401);
            assertThat(json(send("GET", "/logs/?list&" + q)).get("entries")).asList().hasSize(1)
                    .first().asString().contains("name=build.log");
            String folder = sign("/logs/");
            assertThat(json(send("GET", "/logs/?list&" + folder)).get("entries")).asList().hasSize(2);
        }
    }

    @Nested
    class OverTlsAndH2 {
        @RegisterExtension
        final ServerExtension tls = new ServerExtension().startedByTest();

        @Test
        void linesAndTailAreTheSameBytesOverHttp11AndH2() throws Exception {
            org.httpfstream.testing.TestCertificates.Pem cert =
                    org.httpfstream.testing.TestCertificates.selfSigned(tls.folder(), "viewer");
            tls.start(b -> b.tls(cert.config()));
            StringBuilder log = new StringBuilder();
            for (int i = 1; i <= 40_000; i++) { // bodies of many pieces through the TLS engine
                log.append(ESC).append("[3").append(i % 8).append("mline ").append(i).append('\n');
            }
            tls.write("/t.log", log.toString());
            String expected = log.substring(log.indexOf(ESC + "[32mline 2\n"));
            for (java.net.http.HttpClient.Version version : java.net.http.HttpClient.Version.values()) {
                java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder().version(version)
                        .sslContext(org.httpfstream.testing.TestCertificates.trusting(cert.x509())).build();
                java.net.http.HttpResponse<byte[]> r = client.send(java.net.http.HttpRequest.newBuilder(
                        tls.uri().resolve("/t.log?lines=2-")).build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
                assertThat(r.version()).isEqualTo(version);
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(new String(r.body(), UTF_8)).isEqualTo(ESC + "[0;31m" + expected);
                assertThat(r.headers().firstValue("Line-Count")).hasValue("40000");
            }
        }
    }

    @Nested
    class ThePage {
        /**
         * The page's files are view14's (main resources); where they are not on the classpath yet, a
         * placeholder goes into the test classes folder for this test only (deleted after it, so that it
         * never hides the real page), never into the sources.
         */
        final java.util.List<Path> placeholders = new java.util.ArrayList<>();

        void placeholder(String name, String text) throws Exception {
            String resource = "org/httpfstream/viewer/static/" + name;
            if (ViewerApiTest.class.getClassLoader().getResource(resource) == null) {
                Path classes = Path.of(ViewerApiTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                Files.createDirectories(classes.resolve(resource).getParent());
                placeholders.add(Files.writeString(classes.resolve(resource), text));
            }
        }

        @org.junit.jupiter.api.AfterEach
        void removePlaceholders() throws IOException {
            for (Path p : placeholders) {
                Files.deleteIfExists(p);
            }
        }

        @Test
        void isServedWithAStrictContentSecurityPolicy() throws Exception {
            placeholder("viewer.html", "<!doctype html>\n<title>placeholder</title>\n"
                    + "<script src=\"/.httpfstream-viewer/viewer.js\"></script>\n");
            placeholder("viewer.js", "// placeholder\n");
            write("/a.log", "a\n");
            for (String target : new String[] {"/a.log?view", "/logs/?view", "/?view"}) {
                RawHttp r = get(target);
                assertThat(r.status).as(target).isEqualTo(200);
                assertThat(r.header("content-type")).isEqualTo("text/html; charset=utf-8");
                assertThat(r.header("content-security-policy")).isEqualTo("default-src 'none'; script-src 'self'; "
                        + "style-src 'self'; connect-src 'self'; img-src 'self' data:");
                assertThat(body(r)).contains("/.httpfstream-viewer/");
            }
            RawHttp js = get("/.httpfstream-viewer/viewer.js");
            assertThat(js.header("content-type")).isEqualTo("text/javascript; charset=utf-8");
            assertThat(js.header("content-security-policy")).isNotNull();
            assertThat(get("/.httpfstream-viewer/missing.js").status).isEqualTo(404);
            assertThat(get("/.httpfstream-viewer/..%2Fviewer.html").status).isEqualTo(404);
        }
    }
}
