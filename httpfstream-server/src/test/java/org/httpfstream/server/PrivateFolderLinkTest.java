package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.httpfstream.server.testing.ServerExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Defect 4 of issue 11: whatever symbolic links the root holds (to a file in the server's private
 * folder, to the folder itself, relative or absolute, to the root, through a folder inside the root, or
 * to somewhere outside the root), no verb of either protocol reads, writes, creates or deletes anything
 * there: each is refused with {@code 403} before any byte is touched.
 */
class PrivateFolderLinkTest {
    @RegisterExtension
    final ServerExtension server = new ServerExtension();
    @TempDir Path outside;
    Path secret;
    Path outsideFile;

    @BeforeEach
    void link() throws IOException {
        Path real = server.store().root();
        Path folder = Files.createDirectories(real.resolve(".httpfstream"));
        secret = Files.writeString(folder.resolve("signing-key"), "SECRET KEY\n");
        outsideFile = Files.writeString(outside.resolve("elsewhere.txt"), "ELSEWHERE\n");
        Files.createSymbolicLink(real.resolve("key.txt"), secret);
        Files.createSymbolicLink(real.resolve("rel-key.txt"), Path.of(".httpfstream/signing-key"));
        Files.createSymbolicLink(real.resolve("meta"), folder);
        Files.createSymbolicLink(real.resolve("rel-meta"), Path.of(".httpfstream"));
        Files.createSymbolicLink(real.resolve("again"), real);
        Files.createDirectories(real.resolve("dir"));
        Files.createSymbolicLink(real.resolve("dir/up"), Path.of("../.httpfstream"));
        Files.createSymbolicLink(real.resolve("out.txt"), outsideFile);
        Files.createSymbolicLink(real.resolve("out"), outside);
    }

    @AfterEach
    void stop() throws IOException {
        server.stop();
        assertThat(Files.readString(secret)).as("the private file, untouched").isEqualTo("SECRET KEY\n");
        assertThat(Files.readString(outsideFile)).as("the file outside, untouched").isEqualTo("ELSEWHERE\n");
        try (Stream<Path> s = Files.list(outside)) {
            assertThat(s.toList()).as("nothing created outside").containsExactly(outsideFile);
        }
        try (Stream<Path> s = Files.walk(secret.getParent(), 1)) {
            assertThat(s.filter(p -> p.getFileName().toString().startsWith("new")).toList())
                    .as("nothing created in the private folder").isEmpty();
        }
    }

    /** Paths through links: existing private files, new names in the private folder, outside. */
    static List<String> paths() {
        return List.of("/key.txt", "/rel-key.txt", "/meta/signing-key", "/rel-meta/signing-key", "/meta/new.txt",
                "/rel-meta/new/deeper.txt", "/again/.httpfstream/signing-key", "/again/.httpfstream/new.txt",
                "/dir/up/signing-key", "/dir/up/new.txt", "/meta", "/out.txt", "/out/elsewhere.txt", "/out/new.txt");
    }

    void assertRefused(HttpResponse<String> r, String what) {
        assertThat(r.statusCode()).as("%s: %s", what, r.body()).isEqualTo(403);
        assertThat(r.body()).as(what).doesNotContain("SECRET").doesNotContain("ELSEWHERE").hasLineCount(1);
    }

    @ParameterizedTest
    @MethodSource("paths")
    void everyHttpVerbIsRefused(String path) throws Exception {
        assertRefused(server.send("GET", path, null), "GET " + path);
        assertRefused(server.send("GET", path + "?offset=-1", null), "catch-up GET " + path);
        assertRefused(server.send("GET", path + "?follow", null), "GET ?follow " + path);
        assertRefused(server.send("GET", path + "?offset=-1&live=long-poll", null), "long-poll " + path);
        HttpResponse<String> head = server.send("HEAD", path, null);
        assertThat(head.statusCode()).as("HEAD " + path).isEqualTo(403);
        assertRefused(server.send("PUT", path, "new\n", "Content-Type", "text/plain"), "PUT " + path);
        assertRefused(server.send("POST", path, "more\n", "Content-Type", "text/plain"), "POST " + path);
        assertRefused(server.send("DELETE", path, null), "DELETE " + path);
    }

    @ParameterizedTest
    @MethodSource("paths")
    void webSocketAppendAndFollowAreRefusedBeforeTheUpgrade(String path) throws Exception {
        try (RawWebSocket ws = RawWebSocket.append(server.address(), path)) {
            assertThat(ws.status()).as("APPEND " + path).isEqualTo(403);
            ws.send(RawWebSocket.TEXT, "not stored".getBytes(UTF_8)); // goes nowhere
        } catch (IOException e) {
            // the server may have closed the connection after its answer
        }
        try (RawWebSocket ws = RawWebSocket.follow(server.address(), path)) {
            assertThat(ws.status()).as("FOLLOW " + path).isEqualTo(403);
            ByteArrayOutputStream sink = new ByteArrayOutputStream();
            assertThat(ws.response.bodyText()).doesNotContain("SECRET").doesNotContain("ELSEWHERE");
            assertThat(sink.size()).isZero();
        }
    }
}
