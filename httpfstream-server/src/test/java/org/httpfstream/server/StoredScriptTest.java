package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.httpfstream.server.guard.ResponseHeadersHandler;
import org.httpfstream.server.testing.ServerExtension;
import org.httpfstream.testing.Await;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Defect "stored script": whatever a client stored, no read path serves it so that a browser runs it
 * as a page or script of the server's origin. Every response carries the sandbox policy; a stream of
 * an active type (HTML, SVG, XML, JavaScript) is served with its own type, as the Durable Streams
 * protocol echoes it, but as an attachment; files named like pages are served as plain text.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StoredScriptTest {
    static final String CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";
    static final String SCRIPT = "<script>alert(document.domain)</script>";

    @RegisterExtension
    final ServerExtension server = new ServerExtension();

    int send(String method, String path, String body, String... headers) throws Exception {
        return server.send(method, path, body, headers).statusCode();
    }

    RawHttp get(String target, String... headers) throws IOException {
        return RawHttp.request(server.address(), "GET", target, headers);
    }

    /** The head of a response that does not end by itself (SSE, ?follow), read on a socket then closed. */
    RawHttp head(String target, String... headers) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(server.address(), 5000);
            socket.setSoTimeout(10_000);
            StringBuilder req = new StringBuilder("GET " + target + " HTTP/1.1\r\nHost: x\r\n");
            for (String h : headers) {
                req.append(h).append("\r\n");
            }
            socket.getOutputStream().write(req.append("\r\n").toString().getBytes(ISO_8859_1));
            return RawHttp.readHead(socket.getInputStream());
        }
    }

    static void assertSandboxed(RawHttp r) {
        assertThat(r.header("Content-Security-Policy")).as("CSP").isEqualTo(CSP);
        assertThat(r.header("X-Content-Type-Options")).isEqualTo("nosniff");
    }

    static void assertAttachment(RawHttp r, String type) {
        assertSandboxed(r);
        assertThat(r.header("Content-Type")).isEqualTo(type);
        assertThat(r.header("Content-Disposition")).isEqualTo("attachment");
    }

    @Nested
    class ADurableStreamOfAnActiveType {
        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"text/html", "text/html; charset=utf-8", "image/svg+xml", "application/xhtml+xml",
                "text/xml", "application/xml", "application/rss+xml", "text/javascript", "application/javascript",
                "application/ecmascript", "text/xsl", "multipart/x-mixed-replace; boundary=x", "nonsense"})
        void isServedAsASandboxedAttachmentOnEveryReadPath(String type) throws Exception {
            assertThat(send("PUT", "/page", SCRIPT, "Content-Type", type)).isEqualTo(201);

            RawHttp plain = get("/page");
            assertThat(plain.status).isEqualTo(200);
            assertThat(plain.bodyText()).isEqualTo(SCRIPT);
            assertAttachment(plain, type);

            RawHttp catchUp = get("/page?offset=-1");
            assertThat(catchUp.bodyText()).isEqualTo(SCRIPT);
            assertAttachment(catchUp, type);

            RawHttp fromOffset = get("/page?offset=0000000000000008");
            assertThat(fromOffset.bodyText()).isEqualTo(SCRIPT.substring(8));
            assertAttachment(fromOffset, type);

            RawHttp longPoll = get("/page?offset=-1&live=long-poll");
            assertThat(longPoll.status).isEqualTo(200);
            assertThat(longPoll.bodyText()).isEqualTo(SCRIPT);
            assertAttachment(longPoll, type);

            RawHttp head = RawHttp.request(server.address(), "HEAD", "/page");
            assertThat(head.status).isEqualTo(200);
            assertAttachment(head, type);

            RawHttp sse = head("/page?offset=-1&live=sse");
            assertThat(sse.status).isEqualTo(200);
            assertThat(sse.header("Content-Type")).isEqualTo("text/event-stream");
            assertSandboxed(sse);

            // The stream is open (not closed): ?follow is a live chunked read, typed by the file name.
            RawHttp follow = head("/page?follow");
            assertThat(follow.status).isEqualTo(200);
            assertThat(follow.header("Transfer-Encoding")).isEqualTo("chunked");
            assertThat(follow.header("Content-Type")).isEqualTo("application/octet-stream");
            assertSandboxed(follow);
        }

        @Test
        void aLongPollThatWaitsIsSandboxedToo() throws Exception {
            assertThat(send("PUT", "/wait.html", null, "Content-Type", "text/html")).isEqualTo(201);
            try (Socket socket = new Socket()) {
                socket.connect(server.address(), 5000);
                socket.setSoTimeout(20_000);
                socket.getOutputStream().write(("GET /wait.html?offset=0000000000000000&live=long-poll HTTP/1.1\r\n"
                        + "Host: x\r\n\r\n").getBytes(ISO_8859_1));
                // The poll is waiting; the append answers it.
                Await.until("the append is in", () -> send("POST", "/wait.html", SCRIPT, "Content-Type",
                        "text/html") == 204);
                RawHttp polled = RawHttp.read(socket.getInputStream(), false);
                assertThat(polled.status).isEqualTo(200);
                assertThat(polled.bodyText()).isEqualTo(SCRIPT);
                assertAttachment(polled, "text/html");
            }
        }
    }

    @Nested
    class ADurableStreamOfAPassiveType {
        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"text/plain", "application/json", "application/octet-stream", "image/png"})
        void keepsItsTypeInline(String type) throws Exception {
            String body = type.equals("application/json") ? "[1]" : "1";
            assertThat(send("PUT", "/data", body, "Content-Type", type)).isEqualTo(201);
            for (RawHttp r : new RawHttp[] {get("/data"), get("/data?offset=-1"),
                    RawHttp.request(server.address(), "HEAD", "/data")}) {
                assertThat(r.status).isEqualTo(200);
                assertThat(r.header("Content-Type")).isEqualTo(type);
                assertThat(r.header("Content-Disposition")).isNull();
                assertSandboxed(r);
            }
        }
    }

    @Nested
    class AFileNamedLikeAPage {
        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"page.html", "page.htm", "page.xhtml", "image.svg", "app.js", "app.mjs", "feed.xml",
                "style.xsl"})
        void isServedAsSandboxedPlainTextWholeByRangeAndByOffset(String name) throws IOException {
            Files.writeString(server.root().resolve(name), SCRIPT);

            RawHttp whole = get("/" + name);
            assertThat(whole.status).isEqualTo(200);
            assertThat(whole.bodyText()).isEqualTo(SCRIPT);
            assertThat(whole.header("Content-Type")).isEqualTo("text/plain; charset=utf-8");
            assertThat(whole.header("Content-Disposition")).isNull();
            assertSandboxed(whole);

            RawHttp range = get("/" + name, "Range: bytes=0-7");
            assertThat(range.status).isEqualTo(206);
            assertThat(range.bodyText()).isEqualTo("<script>");
            assertThat(range.header("Content-Type")).isEqualTo("text/plain; charset=utf-8");
            assertSandboxed(range);

            RawHttp offset = get("/" + name + "?offset=0000000000000008");
            assertThat(offset.bodyText()).isEqualTo(SCRIPT.substring(8));
            assertSandboxed(offset);

            RawHttp head = RawHttp.request(server.address(), "HEAD", "/" + name);
            assertThat(head.status).isEqualTo(200);
            assertSandboxed(head);
        }

        @Test
        void isSandboxedWhileFollowedLive() throws IOException {
            try (RawWebSocket appender = RawWebSocket.appendAccepted(server.address(), "/live.html")) {
                appender.send(RawWebSocket.TEXT, SCRIPT.getBytes(UTF_8));
                try (Socket socket = new Socket()) {
                    socket.connect(server.address(), 5000);
                    socket.setSoTimeout(20_000);
                    socket.getOutputStream().write("GET /live.html?follow HTTP/1.1\r\nHost: x\r\n\r\n"
                            .getBytes(ISO_8859_1));
                    InputStream in = socket.getInputStream();
                    RawHttp head = RawHttp.readHead(in);
                    assertThat(head.status).isEqualTo(200);
                    assertThat(head.header("Content-Type")).isEqualTo("text/plain; charset=utf-8");
                    assertSandboxed(head);
                    assertThat(new String(RawHttp.readChunk(in, new TreeMap<>()), UTF_8)).isEqualTo(SCRIPT);
                }
                RawHttp snapshot = get("/live.html");
                assertThat(snapshot.bodyText()).isEqualTo(SCRIPT);
                assertSandboxed(snapshot);
                appender.sendClose(1000);
            }
        }
    }

    @Test
    void errorsAndUpgradesCarryThePolicyToo() throws IOException {
        RawHttp missing = get("/nothing.html");
        assertThat(missing.status).isEqualTo(404);
        assertSandboxed(missing);
        try (RawWebSocket appender = RawWebSocket.appendAccepted(server.address(), "/up.html")) {
            assertThat(appender.response.header("Content-Security-Policy")).isEqualTo(CSP);
            appender.sendClose(1000);
        }
    }

    @ParameterizedTest(name = "{0} is active: {1}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
        "text/html|true", "TEXT/HTML; charset=utf-8|true", "image/svg+xml|true", "application/xhtml+xml|true",
        "text/xml|true", "application/atom+xml|true", "text/javascript|true", "application/x-javascript|true",
        "text/ecmascript|true", "multipart/mixed|true", "html|true", "text/|true",
        "text/plain|false", "text/plain; charset=utf-8|false", "application/json|false", "application/x-ndjson|false",
        "application/octet-stream|false", "image/png|false", "text/event-stream|false", "text/css|false"})
    void activeTypesAreRecognised(String type, boolean active) {
        assertThat(ResponseHeadersHandler.isActive(type)).isEqualTo(active);
    }
}
