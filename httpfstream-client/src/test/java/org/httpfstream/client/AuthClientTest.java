package org.httpfstream.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client with a token, against a real server with a grant file. */
class AuthClientTest {
    @TempDir Path dir;
    RealServer server;

    @BeforeEach
    void start() throws IOException {
        Path tokens = Files.writeString(dir.resolve("tokens"), "writer read,append /\nreader read /\n");
        server = RealServer.start(Files.createDirectories(dir.resolve("root")), b -> b.tokens(tokens));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    HttpFStreamClient client(String token) {
        return HttpFStreamClient.builder().token(token).build();
    }

    @Test
    void aTokenIsSentOnTheHandshakeOfAppendsAndFollows() throws IOException {
        try (OutputStream out = client("writer").openAppend(server.uri("/log"))) {
            out.write("live ".getBytes(UTF_8));
            try (InputStream in = client("reader").follow(server.uri("/log"))) {
                assertThat(in.readNBytes(5)).isEqualTo("live ".getBytes(UTF_8));
                out.write("more".getBytes(UTF_8));
                assertThat(in.readNBytes(4)).isEqualTo("more".getBytes(UTF_8));
            }
        }
        try (InputStream in = client("reader").follow(server.uri("/log"))) { // finished: plain HTTP 200
            assertThat(new String(in.readAllBytes(), UTF_8)).isEqualTo("live more");
        }
    }

    @Test
    void noTokenIs401AndAReaderAppendingIs403AsNotAuthorized() throws IOException {
        NotAuthorizedException none = assertThrows(NotAuthorizedException.class,
                () -> HttpFStreamClient.defaultClient().append(server.uri("/x"), new ByteArrayInputStream(new byte[1])));
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.getMessage()).isEqualTo("not authorised: a token is needed (Authorization: Bearer TOKEN)");
        NotAuthorizedException forbidden = assertThrows(NotAuthorizedException.class,
                () -> client("reader").openAppend(server.uri("/x")));
        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(forbidden).isNotInstanceOf(WriterConflictException.class);
        assertThat(forbidden.getMessage()).startsWith("not authorised: token ").endsWith(" may not append /x");
        NotAuthorizedException unknown = assertThrows(NotAuthorizedException.class,
                () -> client("nobody").follow(server.uri("/x")));
        assertThat(unknown.status()).isEqualTo(401);
        assertThat(Files.exists(server.root.resolve("x"))).isFalse();
    }

    @Test
    void aSecondAppenderIsStillAWriterConflict() throws IOException {
        try (OutputStream out = client("writer").openAppend(server.uri("/w"))) {
            assertThrows(WriterConflictException.class, () -> client("writer").openAppend(server.uri("/w")));
        }
    }

    @Test
    void theTokenIsNeverShown() {
        assertThat(client("writer").toString()).doesNotContain("writer").contains("token=(set)");
        assertThrows(IllegalArgumentException.class, () -> HttpFStreamClient.builder().token("a\r\nX-Evil: 1"));
    }
}
