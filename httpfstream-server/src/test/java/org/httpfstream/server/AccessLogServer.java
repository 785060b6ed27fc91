package org.httpfstream.server;

import org.httpfstream.testing.TestCertificates;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A server in a JVM of its own ({@link AccessLogServerMain}) whose access log goes, at INFO, to a file
 * of its own: slf4j-simple reads its configuration once per JVM, so the access-log tests cannot use the
 * in-process {@link org.httpfstream.server.testing.ServerExtension}. Its root and log are in {@code
 * dir}; it answers {@code token} with read and append on every path. Test helper; not thread safe.
 */
final class AccessLogServer implements AutoCloseable {
    final Process process;
    final Path log;
    final int port;

    private AccessLogServer(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /** Starts one serving {@code dir/root} over TLS with {@code cert}, or cleartext if null; returns once it serves. */
    static AccessLogServer start(Path dir, String token, TestCertificates.Pem cert) throws IOException {
        Path tokens = Files.writeString(dir.resolve("tokens"), token + " read,append /\n");
        Path log = dir.resolve("server.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.logFile=" + log,
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-Dorg.slf4j.simpleLogger.log.httpfstream.access=info",
                AccessLogServerMain.class.getName(), dir.resolve("root").toString(), tokens.toString()));
        if (cert != null) {
            command.add(cert.certificate().toString());
            command.add(cert.key().toString());
        }
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8));
        String first = out.readLine();
        assertThat(first).as("the server's first line").startsWith("PORT ");
        return new AccessLogServer(process, log, Integer.parseInt(first.substring(5)));
    }

    /** The access-log lines so far that contain every one of {@code parts}. */
    List<String> lines(String... parts) throws IOException {
        if (!Files.exists(log)) {
            return List.of();
        }
        return Files.readAllLines(log, UTF_8).stream()
                .filter(l -> l.contains("httpfstream.access"))
                .filter(l -> Arrays.stream(parts).allMatch(l::contains)).toList();
    }

    /** Ends its standard input, its cue to stop, and waits up to 20 s for it to exit, then kills it. */
    @Override
    public void close() throws InterruptedException, IOException {
        process.getOutputStream().close();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
