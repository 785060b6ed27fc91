package org.httpfstream.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The server under test: either one the benchmark started ({@link ServerMain} in a child JVM, whose
 * PID it knows) or one given by URL, with an optional PID for CPU and memory figures.
 *
 * <p>Thread safety: immutable apart from {@link #close()}, which may be called once from any thread.
 *
 * @param label the server's name in the results, e.g. {@code httpfstream (Java, fsync)}
 * @param base the server's base URI, ending in '/'
 * @param stats the server process's statistics, or null if its PID is unknown
 * @param process the server's process if the benchmark started it, else null
 * @param launchedWith how the benchmark started it, to start it again, or null
 */
public record Target(String label, URI base, ProcStats stats, Process process, Launch launchedWith)
        implements AutoCloseable {

    /**
     * How the benchmark started a server: the arguments of {@link Target#launch(Path, List, String, Path,
     * boolean, boolean)}.
     */
    public record Launch(Path root, List<String> jvmOptions, String classpath, Path log, boolean fsync,
            boolean tls) {
    }

    /**
     * A server reached at {@code url}, not started by the benchmark.
     *
     * @param pid its process id for CPU and memory figures, or 0 if unknown
     */
    public static Target remote(String label, URI url, long pid) {
        String s = url.toString();
        URI base = URI.create(s.endsWith("/") ? s : s + "/");
        return new Target(label, base, pid > 0 ? new ProcStats(pid) : null, null, null);
    }

    /**
     * Starts our server in a child JVM: {@code java JVM_OPTIONS -cp CLASSPATH ServerMain
     * -root=ROOT -http=127.0.0.1:0}, and waits for it to listen. Its output goes to {@code log}.
     */
    public static Target launch(Path root, List<String> jvmOptions, String classpath, Path log)
            throws IOException, InterruptedException {
        return launch(root, jvmOptions, classpath, log, false);
    }

    /** As {@link #launch(Path, List, String, Path)}, with {@code -fsync} if {@code fsync}. */
    public static Target launch(Path root, List<String> jvmOptions, String classpath, Path log, boolean fsync)
            throws IOException, InterruptedException {
        return launch(root, jvmOptions, classpath, log, fsync, false);
    }

    /**
     * As {@link #launch(Path, List, String, Path, boolean)}; with {@code tls}, serving HTTPS with a self-signed
     * certificate made now in the root's parent folder ({@link SelfSignedCertificate}).
     */
    public static Target launch(Path root, List<String> jvmOptions, String classpath, Path log, boolean fsync,
            boolean tls) throws IOException, InterruptedException {
        String label = "httpfstream (Java" + (fsync ? ", fsync" : "") + (tls ? ", TLS" : "") + ")";
        return launch(root, jvmOptions, classpath, log, fsync, tls, List.of(), label);
    }

    /**
     * Starts our server as a front node on the JetStream store ({@code -nats=URL,...}: streams on the
     * cluster, {@code root} unused), named {@code label} in the results.
     */
    public static Target frontNode(Path root, List<String> jvmOptions, String classpath, Path log,
            List<String> natsUrls, String label) throws IOException, InterruptedException {
        return launch(root, jvmOptions, classpath, log, false, false, List.of("-nats=" + String.join(",", natsUrls)),
                label);
    }

    private static Target launch(Path root, List<String> jvmOptions, String classpath, Path log, boolean fsync,
            boolean tls, List<String> extra, String label) throws IOException, InterruptedException {
        Files.createDirectories(root);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add(ServerMain.class.getName());
        cmd.add("-root=" + root);
        cmd.add("-http=127.0.0.1:0");
        if (fsync) {
            cmd.add("-fsync");
        }
        if (tls) {
            Path parent = root.toAbsolutePath().getParent();
            SelfSignedCertificate.Pem pem = SelfSignedCertificate.generate(parent.resolve("tls"));
            cmd.add("-tls-cert=" + pem.certificate());
            cmd.add("-tls-key=" + pem.key());
        }
        cmd.addAll(extra);
        Process p = new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        CompletableFuture<String> listening = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("LISTENING ")) {
                        listening.complete(line);
                    }
                    Files.writeString(log, line + System.lineSeparator(), StandardCharsets.UTF_8,
                            java.nio.file.StandardOpenOption.CREATE,
                            java.nio.file.StandardOpenOption.APPEND);
                }
            } catch (IOException e) {
                listening.completeExceptionally(e);
            }
            listening.completeExceptionally(new IOException("the server exited before listening; see " + log));
        }, "server-output");
        reader.setDaemon(true);
        reader.start();
        String line;
        try {
            line = listening.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            p.destroyForcibly();
            throw new IOException("the server did not start: " + e.getMessage() + "; see " + log, e);
        }
        String[] parts = line.split(" ");
        return new Target(label, URI.create(parts[1]), new ProcStats(Long.parseLong(parts[2])), p,
                new Launch(root, jvmOptions, classpath, log, fsync, tls));
    }

    /** The server's storage root if the benchmark started it, else null. */
    public Path root() {
        return launchedWith == null ? null : launchedWith.root();
    }

    /** True if the benchmark started this server and can start it again. */
    public boolean launched() {
        return process != null;
    }

    /** Stops this server, which the benchmark started, and starts a fresh one on the same root. */
    public Target relaunch() throws IOException, InterruptedException {
        if (process == null) {
            throw new IllegalStateException("not started by the benchmark: " + base);
        }
        close();
        Launch l = launchedWith;
        return launch(l.root(), l.jvmOptions(), l.classpath(), l.log(), l.fsync(), l.tls());
    }

    /**
     * Stops the server if the benchmark started it (end of input, then SIGTERM, then SIGKILL), waiting
     * up to 40 s. If interrupted, kills it at once and keeps the interrupt status.
     */
    @Override
    public void close() {
        if (process == null) {
            return;
        }
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // Already gone.
        }
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroy();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
