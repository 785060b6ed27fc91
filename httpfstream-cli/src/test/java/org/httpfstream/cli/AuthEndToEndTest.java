package org.httpfstream.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands against a real server started with -tokens, each as its own JVM. */
class AuthEndToEndTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    static Path dir;
    static Path tokens;
    static CliProcess server;
    static int port;

    @BeforeAll
    static void startServer() throws IOException {
        tokens = Files.writeString(dir.resolve("tokens"), "ci read,append /builds/\nops admin /\n");
        server = CliProcess.start("server", "-root=" + dir.resolve("root"), "-http=127.0.0.1:0", "-tokens=" + tokens);
        port = server.awaitPort(TIMEOUT);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    static String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString(UTF_8));
    }

    @Test
    void appendAndFollowTakeATokenFromTheFlagOrTheEnvironment() throws Exception {
        try (CliProcess append = CliProcess.start(Map.of("HTTPFSTREAM_TOKEN", "ci"), "append", url("/builds/1.log"))) {
            append.write("built\n");
            append.closeStdin();
            assertThat(append.awaitExit(TIMEOUT)).as(append.stderrText()).isZero();
        }
        try (CliProcess follow = CliProcess.start("follow", "-token=ci", url("/builds/1.log"))) {
            assertThat(follow.awaitExit(TIMEOUT)).as(follow.stderrText()).isZero();
            assertThat(follow.stdoutText()).isEqualTo("built\n");
        }
    }

    @Test
    void aRefusalIsOneLineAndANonZeroExit() {
        try (CliProcess append = CliProcess.start("append", url("/builds/2.log"))) {
            assertThat(append.awaitExit(TIMEOUT)).isNotZero();
            assertThat(append.stderrText()).isEqualTo(
                    "not authorised: a token is needed (Authorization: Bearer TOKEN)\n");
        }
        try (CliProcess follow = CliProcess.start(Map.of("HTTPFSTREAM_TOKEN", "ci"), "follow", url("/secret"))) {
            assertThat(follow.awaitExit(TIMEOUT)).isNotZero();
            assertThat(follow.stderrText()).matches("not authorised: token [0-9a-f]{8} may not read /secret\n");
        }
        try (CliProcess sign = CliProcess.start("sign", "-token=ci", url("/builds/"))) {
            assertThat(sign.awaitExit(TIMEOUT)).isNotZero();
            assertThat(sign.stderrText()).matches("not authorised: token [0-9a-f]{8} may not admin /builds/\n");
        }
        assertThat(Files.exists(dir.resolve("root/builds/2.log"))).isFalse();
    }

    @Test
    void signPrintsALinkThatReadsWithoutAToken() throws Exception {
        try (CliProcess append = CliProcess.start("append", "-token=ops", url("/builds/3.log"))) {
            append.write("three");
            append.closeStdin();
            assertThat(append.awaitExit(TIMEOUT)).as(append.stderrText()).isZero();
        }
        assertThat(get(url("/builds/3.log")).statusCode()).isEqualTo(401);
        String link;
        try (CliProcess sign = CliProcess.start(Map.of("HTTPFSTREAM_TOKEN", "ops"), "sign", "-ttl=1h",
                url("/builds/"))) {
            assertThat(sign.awaitExit(TIMEOUT)).as(sign.stderrText()).isZero();
            link = sign.stdoutText().strip();
        }
        assertThat(link).matches(Pattern.quote(url("/builds/"))
                + "\\?link-expires=\\d+&link-scope=%2Fbuilds%2F&link-sig=[A-Za-z0-9_-]{43}");
        String query = link.substring(link.indexOf('?'));
        HttpResponse<String> read = get(url("/builds/3.log") + query);
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.body()).isEqualTo("three");
        assertThat(get(url("/elsewhere") + query).statusCode()).isEqualTo(403);
    }

    @Test
    void theServerRefusesABadGrantFileWithItsLineNumber() throws IOException {
        Path bad = Files.writeString(dir.resolve("bad-tokens"), "ok read /\nnot-ok read\n");
        try (CliProcess s = CliProcess.start("server", "-root=" + dir.resolve("r2"), "-http=127.0.0.1:0",
                "-tokens=" + bad)) {
            assertThat(s.awaitExit(TIMEOUT)).isNotZero();
            assertThat(s.stderrText()).contains(bad + " line 2: expected TOKEN PERMISSIONS PATHS, found 2 fields");
        }
    }

    @Test
    void aServerOnEveryInterfaceWithoutTokensWarnsOnce() {
        try (CliProcess s = CliProcess.start("server", "-root=" + dir.resolve("r4"), "-http=:0")) {
            s.awaitStderrLine(Pattern.compile("WARN .*is open to anyone who can reach it: no grant file \\(-tokens\\)"),
                    TIMEOUT);
        }
    }

    @Test
    void underNohupTheServerSaysSighupWillNotReload() throws Exception {
        // nohup starts the JVM with SIGHUP ignored; the JVM then installs no handler for it, so the
        // server must say that a SIGHUP will not reload anything (and still serve).
        Path t = Files.writeString(dir.resolve("nohup-tokens"), "first read /\n");
        java.util.List<String> command = java.util.List.of("nohup",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Xmx128m", Main.class.getName(),
                "server", "-root=" + dir.resolve("r5"), "-http=127.0.0.1:0", "-tokens=" + t);
        try (CliProcess s = CliProcess.exec(command, Map.of())) {
            s.awaitStderrLine(Pattern.compile("WARN .*SIGHUP is ignored by this process \\(started under nohup\\?\\)"),
                    TIMEOUT);
            int p = s.awaitPort(TIMEOUT);
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + p + "/x")).header("Authorization", "Bearer first").build(),
                    HttpResponse.BodyHandlers.ofString(UTF_8));
            assertThat(r.statusCode()).isEqualTo(404);
        }
    }

    @Test
    void sighupReloadsTheGrantFile() throws Exception {
        Path t = Files.writeString(dir.resolve("hup-tokens"), "first read /\n");
        try (CliProcess s = CliProcess.start("server", "-root=" + dir.resolve("r3"), "-http=127.0.0.1:0",
                "-tokens=" + t, "-tokens-poll=0s")) {
            int p = s.awaitPort(TIMEOUT);
            Files.writeString(t, "second read /\n");
            new ProcessBuilder("kill", "-HUP", Long.toString(s.pid())).start().waitFor();
            s.awaitStderrLine(Pattern.compile("tokens: reloaded 1 grant from"), TIMEOUT);
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + p + "/x")).header("Authorization", "Bearer second").build(),
                    HttpResponse.BodyHandlers.ofString(UTF_8));
            assertThat(r.statusCode()).isEqualTo(404);
        }
    }
}
