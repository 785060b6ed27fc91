package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.httpfstream.store.Offsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Defect "the official Durable Streams client reads a truncated stream": a catch-up read answers with
 * everything up to the tail as of the request in one response, however long (bytes zero-copy, JSON
 * streamed), unless a cap is configured; a capped read ends on a whole message and says it is not
 * up to date.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CatchUpReadTest {
    /** The sizes of the defect's report: a 3,030,000-byte text stream, 50,000 JSON events. */
    static final int TEXT_BYTES = 3_030_000;
    static final int EVENTS = 50_000;

    @TempDir Path root;
    HttpFStreamServer server;
    InetSocketAddress address;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    void start(HttpFStreamServerBuilder builder) throws IOException {
        server = builder.root(root).bind("127.0.0.1", 0).build().start();
        address = server.localAddress();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    int send(String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + path))
                .timeout(Duration.ofSeconds(60))
                .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body, UTF_8));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), BodyHandlers.discarding()).statusCode();
    }

    /** Numbered lines of text, exactly {@code n} bytes. */
    static String text(int n) {
        StringBuilder sb = new StringBuilder(n + 64);
        for (int i = 0; sb.length() < n; i++) {
            sb.append("line ").append(i).append(" of a long build log\n");
        }
        sb.setLength(n);
        return sb.toString();
    }

    /** The events as stored (compact JSON), in order. */
    static List<String> events(int n) {
        List<String> events = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            events.add("{\"seq\":" + i + ",\"kind\":\"step\",\"note\":\"event number " + i + "\"}");
        }
        return events;
    }

    static String array(List<String> events) {
        return "[" + String.join(",", events) + "]";
    }

    @Nested
    class WithoutACap {
        @BeforeEach
        void start() throws IOException {
            CatchUpReadTest.this.start(HttpFStreamServer.builder());
        }

        @Test
        void aTextStreamOfMoreThan1MiBIsAnsweredWholeInOneResponse() throws Exception {
            String content = text(TEXT_BYTES);
            assertThat(send("PUT", "/big.txt", content, "Content-Type", "text/plain")).isEqualTo(201);

            RawHttp r = RawHttp.request(address, "GET", "/big.txt?offset=-1");
            assertThat(r.status).isEqualTo(200);
            assertThat(r.header("Content-Length")).isEqualTo(Integer.toString(TEXT_BYTES));
            assertThat(r.body.length).isEqualTo(TEXT_BYTES);
            assertThat(r.bodyText()).isEqualTo(content);
            assertThat(r.header("Stream-Next-Offset")).isEqualTo(Offsets.format(TEXT_BYTES));
            assertThat(r.header("Stream-Up-To-Date")).isEqualTo("true");

            RawHttp rest = RawHttp.request(address, "GET", "/big.txt?offset=" + Offsets.format(1000));
            assertThat(rest.bodyText()).isEqualTo(content.substring(1000));
            assertThat(rest.header("Stream-Up-To-Date")).isEqualTo("true");

            RawHttp longPoll = RawHttp.request(address, "GET", "/big.txt?offset=-1&live=long-poll");
            assertThat(longPoll.bodyText()).isEqualTo(content);
            assertThat(longPoll.header("Stream-Up-To-Date")).isEqualTo("true");
        }

        @Test
        void aJsonStreamOf50000EventsIsAnsweredWholeAsOneArray() throws Exception {
            List<String> events = events(EVENTS);
            assertThat(send("PUT", "/events", array(events), "Content-Type", "application/json")).isEqualTo(201);

            RawHttp r = RawHttp.request(address, "GET", "/events?offset=-1");
            assertThat(r.status).isEqualTo(200);
            assertThat(r.header("Content-Type")).isEqualTo("application/json");
            assertThat(r.bodyText()).isEqualTo(array(events));
            assertThat(r.header("Content-Length")).isEqualTo(Integer.toString(r.body.length));
            assertThat(r.header("Stream-Up-To-Date")).isEqualTo("true");
            assertThat(r.body.length).isGreaterThan(2 * 1024 * 1024);
        }

        @Test
        void anEmptyJsonStreamIsAnEmptyArrayAndAnEmptyTextStreamNoBytes() throws Exception {
            assertThat(send("PUT", "/none", null, "Content-Type", "application/json")).isEqualTo(201);
            RawHttp json = RawHttp.request(address, "GET", "/none?offset=-1");
            assertThat(json.bodyText()).isEqualTo("[]");
            assertThat(json.header("Content-Length")).isEqualTo("2");
            assertThat(json.header("Stream-Up-To-Date")).isEqualTo("true");

            assertThat(send("PUT", "/nothing", null, "Content-Type", "text/plain")).isEqualTo(201);
            RawHttp bytes = RawHttp.request(address, "GET", "/nothing?offset=-1");
            assertThat(bytes.body).isEmpty();
            assertThat(bytes.header("Content-Length")).isEqualTo("0");
        }

        @Test
        void aReaderWithASmallWindowGetsEveryEventAsTheServerWaitsForItToDrain() throws Exception {
            List<String> events = events(EVENTS);
            assertThat(send("PUT", "/events", array(events), "Content-Type", "application/json")).isEqualTo(201);
            try (Socket socket = new Socket()) {
                socket.setReceiveBufferSize(4096); // the server's writes outrun it: pieces wait for the drain
                socket.connect(address, 5000);
                socket.setSoTimeout(30_000);
                socket.getOutputStream().write("GET /events?offset=-1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                        .getBytes(ISO_8859_1));
                InputStream in = socket.getInputStream();
                RawHttp head = RawHttp.read(in, true); // the head only: the body is read below
                int length = Integer.parseInt(head.header("Content-Length"));
                java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream(length);
                byte[] small = new byte[1024];
                for (int n = in.read(small); n >= 0; n = in.read(small)) {
                    body.write(small, 0, n);
                }
                assertThat(body.toString(UTF_8)).isEqualTo(array(events));
                assertThat(body.size()).isEqualTo(length);
            }
        }

        @Test
        void requestsPipelinedBehindALongJsonAnswerAreAnsweredAfterIt() throws Exception {
            List<String> events = events(EVENTS);
            assertThat(send("PUT", "/events", array(events), "Content-Type", "application/json")).isEqualTo(201);
            assertThat(send("PUT", "/small", "[1,2]", "Content-Type", "application/json")).isEqualTo(201);
            try (Socket socket = new Socket()) {
                socket.connect(address, 5000);
                socket.setSoTimeout(30_000);
                socket.getOutputStream().write(("GET /events?offset=-1 HTTP/1.1\r\nHost: x\r\n\r\n"
                        + "GET /small?offset=-1 HTTP/1.1\r\nHost: x\r\n\r\n"
                        + "GET /events?offset=-1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        .getBytes(ISO_8859_1));
                InputStream in = socket.getInputStream();
                assertThat(RawHttp.read(in, false).bodyText()).isEqualTo(array(events));
                assertThat(RawHttp.read(in, false).bodyText()).isEqualTo("[1,2]");
                assertThat(RawHttp.read(in, false).bodyText()).isEqualTo(array(events));
                assertThat(in.read()).isEqualTo(-1);
            }
        }
    }

    @Nested
    class WithACapOf1MiB {
        static final int CAP = 1024 * 1024;

        @BeforeEach
        void start() throws IOException {
            CatchUpReadTest.this.start(HttpFStreamServer.builder().maxReadBytes(CAP));
        }

        @Test
        void aTextReadStopsAtTheCapAndSaysItIsNotUpToDate() throws Exception {
            String content = text(TEXT_BYTES);
            assertThat(send("PUT", "/big.txt", content, "Content-Type", "text/plain")).isEqualTo(201);
            StringBuilder read = new StringBuilder();
            String offset = "-1";
            List<Integer> sizes = new ArrayList<>();
            for (;;) {
                RawHttp r = RawHttp.request(address, "GET", "/big.txt?offset=" + offset);
                sizes.add(r.body.length);
                read.append(r.bodyText());
                offset = r.header("Stream-Next-Offset");
                if ("true".equals(r.header("Stream-Up-To-Date"))) {
                    break;
                }
            }
            assertThat(sizes).containsExactly(CAP, CAP, 932_848);
            assertThat(read.toString()).isEqualTo(content);
        }

        @Test
        void aJsonReadEndsOnAWholeMessage() throws Exception {
            List<String> events = events(EVENTS);
            assertThat(send("PUT", "/events", array(events), "Content-Type", "application/json")).isEqualTo(201);
            List<String> read = new ArrayList<>();
            String offset = "-1";
            int responses = 0;
            for (;;) {
                RawHttp r = RawHttp.request(address, "GET", "/events?offset=" + offset);
                responses++;
                String body = r.bodyText();
                assertThat(body).startsWith("[{").endsWith("}]");
                assertThat(r.body.length).isLessThanOrEqualTo(CAP + 1);
                read.addAll(List.of(body.substring(1, body.length() - 1).split(",(?=\\{)")));
                offset = r.header("Stream-Next-Offset");
                if ("true".equals(r.header("Stream-Up-To-Date"))) {
                    break;
                }
            }
            assertThat(responses).isGreaterThan(1);
            assertThat(read).isEqualTo(events);
        }

        @Test
        void oneMessageLargerThanTheCapIsAnsweredWhole() throws Exception {
            String big = "{\"blob\":\"" + "x".repeat(CAP + 10) + "\"}";
            assertThat(send("PUT", "/blob", "[" + big + ",{\"after\":1}]", "Content-Type", "application/json"))
                    .isEqualTo(201);
            RawHttp first = RawHttp.request(address, "GET", "/blob?offset=-1");
            assertThat(first.bodyText()).isEqualTo("[" + big + "]");
            assertThat(first.header("Stream-Up-To-Date")).isNull();
            RawHttp second = RawHttp.request(address, "GET", "/blob?offset=" + first.header("Stream-Next-Offset"));
            assertThat(second.bodyText()).isEqualTo("[{\"after\":1}]");
            assertThat(second.header("Stream-Up-To-Date")).isEqualTo("true");
        }
    }
}
