package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.httpfstream.server.testing.ServerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Defect 3 of issue 11: the metadata of {@code /X} and of {@code /X.meta/anything} no longer share a
 * place (the property over generated paths: {@code MetadataLayoutProperties}), also after a restart,
 * and metadata written in the first layout is moved, not lost.
 */
class MetadataCollisionTest {
    @RegisterExtension
    final ServerExtension server = new ServerExtension().startedByTest();
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** Starts the server, or restarts it on the same root. */
    void start(boolean fsync) throws IOException {
        server.restart(b -> b.fsync(fsync));
    }

    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(booleans = {false, true})
    void aStreamBelowAnotherStreamsMetadataNameLeavesItsCreationAlone(boolean fsync) throws Exception {
        start(fsync);
        assertThat(server.send("PUT", "/a.txt.meta/x", "below\n", "Content-Type",
                "text/plain").statusCode()).isEqualTo(201);
        HttpResponse<String> created = server.send("PUT", "/a.txt", "above\n", "Content-Type", "text/plain");
        assertThat(created.statusCode()).as("PUT /a.txt: %s", created.body()).isEqualTo(201);
        assertThat(server.send("POST", "/a.txt", "more\n", "Content-Type", "text/plain").statusCode()).isEqualTo(204);

        start(fsync); // a restart on the same root
        assertThat(server.send("PUT", "/a.txt", null, "Content-Type", "text/plain").statusCode()).as("exists, equal")
                .isEqualTo(200);
        assertThat(server.send("GET", "/a.txt?offset=-1", null).body()).isEqualTo("above\nmore\n");
        assertThat(server.send("GET", "/a.txt.meta/x?offset=-1", null).body()).isEqualTo("below\n");
        assertThat(server.send("HEAD", "/a.txt", null).headers().firstValue("Content-Type")).hasValue("text/plain");
        assertThat(server.send("DELETE", "/a.txt", null).statusCode()).isEqualTo(204);
        assertThat(server.send("DELETE", "/a.txt.meta/x", null).statusCode()).isEqualTo(204);
    }

    @Test
    void aWebSocketWrittenStreamIsClosedAndDeletedWithoutErrors() throws Exception {
        start(false);
        try (RawWebSocket ws = RawWebSocket.appendAccepted(server.address(), "/w.txt")) {
            ws.send(RawWebSocket.TEXT, "hello\n".getBytes(UTF_8));
            ws.sendClose(1000);
            assertThat(ws.readToClose(new ByteArrayOutputStream()).closeCode()).isEqualTo(1000);
        }
        assertThat(server.send("PUT", "/w.txt.meta/x", "x", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        HttpResponse<String> close = server.send("POST", "/w.txt", null, "Stream-Closed", "true");
        assertThat(close.statusCode()).as("close: %s", close.body()).isEqualTo(204);
        assertThat(server.send("HEAD", "/w.txt", null).headers().firstValue("Stream-Closed")).hasValue("true");
        HttpResponse<String> delete = server.send("DELETE", "/w.txt", null);
        assertThat(delete.statusCode()).as("DELETE: %s", delete.body()).isEqualTo(204);
        assertThat(server.send("GET", "/w.txt", null).statusCode()).isEqualTo(404);
        assertThat(server.send("GET", "/w.txt.meta/x?offset=-1", null).body()).isEqualTo("x");
    }

    @Test
    void metadataOfTheFirstLayoutIsMovedWhenTheServerStarts() throws Exception {
        Files.createDirectories(server.root().resolve("logs"));
        Files.writeString(server.root().resolve("logs/b.log"), "old bytes\n");
        Files.writeString(server.root().resolve("top.txt"), "top\n");
        Path old = server.root().resolve(".httpfstream/streams");
        Files.createDirectories(old.resolve("logs"));
        Files.writeString(old.resolve("logs/b.log.meta"), "contentType=text/x-log\nclosed=true\nforkRefs=0\n"
                + "softDeleted=false\n");
        Files.writeString(old.resolve("top.txt.meta"), "contentType=text/plain\nclosed=false\nlastSeq=7\n"
                + "forkRefs=0\nsoftDeleted=false\nproducer.p=3 4\n");
        start(false);
        HttpResponse<String> head = server.send("HEAD", "/logs/b.log", null);
        assertThat(head.headers().firstValue("Content-Type")).hasValue("text/x-log");
        assertThat(head.headers().firstValue("Stream-Closed")).hasValue("true");
        assertThat(server.send("POST", "/top.txt", "x", "Content-Type", "text/plain", "Stream-Seq", "5").statusCode())
                .as("the last Stream-Seq was kept").isEqualTo(409);
        HttpResponse<String> duplicate = server.send("POST", "/top.txt", "x", "Content-Type", "text/plain",
                "Producer-Id", "p", "Producer-Epoch", "3", "Producer-Seq", "4");
        assertThat(duplicate.statusCode()).as("the producer's state was kept").isEqualTo(204);
        assertThat(old).doesNotExist();
        assertThat(server.root().resolve(".httpfstream/metadata/logs.d/b.log.meta")).exists();
    }
}
