package org.httpfstream.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.httpfstream.client.HttpFStream;
import org.httpfstream.server.HttpFStreamServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code append -v} and {@code follow -v} in this JVM against a real server: a progress line on a
 * terminal (here: told it is one, with a clock that moves 100 ms each time it is read), nothing more when
 * stderr is not a terminal; and {@code follow} of a folder.
 */
class VerboseAndFolderTest {

    private static final long TICK = 100_000_000L; // 100 ms

    @TempDir
    static Path root;

    private static HttpFStreamServer server;

    @BeforeAll
    static void start() throws Exception {
        server = HttpFStreamServer.builder().root(root).bind("127.0.0.1", 0).build().start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static URI url(TestInfo test) {
        // a stream of its own for every test: nested classes have methods of the same name
        return server.uri().resolve("/" + test.getTestClass().orElseThrow().getSimpleName() + "/"
                + test.getTestMethod().orElseThrow().getName() + ".bin");
    }

    private static LongSupplier clock() {
        AtomicLong now = new AtomicLong();
        return () -> now.addAndGet(TICK);
    }

    private record Run(int exitCode, String err) {
    }

    private static Run execute(Object command, String... args) {
        StringWriter err = new StringWriter();
        CommandLine commandLine = Main.withHandlers(new CommandLine(command));
        commandLine.setErr(new PrintWriter(err, true));
        int exitCode = commandLine.execute(args);
        return new Run(exitCode, err.toString());
    }

    private static byte[] random(int n) {
        byte[] bytes = new byte[n];
        new Random(n).nextBytes(bytes);
        return bytes;
    }

    private static long redraws(String err) {
        return err.chars().filter(c -> c == '\r').count();
    }

    @Nested
    class AppendVerbose {
        @Test
        void onATerminalShowsThePercentageAndTimeLeftOfAFileThrottled(TestInfo test) throws Exception {
            URI url = url(test);
            byte[] data = random(1 << 20); // 128 reads of 8 KiB: 13 s on the test's clock
            Run run = execute(new AppendCommand(new ByteArrayInputStream(data), () -> data.length,
                    new Progress.Screen(() -> true, clock())), "-v", url.toString());

            assertThat(run.exitCode).as(run.err).isZero();
            assertThat(Files.readAllBytes(root.resolve(url.getPath().substring(1)))).isEqualTo(data);
            assertThat(run.err)
                    .startsWith("appending from stdin to " + url + "\n\r")
                    .contains("%  ", " of 1.0 MiB  ", "/s  ETA ")
                    .containsPattern("\r100%  1\\.0 MiB of 1\\.0 MiB  [0-9.]+ KiB/s *\n")
                    .endsWith("\nfinished appending from stdin to " + url + " (" + data.length + " bytes)\n");
            // 130 readings of the clock, 13 s: at most one redraw each 250 ms, plus the last
            assertThat(redraws(run.err)).isBetween(10L, 13_000 / 250 + 1L);
        }

        @Test
        void ofAPipeShowsBytesAndRateWithoutPercentage(TestInfo test) {
            URI url = url(test);
            byte[] data = random(100_000);
            Run run = execute(new AppendCommand(new ByteArrayInputStream(data), () -> -1L,
                    new Progress.Screen(() -> true, clock())), "-v", url.toString());
            assertThat(run.exitCode).as(run.err).isZero();
            assertThat(run.err).containsPattern("\r97\\.7 KiB  [0-9.]+ KiB/s *\n").doesNotContain("%", "ETA");
        }

        @Test
        void notOnATerminalSaysOnlyWhatItDoes(TestInfo test) {
            URI url = url(test);
            byte[] data = random(100_000);
            Run run = execute(new AppendCommand(new ByteArrayInputStream(data), () -> data.length,
                    new Progress.Screen(() -> false, clock())), "-v", url.toString());
            assertThat(run.exitCode).as(run.err).isZero();
            assertThat(run.err).isEqualTo("appending from stdin to " + url + "\nfinished appending from stdin to "
                    + url + " (100000 bytes)\n");
        }

        @Test
        void withoutVerboseSaysNothingEvenOnATerminal(TestInfo test) {
            byte[] data = random(100_000);
            Run run = execute(new AppendCommand(new ByteArrayInputStream(data), () -> data.length,
                    new Progress.Screen(() -> true, clock())), url(test).toString());
            assertThat(run.exitCode).as(run.err).isZero();
            assertThat(run.err).isEmpty();
        }
    }

    @Nested
    class FollowVerbose {
        @Test
        void onATerminalShowsBytesAndRate(TestInfo test) throws Exception {
            URI url = url(test);
            byte[] data = random(300_000);
            try (OutputStream append = HttpFStream.openAppend(url)) {
                append.write(data);
            }
            ByteArrayOutputStream stdout = new ByteArrayOutputStream();
            Run run = execute(new FollowCommand(stdout, new Progress.Screen(() -> true, clock())), "-v",
                    url.toString());

            assertThat(run.exitCode).as(run.err).isZero();
            assertThat(stdout.toByteArray()).isEqualTo(data);
            assertThat(run.err)
                    .startsWith("following data at " + url + " (ctrl-C to exit)\n")
                    .containsPattern("\r293\\.0 KiB  [0-9.]+ KiB/s *\nfinished following \\(read 300000 bytes\\)\n$")
                    .doesNotContain("%");
        }

        @Test
        void notOnATerminalSaysOnlyWhatItDoes(TestInfo test) throws Exception {
            URI url = url(test);
            try (OutputStream append = HttpFStream.openAppend(url)) {
                append.write("abc".getBytes(UTF_8));
            }
            Run run = execute(new FollowCommand(new ByteArrayOutputStream(),
                    new Progress.Screen(() -> false, clock())), "-v", url.toString());
            assertThat(run.err).isEqualTo("following data at " + url + " (ctrl-C to exit)\n"
                    + "finished following (read 3 bytes)\n");
        }
    }

    @Nested
    class FollowOfAFolder {
        @Test
        void saysItIsAFolderNotAStream() throws Exception {
            Files.createDirectories(root.resolve("logs/today"));
            URI url = server.uri().resolve("/logs/today");
            Run run = execute(new FollowCommand(new ByteArrayOutputStream()), url.toString());
            assertThat(run.exitCode).isEqualTo(1);
            assertThat(run.err).isEqualTo("failed to begin following " + url
                    + ": /logs/today is a folder, not a stream\n");
        }

        @Test
        void aMissingStreamIsStillNoSuchStream() {
            URI url = server.uri().resolve("/no/such.txt");
            Run run = execute(new FollowCommand(new ByteArrayOutputStream()), url.toString());
            assertThat(run.exitCode).isEqualTo(1);
            assertThat(run.err).isEqualTo("failed to begin following " + url + ": no such stream\n");
        }
    }
}
