package org.httpfstream.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An {@code httpfstream} command run as a separate JVM on the test class path, with its stdout and stderr
 * captured as they arrive. Every wait has a deadline and wakes up when the awaited output or exit happens.
 */
final class CliProcess implements AutoCloseable {

    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    private final String label;
    private final Process process;
    private final Capture stdout;
    private final Capture stderr;

    private CliProcess(String label, Process process) {
        this(label, process, Long.MAX_VALUE);
    }

    /** @param stdoutLimit stdout bytes read before our end of the pipe is closed, like {@code head -c N} */
    private CliProcess(String label, Process process, long stdoutLimit) {
        this.label = label;
        this.process = process;
        this.stdout = new Capture(label + " stdout", process.getInputStream(), stdoutLimit);
        this.stderr = new Capture(label + " stderr", process.getErrorStream(), Long.MAX_VALUE);
    }

    /** Starts {@code java org.httpfstream.cli.Main args...}. */
    static CliProcess start(String... args) {
        return start(java.util.Map.of(), args);
    }

    /** Starts {@code java org.httpfstream.cli.Main args...} with {@code env} added to the environment. */
    static CliProcess start(java.util.Map<String, String> env, String... args) {
        return start(env, Long.MAX_VALUE, args);
    }

    /**
     * Starts {@code java org.httpfstream.cli.Main args...} whose stdout is read for {@code stdoutLimit}
     * bytes and then closed by the reader, as {@code | head -c N} does: the process's next writes fail.
     */
    static CliProcess startReadingAtMost(long stdoutLimit, String... args) {
        return start(java.util.Map.of(), stdoutLimit, args);
    }

    private static CliProcess start(java.util.Map<String, String> env, long stdoutLimit, String... args) {
        List<String> command = new ArrayList<>(List.of(JAVA,
                "-cp", System.getProperty("java.class.path"),
                "-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                Main.class.getName()));
        command.addAll(List.of(args));
        try {
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().remove("HTTPFSTREAM_TOKEN");
            builder.environment().putAll(env);
            return new CliProcess(String.join(" ", args), builder.start(), stdoutLimit);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /** Starts {@code command} (a script, say) with {@code env} added to the environment. */
    static CliProcess exec(List<String> command, java.util.Map<String, String> env) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().remove("HTTPFSTREAM_TOKEN");
            builder.environment().putAll(env);
            return new CliProcess(String.join(" ", command), builder.start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    long pid() {
        return process.pid();
    }

    /** Writes {@code text} (UTF-8) to the process's stdin and flushes it. */
    void write(String text) throws IOException {
        write(text.getBytes(UTF_8));
    }

    void write(byte[] bytes) throws IOException {
        OutputStream in = process.getOutputStream();
        in.write(bytes);
        in.flush();
    }

    /** Closes our end of the process's stdout, like a reader such as {@code head} that stops early. */
    void closeStdout() throws IOException {
        process.getInputStream().close();
    }

    void closeStdin() throws IOException {
        process.getOutputStream().close();
    }

    byte[] stdout() {
        return stdout.bytes();
    }

    String stdoutText() {
        return new String(stdout.bytes(), UTF_8);
    }

    String stderrText() {
        return new String(stderr.bytes(), UTF_8);
    }

    /** The line a server process prints once it listens, with its port. */
    static final Pattern STARTED = Pattern.compile("Starting server on 127\\.0\\.0\\.1:(\\d+)");

    /** Waits until the server process says it listens ({@link #STARTED}); returns its port. */
    int awaitPort(Duration timeout) {
        return Integer.parseInt(awaitStderrLine(STARTED, timeout).group(1));
    }

    /** Waits until a line of stderr matches {@code pattern} (found anywhere in the line); returns the match. */
    Matcher awaitStderrLine(Pattern pattern, Duration timeout) {
        Matcher[] found = new Matcher[1];
        stderr.await(bytes -> {
            for (String line : new String(bytes, UTF_8).split("\n")) {
                Matcher m = pattern.matcher(line);
                if (m.find()) {
                    found[0] = m;
                    return true;
                }
            }
            return false;
        }, timeout, "a stderr line matching " + pattern);
        return found[0];
    }

    /** Waits until stdout is exactly {@code expected}; fails early if it grows into something else. */
    void awaitStdout(String expected, Duration timeout) {
        byte[] want = expected.getBytes(UTF_8);
        stdout.await(bytes -> {
            if (!startsWith(want, bytes)) {
                throw new AssertionError(label + ": stdout is " + quote(bytes) + ", expected it to become "
                        + quote(want) + "; stderr: " + stderrText());
            }
            return bytes.length == want.length;
        }, timeout, "stdout " + quote(want));
    }

    /** Waits until at least {@code n} bytes have arrived on stdout. */
    void awaitStdoutBytes(int n, Duration timeout) {
        stdout.await(bytes -> bytes.length >= n, timeout, "at least " + n + " bytes on stdout");
    }

    /** Waits for the process to exit and for all its output to be read; returns the exit code. */
    int awaitExit(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new AssertionError(label + ": still running after " + timeout + "; stdout: "
                        + quote(stdout()) + "; stderr: " + stderrText());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
        stdout.awaitEnd(left);
        stderr.awaitEnd(left);
        return process.exitValue();
    }

    /**
     * Sends SIGTERM: a server drains and exits 0, other commands run their shutdown hooks. Uses the process handle, because
     * {@link Process#destroy()} also closes our ends of the pipes and the rest of the output would be lost.
     */
    void terminate() {
        process.toHandle().destroy();
    }

    /**
     * Sends SIGKILL (a forcible destroy of the process handle, on Linux): the JVM dies at once, no
     * shutdown hook runs, nothing is flushed or closed by the process, as in a crash. Waits for the exit
     * and returns its code (137 for SIGKILL). Keeps our ends of the pipes, like {@link #terminate()}.
     */
    int kill(Duration timeout) {
        process.toHandle().destroyForcibly();
        return awaitExit(timeout);
    }

    /**
     * Sends SIGINT, as Ctrl-C at a terminal does, when the process handles it; processes started from a
     * non-interactive shell in the background inherit SIGINT ignored, and then SIGTERM is sent instead,
     * which runs the same shutdown hooks. Returns the signal number sent.
     */
    int interrupt() {
        if (catchesSigint()) {
            try {
                Process kill = new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).inheritIO().start();
                if (kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0) {
                    return 2;
                }
            } catch (IOException e) {
                // no kill command: fall back to SIGTERM
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
        terminate();
        return 15;
    }

    /** Whether the process has a handler for SIGINT, according to Linux's /proc; false when unknown. */
    private boolean catchesSigint() {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith("SigCgt:")) {
                    long caught = Long.parseUnsignedLong(line.substring("SigCgt:".length()).strip(), 16);
                    return (caught & (1L << (2 - 1))) != 0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or the process is gone
        }
        return false;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Kills the process if it is still running. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    @Override
    public String toString() {
        return label + " (pid " + process.pid() + ")";
    }

    private static boolean startsWith(byte[] prefix, byte[] bytes) {
        int n = Math.min(prefix.length, bytes.length);
        for (int i = 0; i < n; i++) {
            if (prefix[i] != bytes[i]) {
                return false;
            }
        }
        return bytes.length <= prefix.length;
    }

    private static String quote(byte[] bytes) {
        String text = new String(bytes, UTF_8);
        if (text.length() > 300) {
            text = text.substring(0, 300) + "...(" + bytes.length + " bytes)";
        }
        return '"' + text.replace("\n", "\\n") + '"';
    }

    /** Reads one output stream on its own thread and lets waiters know of every chunk and of the end. */
    private static final class Capture {
        private final String name;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        private boolean ended;
        private IOException failure;

        private final long limit;

        Capture(String name, InputStream in, long limit) {
            this.name = name;
            this.limit = limit;
            Thread reader = new Thread(() -> pump(in), "capture " + name);
            reader.setDaemon(true);
            reader.start();
        }

        private void pump(InputStream in) {
            byte[] chunk = new byte[8192];
            try (in) {
                int n;
                long total = 0;
                while (total < limit && (n = in.read(chunk, 0, (int) Math.min(chunk.length, limit - total))) != -1) {
                    total += n;
                    synchronized (this) {
                        buffer.write(chunk, 0, n);
                        notifyAll();
                    }
                }
            } catch (IOException e) {
                synchronized (this) {
                    failure = e;
                }
            } finally {
                synchronized (this) {
                    ended = true;
                    notifyAll();
                }
            }
        }

        synchronized byte[] bytes() {
            return buffer.toByteArray();
        }

        synchronized void await(Predicate<byte[]> condition, Duration timeout, String what) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                byte[] now = buffer.toByteArray();
                if (condition.test(now)) {
                    return;
                }
                if (ended) {
                    throw new AssertionError(name + " ended (" + (failure == null ? "EOF" : failure) + ") without "
                            + what + "; it was " + quote(now));
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("timed out after " + timeout + " waiting for " + what + " on " + name
                            + "; it was " + quote(now));
                }
                waitNanos(left);
            }
        }

        synchronized void awaitEnd(Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!ended) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("timed out waiting for the end of " + name);
                }
                waitNanos(left);
            }
        }

        private void waitNanos(long nanos) {
            try {
                TimeUnit.NANOSECONDS.timedWait(this, nanos);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }
}
