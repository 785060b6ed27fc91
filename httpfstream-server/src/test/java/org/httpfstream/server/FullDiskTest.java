package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.httpfstream.server.testing.ServerExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Defect 1 of issue 11 on a real full disk: the root is a 1 MiB tmpfs mounted for the test (which
 * needs root and {@code mount}; elsewhere these tests are skipped, and {@link RefusedAppendTest}
 * covers the same rules through an injected failure). Appends are made until the disk refuses one:
 * that one is answered {@code 507} (WebSocket: Close 1011), the file holds exactly what was
 * acknowledged, a JSON stream stays valid, reads go on, and once space is freed appends work again,
 * right after the last acknowledged byte.
 */
class FullDiskTest {
    @RegisterExtension
    final ServerExtension server = new ServerExtension().startedByTest().rootOnTmpfs("1m");

    void start(boolean fsync) throws IOException {
        server.start(b -> b.fsync(fsync));
    }

    /** Fills most of the disk with a stream of its own, to be deleted to free space. */
    void fill() throws Exception {
        assertThat(server.send("PUT", "/filler.bin", null, "Content-Type", "application/octet-stream").statusCode())
                .isEqualTo(201);
        String block = "f".repeat(64 * 1024);
        for (int i = 0; i < 9; i++) {
            int status = server.send("POST", "/filler.bin", block, "Content-Type",
                    "application/octet-stream").statusCode();
            if (status == 507) {
                break;
            }
            assertThat(status).isEqualTo(204);
        }
    }

    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(booleans = {false, true})
    void textAndJsonPostsUntilTheDiskIsFullKeepExactlyWhatWasAcknowledged(boolean fsync) throws Exception {
        start(fsync);
        assertThat(server.send("PUT", "/log.txt", null, "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        assertThat(server.send("PUT", "/events.json", null, "Content-Type",
                "application/json").statusCode()).isEqualTo(201);
        fill();
        Poster text = new Poster("/log.txt", "text/plain", "POST");
        Poster json = new Poster("/events.json", "application/json", "JSON POST");
        for (int i = 0; i < 1000 && (text.refused == null || json.refused == null); i++) {
            text.post(i, i + " " + "t".repeat(9000) + "\n");
            json.post(i, "{\"i\":" + i + ",\"s\":\"" + "j".repeat(7000) + "\"}");
        }
        HttpResponse<String> refusedText = text.refused;
        HttpResponse<String> refusedJson = json.refused;
        assertThat(refusedText).as("the disk filled up").isNotNull();
        assertThat(refusedJson).isNotNull();
        assertThat(refusedText.body()).matches("insufficient storage: no space left on device; an append of"
                + " \\d+ bytes was refused and nothing of it was kept\n")
                .hasLineCount(1);
        assertThat(refusedJson.body()).startsWith("insufficient storage: no space left on device").hasLineCount(1);
        assertThat(server.get().refusals().get(Refusals.Reason.DISK_FULL)).isGreaterThanOrEqualTo(2);

        assertThat(Files.readString(server.root().resolve("log.txt"))).as("the file: exactly the acknowledged appends")
                .isEqualTo(String.join("", text.kept));
        assertThat(server.send("GET", "/log.txt?offset=-1", null).body()).as("reads go on")
                .isEqualTo(String.join("", text.kept));
        assertThat(server.send("GET", "/events.json?offset=-1", null).body()).as("valid JSON, every acknowledged event")
                .isEqualTo("[" + String.join(",", json.kept) + "]");

        assertThat(server.send("DELETE", "/filler.bin", null).statusCode()).isEqualTo(204);
        assertThat(server.send("POST", "/log.txt", "after\n", "Content-Type",
                "text/plain").statusCode()).isEqualTo(204);
        assertThat(server.send("POST", "/events.json", "{\"after\":true}", "Content-Type", "application/json")
                .statusCode()).isEqualTo(204);
        assertThat(server.send("GET", "/log.txt?offset=-1", null).body())
                .isEqualTo(String.join("", text.kept) + "after\n");
        assertThat(server.send("GET", "/events.json?offset=-1", null).body())
                .isEqualTo("[" + String.join(",", json.kept) + ",{\"after\":true}]");
    }

    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(booleans = {false, true})
    void aWebSocketAppendThatFillsTheDiskIsClosed1011WithNoTornBytes(boolean fsync) throws Exception {
        start(fsync);
        fill();
        byte[] message = new byte[48 * 1024];
        java.util.Arrays.fill(message, (byte) 'w');
        RawWebSocket.Frame close = null;
        try (RawWebSocket ws = RawWebSocket.appendAccepted(server.address(), "/ws.log")) {
            try {
                for (int i = 0; i < 100; i++) {
                    ws.send(RawWebSocket.BINARY, message);
                }
            } catch (IOException e) {
                // the server closed the connection after refusing an append: its Close frame is waiting
            }
            close = ws.readToClose(new ByteArrayOutputStream());
        }
        assertThat(close.closeCode()).isEqualTo(1011);
        assertThat(close.closeReason())
                .isEqualTo("insufficient storage: no space left on device; append refused, nothing of it kept");
        long kept = Files.size(server.root().resolve("ws.log"));
        HttpResponse<String> read = server.send("GET", "/ws.log", null);
        assertThat(read.body().length()).as("what readers see is the whole file: no torn bytes past it")
                .isEqualTo(kept);
        assertThat(read.body()).matches("w*");

        assertThat(server.send("DELETE", "/filler.bin", null).statusCode()).isEqualTo(204);
        try (RawWebSocket ws = RawWebSocket.appendAccepted(server.address(), "/ws.log")) {
            ws.send(RawWebSocket.TEXT, "after".getBytes(UTF_8));
            ws.sendClose(1000);
            assertThat(ws.readToClose(new ByteArrayOutputStream()).closeCode()).isEqualTo(1000);
        }
        assertThat(server.send("GET", "/ws.log", null).body()).isEqualTo("w".repeat((int) kept) + "after");
    }

    /** POSTs bodies to one stream until one is refused with 507: keeps the acknowledged bodies and the refusal. */
    private final class Poster {
        private final String path;
        private final String contentType;
        private final String label;
        final List<String> kept = new ArrayList<>();
        HttpResponse<String> refused;

        Poster(String path, String contentType, String label) {
            this.path = path;
            this.contentType = contentType;
            this.label = label;
        }

        /** POSTs {@code body} (the {@code i}th), unless a POST was refused already; any answer but 507 is 204. */
        void post(int i, String body) throws Exception {
            if (refused != null) {
                return;
            }
            HttpResponse<String> r = server.send("POST", path, body, "Content-Type", contentType);
            if (r.statusCode() == 507) {
                refused = r;
            } else {
                assertThat(r.statusCode()).as(label + " %s: %s", i, r.body()).isEqualTo(204);
                kept.add(body);
            }
        }
    }
}
