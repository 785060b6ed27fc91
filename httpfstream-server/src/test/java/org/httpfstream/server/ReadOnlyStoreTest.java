package org.httpfstream.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.httpfstream.server.testing.ServerExtension;
import org.httpfstream.testing.Await;
import org.httpfstream.testing.Tmpfs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code /readyz} on a store that really cannot be written: the root is a tmpfs mounted for the test and
 * remounted read-only while the server runs (root's permissions do not stop root's writes; a read-only
 * file system does). Needs root and {@code mount}; skipped elsewhere, failed in CI.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReadOnlyStoreTest {
    @RegisterExtension
    final ServerExtension server = new ServerExtension().startedByTest().rootOnTmpfs("1m").admin();
    boolean readOnly;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void writableAgain() throws Exception {
        if (readOnly) { // before the extension closes the server and unmounts
            assertThat(Tmpfs.run("mount", "-o", "remount,rw", server.root().toString())).isNull();
        }
    }

    HttpResponse<String> readyz() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.get().adminAddress().getPort()
                + "/readyz")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void isNotReadyOnceTheStoreTurnsReadOnlyAndReadyAgainAfter() throws Exception {
        server.start();
        assertThat(readyz().statusCode()).isEqualTo(200);

        assertThat(Tmpfs.run("mount", "-o", "remount,ro", server.root().toString())).isNull();
        readOnly = true;
        AtomicReference<HttpResponse<String>> last = new AtomicReference<>();
        Await.until("/readyz says 503", () -> {
            try {
                last.set(readyz());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            return last.get().statusCode() == 503;
        });
        assertThat(last.get().body()).startsWith("not ready: store not writable: ")
                .contains("Read-only file system").endsWith("\n").hasLineCount(1);
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + server.get().adminAddress().getPort() + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200); // alive, only not ready

        assertThat(Tmpfs.run("mount", "-o", "remount,rw", server.root().toString())).isNull();
        readOnly = false;
        Await.until("/readyz says 200 again", () -> readyz().statusCode() == 200);
        assertThat(Files.exists(server.root().resolve(".httpfstream").resolve("readyz.probe"))).isFalse();
    }
}
