package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import org.httpfstream.server.testing.ServerExtension;
import org.httpfstream.store.StoreFaults;
import org.httpfstream.testing.Await;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Defect 1 of issue 11, through an injected write failure that works on every machine (a full disk
 * on a real small file system: {@link FullDiskTest}): an append that is refused leaves nothing
 * behind. The failing write puts part of its bytes into the file first, as a full disk can; the file
 * is cut back at once, the append answered {@code 507} (WebSocket: Close 1011) with one line, reads go
 * on, and the next append, once writes work again, lands right after the last acknowledged one. With
 * and without fsync (where a failed sync is refused the same way).
 */
class RefusedAppendTest {
    @RegisterExtension
    final ServerExtension server = new ServerExtension().startedByTest();
    StoreFaults faults;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    void start(boolean fsync) throws IOException {
        server.start(b -> b.fsync(fsync));
        faults = StoreFaults.install(server.store());
    }

    long diskFullRefusals() {
        return server.get().refusals().get(Refusals.Reason.DISK_FULL);
    }

    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(booleans = {false, true})
    void aRefusedPostLeavesNoByteAndTheNextAppendFollowsTheLastAcknowledgedOne(boolean fsync) throws Exception {
        start(fsync);
        assertThat(server.send("PUT", "/s.txt", "one\n", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        faults.failWrites(true);
        HttpResponse<String> refused = server.send("POST", "/s.txt", "two two two\n", "Content-Type", "text/plain");
        assertThat(refused.statusCode()).isEqualTo(507);
        assertThat(refused.body()).startsWith("insufficient storage: no space left on device").hasLineCount(1);
        assertThat(diskFullRefusals()).isEqualTo(1);
        assertThat(Files.readString(server.root().resolve("s.txt"))).as("the file, cut back").isEqualTo("one\n");
        HttpResponse<String> read = server.send("GET", "/s.txt?offset=-1", null);
        assertThat(read.statusCode()).as("reads go on while appends are refused").isEqualTo(200);
        assertThat(read.body()).isEqualTo("one\n");
        assertThat(server.send("GET", "/s.txt", null).body()).as("a plain read").isEqualTo("one\n");

        faults.failWrites(false);
        HttpResponse<String> next = server.send("POST", "/s.txt", "three\n", "Content-Type", "text/plain");
        assertThat(next.statusCode()).isEqualTo(204);
        assertThat(next.headers().firstValue("Stream-Next-Offset")).hasValue(String.format("%016x", 10));
        assertThat(server.send("GET", "/s.txt?offset=-1", null).body()).isEqualTo("one\nthree\n");
        assertThat(Files.readString(server.root().resolve("s.txt"))).isEqualTo("one\nthree\n");
    }

    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(booleans = {false, true})
    void aJsonStreamStaysValidAndAProducersRetryIsStoredOnce(boolean fsync) throws Exception {
        start(fsync);
        String json = "application/json";
        assertThat(server.send("PUT", "/j.json", "[{\"n\":1}]", "Content-Type", json).statusCode()).isEqualTo(201);
        String event = "{\"n\":2,\"text\":\"" + "x".repeat(5000) + "\"}";
        String[] producer = {"Content-Type", json, "Producer-Id", "p", "Producer-Epoch", "0", "Producer-Seq", "0"};
        faults.failWrites(true);
        assertThat(server.send("POST", "/j.json", event, producer).statusCode()).isEqualTo(507);
        assertThat(server.send("GET", "/j.json?offset=-1", null).body()).isEqualTo("[{\"n\":1}]");

        faults.failWrites(false);
        HttpResponse<String> retry = server.send("POST", "/j.json", event, producer);
        assertThat(retry.statusCode()).as("the retry is the producer's first stored append").isEqualTo(200);
        assertThat(server.send("POST", "/j.json", event, producer).statusCode()).as("and its retry a duplicate")
                .isEqualTo(204);
        assertThat(server.send("GET", "/j.json?offset=-1", null).body()).as("valid JSON, the event once")
                .isEqualTo("[{\"n\":1}," + event + "]");
    }

    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(booleans = {false, true})
    void aRefusedWebSocketAppendIsClosed1011AndLeavesNoByte(boolean fsync) throws Exception {
        start(fsync);
        try (RawWebSocket ws = appenderAfterFirstLine("/w.log")) {
            faults.failWrites(true);
            ws.send(RawWebSocket.BINARY, "second message\n".getBytes(UTF_8));
            RawWebSocket.Frame close = ws.readToClose(new ByteArrayOutputStream());
            assertThat(close.closeCode()).isEqualTo(1011);
            assertThat(close.closeReason()).startsWith("insufficient storage: no space left on device");
        }
        assertThat(diskFullRefusals()).isEqualTo(1);
        assertThat(Files.readString(server.root().resolve("w.log"))).isEqualTo("first\n");
        faults.failWrites(false);
        appendOverWebSocket("/w.log", "third\n");
        assertThat(read("/w.log")).isEqualTo("first\nthird\n");
    }

    /** With fsync, bytes whose sync fails are cut off too: the appender learns it from Close 1011. */
    @org.junit.jupiter.api.Test
    void aWebSocketAppendWhoseSyncFailsIsClosed1011AndItsBytesCutOff() throws Exception {
        start(true);
        try (RawWebSocket ws = appenderAfterFirstLine("/f.log")) {
            faults.failSyncs(true);
            ws.send(RawWebSocket.TEXT, "lost\n".getBytes(UTF_8));
            Await.until("the failed sync cut the file back",
                    () -> server.root().resolve("f.log").toFile().length() == 6 && diskFullRefusals() > 0);
            faults.failSyncs(false);
            ws.sendClose(1000);
            RawWebSocket.Frame close = ws.readToClose(new ByteArrayOutputStream());
            assertThat(close.closeCode()).isEqualTo(1011);
        }
        assertThat(read("/f.log")).isEqualTo("first\n");
        appendOverWebSocket("/f.log", "again\n");
        assertThat(read("/f.log")).isEqualTo("first\nagain\n");
    }

    String read(String path) {
        try {
            return server.send("GET", path + "?offset=-1", null).body();
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Opens a WebSocket appender on {@code path} and sends {@code "first\n"}; returns it once a read shows
     * that line (with fsync: once it is synced).
     */
    RawWebSocket appenderAfterFirstLine(String path) throws IOException {
        RawWebSocket ws = RawWebSocket.appendAccepted(server.address(), path);
        try {
            ws.send(RawWebSocket.TEXT, "first\n".getBytes(UTF_8));
            Await.until("the first message is readable", () -> read(path).equals("first\n"));
            return ws;
        } catch (IOException | RuntimeException | Error e) {
            ws.close();
            throw e;
        }
    }

    void appendOverWebSocket(String path, String text) throws IOException {
        try (RawWebSocket ws = RawWebSocket.appendAccepted(server.address(), path)) {
            ws.send(RawWebSocket.TEXT, text.getBytes(UTF_8));
            ws.sendClose(1000);
            assertThat(ws.readToClose(new ByteArrayOutputStream()).closeCode()).isEqualTo(1000);
        }
    }
}
