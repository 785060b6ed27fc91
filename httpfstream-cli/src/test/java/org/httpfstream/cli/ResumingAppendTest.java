package org.httpfstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.httpfstream.server.HttpFStreamServer;
import org.httpfstream.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code make | httpfstream-append URL --also URL2} in this JVM against real servers: the server restarted
 * on the same root (at the second address) while stdin is half read; the stream holds exactly stdin's
 * bytes, and the command exits 0. And with no server back within {@code --resume-timeout}: exit 1 and a
 * line that says how many bytes are committed.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ResumingAppendTest {
    @TempDir Path root;
    HttpFStreamServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    HttpFStreamServer start(int port) throws Exception {
        return HttpFStreamServer.builder().root(root).bind("127.0.0.1", port).drainTimeout(Duration.ofMillis(100))
                .build().start();
    }

    private record Run(int exitCode, String err) {
    }

    private static Run execute(AppendCommand command, String... args) {
        StringWriter err = new StringWriter();
        CommandLine commandLine = Main.withHandlers(new CommandLine(command));
        commandLine.setErr(new PrintWriter(err, true));
        return new Run(commandLine.execute(args), err.toString());
    }

    /** Yields {@code data}; at {@code pauseAt} it says so and waits until let go (at most 30 s). */
    static final class PausingStdin extends InputStream {
        final byte[] data;
        final int pauseAt;
        final CountDownLatch paused = new CountDownLatch(1);
        final CountDownLatch go = new CountDownLatch(1);
        int position;

        PausingStdin(byte[] data, int pauseAt) {
            this.data = data;
            this.pauseAt = pauseAt;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (position == pauseAt) {
                paused.countDown();
                try {
                    if (!go.await(30, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("never let go");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return -1;
                }
            }
            if (position == data.length) {
                return -1;
            }
            int end = position < pauseAt ? pauseAt : data.length;
            int n = Math.min(len, end - position);
            System.arraycopy(data, position, b, off, n);
            position += n;
            return n;
        }
    }

    @Test
    void aServerRestartMidAppendLosesAndRepeatsNothing() throws Exception {
        byte[] data = new byte[2_500_000];
        new Random(42).nextBytes(data);
        server = start(0);
        int secondPort;
        try (ServerSocket reserved = new ServerSocket(0)) {
            secondPort = reserved.getLocalPort();
        }
        String first = server.uri().resolve("/make/out.bin").toString();
        String second = "http://127.0.0.1:" + secondPort + "/make/out.bin";
        PausingStdin stdin = new PausingStdin(data, 1_200_000);
        CompletableFuture<Run> run = CompletableFuture.supplyAsync(() -> execute(new AppendCommand(stdin), first,
                "--also", second));
        assertThat(stdin.paused.await(30, TimeUnit.SECONDS)).isTrue();
        Await.until("some bytes committed", () -> Files.size(root.resolve("make/out.bin")) > 500_000);
        server.close(); // bytes in flight in doubt
        server = start(secondPort);
        stdin.go.countDown();
        Run done = run.get(40, TimeUnit.SECONDS);
        assertThat(done.exitCode()).as(done.err()).isZero();
        assertThat(Arrays.equals(Files.readAllBytes(root.resolve("make/out.bin")), data)).isTrue();
    }

    @Test
    void noServerBackInTimeExitsWithOneAndSaysHowManyBytesAreCommitted() throws Exception {
        byte[] data = new byte[300_000];
        new Random(7).nextBytes(data);
        server = start(0);
        String url = server.uri().resolve("/make/lost.bin").toString();
        PausingStdin stdin = new PausingStdin(data, 100_000);
        CompletableFuture<Run> run = CompletableFuture.supplyAsync(() -> execute(new AppendCommand(stdin), url,
                "--resume-timeout", "300ms"));
        assertThat(stdin.paused.await(30, TimeUnit.SECONDS)).isTrue();
        Await.until("the first part committed", () -> Files.size(root.resolve("make/lost.bin")) == 100_000);
        server.close();
        server = null;
        stdin.go.countDown();
        Run done = run.get(40, TimeUnit.SECONDS);
        assertThat(done.exitCode()).isEqualTo(1);
        assertThat(done.err()).startsWith("failed to append from stdin to " + url + ": ")
                .contains("gave up resuming after 300 ms")
                .contains("100000 bytes of this append are committed (the stream is 100000 bytes long)");
    }
}
