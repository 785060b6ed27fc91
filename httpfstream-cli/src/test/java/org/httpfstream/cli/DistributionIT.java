package org.httpfstream.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.httpfstream.client.HttpFStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution archive as an operator gets it: unpacked with tar, run through its own bin/ scripts
 * with the jar it ships (never a build), and its systemd unit checked by systemd-analyze. Runs after
 * {@code package} (failsafe), on the archive that {@code package} made.
 */
class DistributionIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    static Path unpacked;

    private static Path home;

    @BeforeAll
    static void unpack() throws Exception {
        Path archive = Path.of(System.getProperty("httpfstream.dist", "target/httpfstream.tar.gz"));
        assertThat(archive).as("the archive made by package").isRegularFile();
        Process tar = new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", unpacked.toString())
                .redirectErrorStream(true).start();
        String output = new String(tar.getInputStream().readAllBytes(), UTF_8);
        assertThat(tar.waitFor()).as("tar: %s", output).isZero();
        home = unpacked.resolve("httpfstream-" + System.getProperty("httpfstream.version"));
    }

    @Test
    void holdsTheScriptsTheJarTheReadmeAndTheUnit() throws IOException {
        for (String script : List.of("httpfstream", "httpfstream-server", "httpfstream-append", "httpfstream-follow",
                "httpfstream-sign")) {
            assertThat(Files.getPosixFilePermissions(home.resolve("bin").resolve(script)))
                    .as(script).contains(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OTHERS_EXECUTE);
        }
        assertThat(home.resolve("lib/httpfstream.jar")).isRegularFile();
        assertThat(home.resolve("README.md")).isRegularFile();
        assertThat(Files.readString(home.resolve("systemd/httpfstream.service")))
                .contains("ExecStart=/opt/httpfstream/bin/httpfstream-server ", "ProtectSystem=strict",
                        "DynamicUser=yes", "TimeoutStopSec=")
                .doesNotContainPattern("(?m)^MemoryDenyWriteExecute");
    }

    @Test
    void theServerScriptPrintsItsUsageUnderItsOwnName() {
        try (CliProcess help = script("httpfstream-server", "-h")) {
            assertThat(help.awaitExit(TIMEOUT)).as("stderr: %s", help.stderrText()).isZero();
            assertThat(help.stdoutText()).startsWith("Usage: httpfstream-server ").contains("-root", "-http");
            assertThat(help.stderrText()).isEmpty(); // the shipped jar: nothing built
        }
    }

    @Test
    void aUsageMistakeIsOneLineNamingTheScript() {
        try (CliProcess wrong = script("httpfstream-server", "-x")) {
            assertThat(wrong.awaitExit(TIMEOUT)).isEqualTo(2);
            assertThat(wrong.stderrText()).isEqualTo("unknown option: '-x' (try 'httpfstream-server -h')\n");
        }
    }

    @Test
    void theServerServesAndTheFollowScriptReadsWhatWasAppended(@TempDir Path root) throws Exception {
        try (CliProcess server = script("httpfstream-server", "-root=" + root, "-http=127.0.0.1:0")) {
            URI uri = URI.create("http://127.0.0.1:" + server.awaitPort(TIMEOUT) + "/dist.txt");
            try (OutputStream append = HttpFStream.openAppend(uri)) {
                append.write("from the archive\n".getBytes(UTF_8));
            }
            try (CliProcess follow = script("httpfstream-follow", uri.toString())) {
                assertThat(follow.awaitExit(TIMEOUT)).as("stderr: %s", follow.stderrText()).isZero();
                assertThat(follow.stdoutText()).isEqualTo("from the archive\n");
            }
            server.terminate();
            server.awaitExit(TIMEOUT);
            assertThat(server.stderrText()).doesNotContain("building").contains("Stopping server on");
        }
    }

    /**
     * The scripts tell the JVM whether stderr is a terminal ({@code [ -t 2 ]}): under {@code script(1)},
     * which gives the command a pseudo-terminal, {@code append -v} of a file shows its progress line; with
     * stderr sent to a file, it does not.
     */
    @Test
    void appendVerboseShowsProgressOnATerminalOnly(@TempDir Path root) throws Exception {
        Path data = root.resolve("data.bin");
        Files.write(data, new byte[3 << 20]);
        try (CliProcess server = script("httpfstream-server", "-root=" + root.resolve("streams"),
                "-http=127.0.0.1:0")) {
            String url = "http://127.0.0.1:" + server.awaitPort(TIMEOUT);
            String append = home.resolve("bin/httpfstream-append") + " -v ";

            try (CliProcess terminal = CliProcess.exec(List.of("script", "-qefc",
                    append + url + "/tty.bin < " + data, "/dev/null"), env())) {
                assertThat(terminal.awaitExit(TIMEOUT)).as("output: %s", terminal.stdoutText()).isZero();
                assertThat(terminal.stdoutText()).contains("appending from stdin to " + url + "/tty.bin")
                        .contains("\r100%  3.0 MiB of 3.0 MiB  ").contains("finished appending");
            }
            Path log = root.resolve("stderr.txt");
            try (CliProcess file = CliProcess.exec(List.of("script", "-qefc",
                    append + url + "/file.bin < " + data + " 2> " + log, "/dev/null"), env())) {
                assertThat(file.awaitExit(TIMEOUT)).as("output: %s", file.stdoutText()).isZero();
                assertThat(Files.readString(log)).isEqualTo("appending from stdin to " + url
                        + "/file.bin\nfinished appending from stdin to " + url + "/file.bin (3145728 bytes)\n");
            }
            assertThat(Files.size(root.resolve("streams/tty.bin"))).isEqualTo(3 << 20);
        }
    }

    /**
     * {@code systemd-analyze verify} on the unit, its ExecStart pointed at the unpacked archive. Where
     * systemd-analyze is missing the check is skipped, but not in CI (CI=true), which must have it.
     */
    @Test
    void systemdAcceptsTheUnit() throws Exception {
        Path analyze = Path.of("/usr/bin/systemd-analyze");
        if (!"true".equals(System.getenv("CI"))) {
            assumeThat(Files.isExecutable(analyze)).as("systemd-analyze is installed").isTrue();
        }
        Path units = Files.createDirectories(unpacked.resolve("units"));
        Path unit = units.resolve("httpfstream.service");
        Files.writeString(unit, Files.readString(home.resolve("systemd/httpfstream.service"))
                .replace("/opt/httpfstream/", home + "/"));
        Process verify = new ProcessBuilder(analyze.toString(), "verify", "--man=no", unit.toString())
                .redirectErrorStream(true).start();
        String output = new String(verify.getInputStream().readAllBytes(), UTF_8);
        assertThat(verify.waitFor()).as("systemd-analyze verify: %s", output).isZero();
        assertThat(output).as("systemd-analyze verify").doesNotContain("httpfstream.service:");
    }

    private static CliProcess script(String name, String... args) {
        List<String> command = new ArrayList<>();
        command.add(home.resolve("bin").resolve(name).toString());
        command.addAll(List.of(args));
        return CliProcess.exec(command, env());
    }

    private static Map<String, String> env() {
        return Map.of(
                "JAVA_HOME", System.getProperty("java.home"),
                "JAVA_OPTS", "-Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC");
    }
}
