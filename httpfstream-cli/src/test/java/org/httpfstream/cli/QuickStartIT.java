package org.httpfstream.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quick start in a clone of the repository: {@code bin/httpfstream-server} builds the jar on its first
 * run and says so, with Maven's own output, on stderr. A stand-in {@code mvn} on the PATH records how it
 * is called, prints a line as Maven would and puts the packaged jar in place, so the test needs no second
 * build.
 */
class QuickStartIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void theFirstRunSaysItBuildsAndShowsMavensProgress(@TempDir Path clone) throws IOException {
        Path repository = Path.of(System.getProperty("user.dir")).getParent(); // httpfstream-cli's parent
        Path bin = Files.createDirectories(clone.resolve("bin"));
        try (Stream<Path> scripts = Files.list(repository.resolve("bin"))) {
            for (Path script : scripts.toList()) {
                Files.copy(script, bin.resolve(script.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        Files.writeString(clone.resolve("pom.xml"), "<project/>\n");
        Path jar = Path.of(System.getProperty("httpfstream.jar", "target/httpfstream.jar")).toAbsolutePath();
        Path tools = Files.createDirectories(clone.resolve("tools"));
        Path mvn = tools.resolve("mvn");
        Files.writeString(mvn, String.join("\n",
                "#!/bin/sh",
                "echo \"mvn $*\" > " + clone.resolve("mvn-args.txt"),
                "echo '[INFO] Building httpfstream command-line tools 0.1.0-SNAPSHOT [5/5]'",
                "mkdir -p httpfstream-cli/target && cp " + jar + " httpfstream-cli/target/httpfstream.jar",
                ""), UTF_8);
        Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwxr-xr-x"));

        Map<String, String> env = Map.of(
                "PATH", tools + ":" + System.getenv("PATH"),
                "JAVA_HOME", System.getProperty("java.home"),
                "JAVA_OPTS", "-Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC");
        try (CliProcess first = CliProcess.exec(List.of(bin.resolve("httpfstream-server").toString(), "-h"), env)) {
            assertThat(first.awaitExit(TIMEOUT)).as("stderr: %s", first.stderrText()).isZero();
            assertThat(first.stdoutText()).startsWith("Usage: httpfstream-server ");
            assertThat(first.stderrText())
                    .startsWith("httpfstream: first run: building "
                            + clone.resolve("httpfstream-cli/target/httpfstream.jar")
                            + " with Maven.\nhttpfstream: the first build takes about two minutes")
                    .contains("\n[INFO] Building httpfstream command-line tools") // Maven's output, on stderr
                    .endsWith("; starting\n");
        }
        assertThat(Files.readString(clone.resolve("mvn-args.txt"))).startsWith("mvn -B ").contains(" package")
                .doesNotContain(" -q");

        try (CliProcess second = CliProcess.exec(List.of(bin.resolve("httpfstream-server").toString(), "-h"), env)) {
            assertThat(second.awaitExit(TIMEOUT)).isZero();
            assertThat(second.stderrText()).isEmpty(); // built once: no second build
        }
    }
}
