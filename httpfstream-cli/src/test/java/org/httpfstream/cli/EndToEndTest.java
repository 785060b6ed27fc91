package org.httpfstream.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The three commands as separate processes against a real server process, over real sockets:
 * {@code httpfstream server}, {@code httpfstream append}, {@code httpfstream follow}. The server keeps
 * its streams in files under the root, or in memory ({@code -store=memory}) for a subclass marked
 * {@link InMemory} ({@link MemoryStoreEndToEndTest}), which runs every test again.
 */
class EndToEndTest {

    /** The server of a test class so marked keeps its streams in memory ({@code -store=memory}). */
    @java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
    @java.lang.annotation.Target(java.lang.annotation.ElementType.TYPE)
    @interface InMemory {
    }

    static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    static Path root;

    private static CliProcess server;
    private static int port;
    private static boolean inMemory;

    private final List<CliProcess> processes = new ArrayList<>();
    private String path;

    @BeforeAll
    static void startServer(TestInfo test) {
        inMemory = test.getTestClass().orElseThrow().isAnnotationPresent(InMemory.class);
        server = CliProcess.start("server", "-root=" + root, "-http=127.0.0.1:0",
                "-store=" + (inMemory ? "memory" : "file"));
        port = server.awaitPort(TIMEOUT);
        assertThat(port).isPositive();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @AfterEach
    void destroyProcesses() {
        processes.forEach(CliProcess::close);
    }

    /** A stream path of its own for every test. */
    @org.junit.jupiter.api.BeforeEach
    void pathForTest(TestInfo test) {
        path = "/" + test.getTestMethod().orElseThrow().getName() + ".txt";
    }

    String url() {
        return "http://127.0.0.1:" + port + path;
    }

    Path file() {
        return root.resolve(path.substring(1));
    }

    /**
     * The stream's bytes as a plain GET reads them; with the streams in files, the file holds exactly
     * these.
     */
    byte[] stored() throws IOException {
        java.net.http.HttpResponse<byte[]> get;
        try {
            get = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(url())).timeout(TIMEOUT).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        assertThat(get.statusCode()).as("GET %s", url()).isEqualTo(200);
        if (!inMemory) {
            assertThat(Files.readAllBytes(file())).isEqualTo(get.body());
        }
        return get.body();
    }

    /** {@link #stored()} in UTF-8. */
    String storedText() throws IOException {
        return new String(stored(), UTF_8);
    }

    CliProcess start(String... args) {
        CliProcess process = CliProcess.start(args);
        processes.add(process);
        return process;
    }

    /** Starts an appender and waits until its append is open on the server. */
    CliProcess startAppender() {
        CliProcess append = start("append", "-v", url());
        append.awaitStderrLine(Pattern.compile("^appending from stdin to " + Pattern.quote(url()) + "$"), TIMEOUT);
        return append;
    }

    /** Starts a follower and waits until its follow has begun. */
    CliProcess startFollower() {
        CliProcess follow = start("follow", "--verbose", url());
        follow.awaitStderrLine(
                Pattern.compile("^following data at " + Pattern.quote(url()) + " \\(ctrl-C to exit\\)$"), TIMEOUT);
        return follow;
    }

    /**
     * Writes each of {@code lines} into {@code append}, one at a time, and waits after each until {@code
     * follow} has printed every line written so far; returns all it wrote.
     */
    private static String writeEachSeenBy(CliProcess append, CliProcess follow, String... lines) throws IOException {
        StringBuilder written = new StringBuilder();
        for (String line : lines) {
            append.write(line);
            written.append(line);
            follow.awaitStdout(written.toString(), TIMEOUT);
        }
        return written.toString();
    }

    @Test
    void linesTypedIntoTheAppenderReachTheFollowerOneByOne() throws IOException {
        CliProcess append = startAppender();
        CliProcess follow = startFollower();

        // Each line must arrive before the next one is written: streamed, not buffered until EOF.
        String written = writeEachSeenBy(append, follow,
                "foo\n", "bar\n", "baz\n", "a line with ünïcödé\n", "\n", "no newline yet");
        assertThat(append.isAlive()).isTrue();
        assertThat(follow.isAlive()).isTrue();

        append.closeStdin();

        assertThat(append.awaitExit(TIMEOUT)).as("append exit code; stderr: %s", append.stderrText()).isZero();
        assertThat(follow.awaitExit(TIMEOUT)).as("follow exit code; stderr: %s", follow.stderrText()).isZero();
        byte[] expected = written.getBytes(UTF_8);
        assertThat(follow.stdout()).isEqualTo(expected);
        assertThat(stored()).isEqualTo(expected);
        assertThat(append.stderrText()).endsWith(
                "finished appending from stdin to " + url() + " (" + expected.length + " bytes)\n");
        assertThat(follow.stderrText()).endsWith("finished following (read " + expected.length + " bytes)\n");
    }

    @Test
    void aLateFollowerGetsWhatIsAlreadyWrittenThenEveryNewByte() throws IOException {
        CliProcess append = startAppender();
        CliProcess early = startFollower();
        writeEachSeenBy(append, early, "before 1\n", "before 2\n"); // so the server has both lines

        // Joining mid-stream: everything already written arrives at once, before anything new is written.
        CliProcess late = startFollower();
        late.awaitStdout("before 1\nbefore 2\n", TIMEOUT);

        append.write("after\n");
        early.awaitStdout("before 1\nbefore 2\nafter\n", TIMEOUT);
        late.awaitStdout("before 1\nbefore 2\nafter\n", TIMEOUT);

        append.closeStdin();
        assertThat(append.awaitExit(TIMEOUT)).as("stderr: %s", append.stderrText()).isZero();
        assertThat(early.awaitExit(TIMEOUT)).as("stderr: %s", early.stderrText()).isZero();
        assertThat(late.awaitExit(TIMEOUT)).as("stderr: %s", late.stderrText()).isZero();
        String all = "before 1\nbefore 2\nafter\n";
        assertThat(late.stdoutText()).isEqualTo(all);
        assertThat(late.stderrText()).endsWith("finished following (read " + all.length() + " bytes)\n");
    }

    @Test
    void aSecondAppenderIsRefusedWhileOneIsActive() throws IOException {
        CliProcess first = startAppender();
        first.write("first\n");

        CliProcess second = start("append", url());
        second.closeStdin();
        assertThat(second.awaitExit(TIMEOUT)).isEqualTo(1);
        assertThat(second.stderrText())
                .isEqualTo("failed to append from stdin to " + url() + ": another appender is active\n");

        // The first appender is not disturbed.
        first.write("still here\n");
        first.closeStdin();
        assertThat(first.awaitExit(TIMEOUT)).as("stderr: %s", first.stderrText()).isZero();
        assertThat(storedText()).isEqualTo("first\nstill here\n");
    }

    @Test
    void followingAMissingStreamFails() {
        CliProcess follow = start("follow", url());
        assertThat(follow.awaitExit(TIMEOUT)).isEqualTo(1);
        assertThat(follow.stderrText()).isEqualTo("failed to begin following " + url() + ": no such stream\n");
        assertThat(follow.stdout()).isEmpty();
    }

    @Test
    void followingAFinishedStreamPrintsItAllAndExits() throws IOException {
        CliProcess append = startAppender();
        append.write("done\n");
        append.closeStdin();
        assertThat(append.awaitExit(TIMEOUT)).isZero();

        CliProcess follow = start("follow", url());
        assertThat(follow.awaitExit(TIMEOUT)).as("stderr: %s", follow.stderrText()).isZero();
        assertThat(follow.stdoutText()).isEqualTo("done\n");
        assertThat(follow.stderrText()).isEmpty(); // not verbose: nothing but the data
    }

    @Test
    void binaryInputIsStreamedExactly() throws IOException {
        byte[] data = new byte[3 * 1024 * 1024 + 17];
        new Random(42).nextBytes(data);

        CliProcess append = startAppender();
        CliProcess follow = startFollower();
        for (int offset = 0; offset < data.length; offset += 64 * 1024) {
            append.write(java.util.Arrays.copyOfRange(data, offset, Math.min(data.length, offset + 64 * 1024)));
        }
        append.closeStdin();

        assertThat(append.awaitExit(TIMEOUT)).as("stderr: %s", append.stderrText()).isZero();
        assertThat(follow.awaitExit(TIMEOUT)).as("stderr: %s", follow.stderrText()).isZero();
        assertThat(follow.stdout()).isEqualTo(data);
        assertThat(stored()).isEqualTo(data);
    }

    @Test
    void aFollowerWhoseReaderGoesAwayEndsQuietly() throws IOException {
        byte[] data = new byte[2 * 1024 * 1024]; // far more than a pipe holds
        java.util.Arrays.fill(data, (byte) 'x');
        CliProcess append = startAppender();
        append.write(data);
        append.closeStdin();
        assertThat(append.awaitExit(TIMEOUT)).isZero();

        // Like "httpfstream follow URL | head -c 1": one byte is read, then the pipe's reading end is
        // closed, while the follower still has far more to write than the pipe holds.
        CliProcess follow = CliProcess.startReadingAtMost(1, "follow", url());
        processes.add(follow);
        follow.awaitStdoutBytes(1, TIMEOUT);

        assertThat(follow.awaitExit(TIMEOUT)).isEqualTo(128 + 13);
        assertThat(follow.stderrText()).isEmpty();
    }

    @Test
    void interruptingTheAppenderEndsTheAppendCleanlyKeepingWhatWasSent() throws IOException {
        CliProcess append = startAppender();
        CliProcess follow = startFollower();
        writeEachSeenBy(append, follow, "kept 1\n", "kept 2\n");

        // Ctrl-C (SIGTERM where SIGINT is ignored): the shutdown hook closes the append cleanly.
        int signal = append.interrupt();

        assertThat(append.awaitExit(TIMEOUT)).isEqualTo(128 + signal);
        assertThat(append.stderrText()).contains("interrupted; finished appending from stdin to " + url() + " (14 bytes)")
                .doesNotContain("failed");
        assertThat(follow.awaitExit(TIMEOUT)).as("stderr: %s", follow.stderrText()).isZero();
        assertThat(follow.stdoutText()).isEqualTo("kept 1\nkept 2\n");
        assertThat(storedText()).isEqualTo("kept 1\nkept 2\n");

        // The append lease is released: a new appender may continue the stream.
        CliProcess again = startAppender();
        again.write("more\n");
        again.closeStdin();
        assertThat(again.awaitExit(TIMEOUT)).isZero();
        assertThat(storedText()).isEqualTo("kept 1\nkept 2\nmore\n");
    }

    @Test
    void appendingToAServerThatIsNotThereFails() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        String nowhere = "http://127.0.0.1:" + closedPort + "/x.txt";
        CliProcess append = start("append", nowhere);
        append.closeStdin();
        assertThat(append.awaitExit(TIMEOUT)).isEqualTo(1);
        assertThat(append.stderrText()).startsWith("failed to append from stdin to " + nowhere + ": ").hasLineCount(1);

        CliProcess follow = start("follow", nowhere);
        assertThat(follow.awaitExit(TIMEOUT)).isEqualTo(1);
        assertThat(follow.stderrText()).startsWith("failed to begin following " + nowhere + ": ").hasLineCount(1);
    }

    @Test
    void aServerOnABusyPortFailsWithOneLine(@TempDir Path otherRoot) {
        CliProcess second = start("server", "--root", otherRoot.toString(), "--http", "127.0.0.1:" + port);
        assertThat(second.awaitExit(TIMEOUT)).isEqualTo(1);
        assertThat(second.stderrText()).startsWith("failed to listen on 127.0.0.1:" + port + ": ").hasLineCount(1);
    }

    @Test
    void theServerCreatesItsRootAndStopsCleanlyWhenTerminated(@TempDir Path parent) {
        Path newRoot = parent.resolve("new").resolve("root");
        CliProcess other = start("server", "-root", newRoot.toString(), "-http=127.0.0.1:0");
        int started = other.awaitPort(TIMEOUT);
        assertThat(Files.isDirectory(newRoot)).isTrue();
        assertThat(started).isNotZero();

        int signal = other.interrupt();
        // The signal is caught: the server drains and the command exits 0.
        assertThat(other.awaitExit(TIMEOUT)).as("exit code after signal %s; stderr: %s", signal, other.stderrText())
                .isZero();
        assertThat(other.stderrText()).contains("Stopping server on 127.0.0.1:" + started);
    }

    @Test
    void theLongPollTimeoutFlagSetsHowLongALongPollAtTheTailWaits(@TempDir Path otherRoot) throws Exception {
        CliProcess other = start("server", "-root=" + otherRoot, "-http=127.0.0.1:0", "-long-poll-timeout=300ms");
        String base = "http://127.0.0.1:" + other.awaitPort(TIMEOUT);
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.http.HttpResponse<String> put = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(base + "/lp.txt")).header("Content-Type", "text/plain")
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("abc")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).isEqualTo(201);
        long start = System.nanoTime();
        // With the default (30 s) this request would time out instead.
        java.net.http.HttpResponse<String> poll = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(base + "/lp.txt?offset=0000000000000003&live=long-poll"))
                .timeout(Duration.ofSeconds(10)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(Duration.ofMillis(250).toNanos());
        assertThat(poll.statusCode()).isEqualTo(204);
        assertThat(poll.headers().firstValue("Stream-Next-Offset")).hasValue("0000000000000003");
        assertThat(poll.headers().firstValue("Stream-Up-To-Date")).hasValue("true");
    }
}
