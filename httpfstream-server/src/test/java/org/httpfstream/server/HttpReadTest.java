package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.httpfstream.server.testing.FilesOnDisk;
import org.httpfstream.server.testing.ServerExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Plain-HTTP reads of finished streams, and every request the protocol refuses. */
class HttpReadTest {
    @RegisterExtension
    final ServerExtension server = new ServerExtension();
    Path outside;

    @BeforeEach
    void makeOutside() throws IOException {
        outside = Files.createDirectories(server.folder().resolve("outside")); // the root's sibling
    }

    RawHttp get(String target, String... headers) throws IOException {
        return RawHttp.request(server.address(), "GET", target, headers);
    }

    @Nested
    class AFinishedStream {
        @BeforeEach
        void write() throws IOException {
            server.write("/logs/build.log", "0123456789");
        }

        @Test
        void isServedWhole() throws IOException {
            RawHttp r = get("/logs/build.log");
            assertAnswered(r, 200, "0123456789");
            assertHeaders(r, "Content-Length", "10",
                    "Accept-Ranges", "bytes");
            assertThat(r.header("Last-Modified")).endsWith("GMT");
            assertThat(r.header("Content-Type")).isEqualTo("text/plain; charset=utf-8");
        }

        @Test
        void isServedWholeEvenWhenAWebSocketUpgradeWasAsked() throws IOException {
            RawHttp r = get("/logs/build.log", "Upgrade: websocket", "Connection: Upgrade",
                    "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                    "X-Verb: FOLLOW");
            assertAnswered(r, 200, "0123456789");
        }

        @Test
        void answersRangesWith206() throws IOException {
            RawHttp r = get("/logs/build.log", "Range: bytes=2-4");
            assertAnswered(r, 206, "234");
            assertThat(r.header("Content-Range")).isEqualTo("bytes 2-4/10");
            RawHttp tail = get("/logs/build.log", "Range: bytes=-3");
            assertThat(tail.bodyText()).isEqualTo("789");
        }

        @Test
        void answersAnUnsatisfiableRangeWith416() throws IOException {
            RawHttp r = get("/logs/build.log", "Range: bytes=10-");
            assertThat(r.status).isEqualTo(416);
            assertThat(r.header("Content-Range")).isEqualTo("bytes */10");
        }

        @Test
        void answersIfModifiedSinceWith304() throws IOException {
            String lastModified = get("/logs/build.log").header("Last-Modified");
            RawHttp r = get("/logs/build.log", "If-Modified-Since: " + lastModified);
            assertThat(r.status).isEqualTo(304);
        }

        @Test
        void headSaysLengthOffsetAndThatNoWriterIsActive() throws IOException {
            RawHttp r = RawHttp.request(server.address(), "HEAD", "/logs/build.log");
            assertThat(r.status).isEqualTo(200);
            assertThat(r.body).isEmpty();
            assertHeaders(r, "Content-Length", "10",
                    "Stream-Next-Offset", "000000000000000a",
                    "Stream-Writer-Active", "false",
                    "Cache-Control", "no-store");
            assertThat(RawHttp.request(server.address(), "HEAD", "/missing").status).isEqualTo(404);
        }

        @Test
        void readsStartAtAnOffset() throws IOException {
            RawHttp r = get("/logs/build.log?offset=0000000000000004");
            assertAnswered(r, 200, "456789");
            assertHeaders(r, "Stream-Offset", "0000000000000004",
                    "Stream-Next-Offset", "000000000000000a",
                    "Stream-Writer-Active", "false");
            assertThat(get("/logs/build.log?offset=-1").bodyText()).isEqualTo("0123456789");
            RawHttp now = get("/logs/build.log?offset=now");
            assertThat(now.status).isEqualTo(200);
            assertThat(now.body).isEmpty();
            assertThat(now.header("Stream-Offset")).isEqualTo("000000000000000a");
            // an offset overrides a Range
            assertThat(get("/logs/build.log?offset=0000000000000008", "Range: bytes=0-1").bodyText()).isEqualTo("89");
            // a plain read says where it started and ended too
            assertThat(get("/logs/build.log").header("Stream-Next-Offset")).isEqualTo("000000000000000a");
        }

        @ParameterizedTest
        @ValueSource(strings = {"000000000000000b", "00000000000000FF", "12", "zzzzzzzzzzzzzzzz", "ffffffffffffffff",
            "%D9%A0%D9%A0%D9%A0%D9%A0%D9%A0%D9%A0%D9%A0%D9%A0%D9%A0%D9%A0%D9%A0%D9%A0%D9%A0%D9%A0%D9%A0%D9%A0",
            "000000000000000%EF%BD%81"})
        void aBadOffsetGets400(String offset) throws IOException {
            RawHttp r = get("/logs/build.log?offset=" + offset);
            assertThat(r.status).isEqualTo(400);
            assertThat(r.bodyText()).contains("offset");
        }

        @Test
        void aFollowOfAFinishedStreamEndsAtOnce() throws IOException {
            RawHttp r = get("/logs/build.log?follow&offset=0000000000000002");
            assertAnswered(r, 200, "23456789");
            assertThat(r.header("Content-Length")).isEqualTo("8");
        }

        @Test
        void anyVerbButAppendMeansFollow() throws IOException {
            assertThat(get("/logs/build.log?verb=FOLLOW").bodyText()).isEqualTo("0123456789");
            assertThat(get("/logs/build.log", "X-Verb: append").bodyText()).isEqualTo("0123456789");
        }

        @Test
        void servesManyRequestsOnOneKeepAliveConnection() throws IOException {
            try (var socket = new java.net.Socket(server.address().getAddress(), server.address().getPort())) {
                var out = socket.getOutputStream();
                var in = socket.getInputStream();
                for (int i = 0; i < 3; i++) {
                    out.write(("GET /logs/build.log HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(UTF_8));
                    RawHttp r = RawHttp.read(in, false);
                    assertAnswered(r, 200, "0123456789");
                }
            }
        }
    }

    @Test
    void aPathNeverWrittenIs404() throws IOException {
        RawHttp r = get("/nothing/here");
        assertAnswered(r, 404, "no such stream: /nothing/here\n");
    }

    @Test
    @FilesOnDisk // an empty folder
    void aFolderIsNotAStream() throws IOException {
        Files.createDirectories(server.root().resolve("dir"));
        assertThat(get("/dir").status).isEqualTo(404);
        assertThat(get("/").status).isEqualTo(404);
    }

    @Test
    void otherMethodsGet405() throws IOException {
        // POST, PUT, DELETE and OPTIONS belong to the Durable Streams protocol (DurableStreamsTest).
        for (String method : new String[] {"PATCH", "TRACE", "CONNECT"}) {
            RawHttp r = RawHttp.request(server.address(), method, "/x", "Content-Length: 0");
            assertThat(r.status).as(method).isEqualTo(405);
            assertThat(r.header("Allow")).isEqualTo("GET, HEAD, POST, PUT, DELETE, OPTIONS");
        }
    }

    @Test
    void anAppendWithoutUpgradeGets426AndCreatesNothing() throws IOException {
        RawHttp r = get("/new.log", "X-Verb: APPEND");
        assertThat(r.status).isEqualTo(426);
        assertThat(r.bodyText()).contains("WebSocket");
        assertThat(server.exists("/new.log")).isFalse();
        assertThat(get("/new.log?verb=APPEND").status).isEqualTo(426);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/../outside/secret", "/%2e%2e/outside/secret", "/a/..%2F..%2Foutside/secret",
            "/a%5c..%5c..%5coutside%5csecret", "/a%00b", "/./x"})
    void escapeAttemptsGet400AndTouchNothing(String target) throws IOException {
        Files.writeString(outside.resolve("secret"), "secret");
        for (String verb : new String[] {"FOLLOW", "APPEND"}) {
            RawHttp r = get(target, "X-Verb: " + verb, "Upgrade: websocket", "Connection: Upgrade",
                    "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==");
            assertThat(r.status).as(verb + " " + target).isEqualTo(400);
            assertThat(r.bodyText()).doesNotContain("secret\n").startsWith("path contains");
        }
        assertThat(outside.resolve("secret")).hasContent("secret");
        try (var files = Files.list(outside)) {
            assertThat(files).hasSize(1);
        }
        try (var files = Files.list(server.root())) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    @FilesOnDisk
    void aSymlinkOutOfTheRootGets403() throws IOException {
        Files.writeString(outside.resolve("secret"), "secret");
        Files.createSymbolicLink(server.root().resolve("link"), outside);
        RawHttp read = get("/link/secret");
        assertThat(read.status).isEqualTo(403);
        assertThat(read.bodyText()).doesNotContain("secret\n");
        RawHttp append = get("/link/new", "X-Verb: APPEND", "Upgrade: websocket", "Connection: Upgrade",
                "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==");
        assertThat(append.status).isEqualTo(403);
        assertThat(outside.resolve("new")).doesNotExist();
    }

    @Test
    @FilesOnDisk // an empty folder
    void appendingToAFolderGets409() throws IOException {
        Files.createDirectories(server.root().resolve("dir"));
        RawHttp r = get("/dir", "X-Verb: APPEND", "Upgrade: websocket", "Connection: Upgrade",
                "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==");
        assertAnswered(r, 409, "/dir is a folder, not a stream\n");
    }

    /** The response has {@code status} and exactly {@code body}. */
    /** Asserts the headers of {@code r}: name, exact value, name, exact value, and so on. */
    private static void assertHeaders(RawHttp r, String... namesAndValues) {
        for (int i = 0; i < namesAndValues.length; i += 2) {
            assertThat(r.header(namesAndValues[i])).as(namesAndValues[i]).isEqualTo(namesAndValues[i + 1]);
        }
    }

    private static void assertAnswered(RawHttp r, int status, String body) {
        assertThat(r.status).isEqualTo(status);
        assertThat(r.bodyText()).isEqualTo(body);
    }
}
