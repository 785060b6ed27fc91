package org.httpfstream.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** The server's {@code -admin} and {@code -access-log} flags, parsed and in a running server. */
class OperatingOptionsTest {
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir Path dir;

    @Test
    void noAdminListenerAndAnAccessLogByDefault() {
        ServerCommand server = CommandLine.populateCommand(new ServerCommand());
        assertThat(server.operating.admin).isNull();
        assertThat(server.operating.accessLog).isTrue();
    }

    @Test
    void takeAnAddressAndABoolean() {
        ServerCommand server = CommandLine.populateCommand(new ServerCommand(), "-admin=127.0.0.1:9090",
                "-access-log=false");
        assertThat(server.operating.admin).isEqualTo(new BindAddress("127.0.0.1", 9090));
        assertThat(server.operating.accessLog).isFalse();
        assertThat(CommandLine.populateCommand(new ServerCommand(), "--admin", ":0", "-access-log")
                .operating.accessLog).isTrue();
        assertThatThrownBy(() -> CommandLine.populateCommand(new ServerCommand(), "-admin=9090"))
                .isInstanceOf(ParameterException.class).hasMessageContaining("missing port in \"9090\"");
    }

    @Test
    void aRunningServerAnswersOnItsAdminAddressAndLogsEachRequest() throws Exception {
        try (CliProcess server = CliProcess.start("server", "-root=" + dir.resolve("root"), "-http=127.0.0.1:0",
                "-admin=127.0.0.1:0")) {
            Matcher started = server.awaitStderrLine(Pattern.compile(
                    "Starting server on 127\\.0\\.0\\.1:(\\d+) \\(root .*, admin 127\\.0\\.0\\.1:(\\d+)\\)"), TIMEOUT);
            int port = Integer.parseInt(started.group(1));
            int admin = Integer.parseInt(started.group(2));
            assertThat(admin).isNotZero().isNotEqualTo(port);
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + admin + "/healthz")).build(), HttpResponse.BodyHandlers.ofString(UTF_8));
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).isEqualTo("ok\n");
            HttpResponse<String> missing = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/healthz")).build(), HttpResponse.BodyHandlers.ofString(UTF_8));
            assertThat(missing.statusCode()).isEqualTo(404); // a stream name on the stream port
            server.awaitStderrLine(Pattern.compile("access - client=127\\.0\\.0\\.1:\\d+ principal=- method=GET "
                    + "path=/healthz status=404 in=0 out=\\d+ ms=\\d+ kind=http end=complete"), TIMEOUT);
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + admin + "/metrics")).build(), HttpResponse.BodyHandlers.ofString(UTF_8));
            assertThat(metrics.body()).contains("\nhttpfstream_connections_accepted_total 1.0\n")
                    .contains("\nhttpfstream_refusals_total{reason=\"auth_missing\"} 0.0\n")
                    .contains("\njvm_memory_used_bytes{area=\"heap\"} ");
        }
    }
}
