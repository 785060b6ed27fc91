package org.httpfstream.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.nats.client.Connection;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.httpfstream.store.StoreLimits;
import org.httpfstream.store.nats.NatsConfig;
import org.httpfstream.store.nats.NatsStorage;
import org.httpfstream.testing.NatsCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Durable Streams conformance suite (conformance/, the same file the file and memory stores pass)
 * through one front node over a real 3-node NATS JetStream cluster: the packaged jar, started by the
 * suite's own {@code server.js} with {@code -store=nats -nats=URL,URL,URL}. Every test the suite runs by
 * default must pass; a failure fails the build (failsafe's verify).
 *
 * <p>Runs after {@code package} (failsafe) and after {@code npm ci} (the exec executions are declared
 * before failsafe in this module's POM); {@code -Dconformance.skip} skips it with the other runs.
 */
@Timeout(value = NatsConformanceIT.SUITE_MINUTES + 2, unit = TimeUnit.MINUTES)
class NatsConformanceIT {
    /** The longest the suite may run (about a minute and a half on 2 busy cores). */
    static final int SUITE_MINUTES = 8;
    private static final Pattern TESTS = Pattern.compile("Tests\\s+(?:(\\d+) failed \\| )?(\\d+) passed(?: \\| \\d+ skipped)? \\((\\d+)\\)");

    @RegisterExtension
    static final NatsCluster nats = new NatsCluster();

    @Test
    void theSuitePassesThroughAFrontNode() throws Exception {
        Path conformance = Path.of(System.getProperty("httpfstream.conformance", "../conformance")).toAbsolutePath();
        assertThat(conformance.resolve("node_modules")).as("npm ci ran in %s", conformance).isDirectory();
        String jar = System.getProperty("httpfstream.jar", "target/httpfstream.jar");
        assertThat(Path.of(jar)).as("the jar made by package").isRegularFile();
        // The cluster's shard streams made once here (48 R3 streams: ~20 s on a loaded machine), so that
        // the front node starts within server.js's 30 s, as a node joining a running deployment does.
        long t0 = System.nanoTime();
        try (Connection c = nats.connect();
                NatsStorage made = new NatsStorage(c, false, NatsConfig.DEFAULT, StoreLimits.NONE)) {
            assertThat(made.list("/")).isEmpty();
        }
        long assets = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        ProcessBuilder pb = new ProcessBuilder("npx", "vitest", "run", "conformance.test.js")
                .directory(conformance.toFile()).redirectErrorStream(true);
        pb.environment().put("HTTPFSTREAM_JAR", Path.of(jar).toAbsolutePath().toString());
        pb.environment().put("HTTPFSTREAM_SERVER_FLAGS", "-store=nats -nats=" + String.join(",", nats.urls()));
        pb.environment().put("NO_COLOR", "1");
        long t1 = System.nanoTime();
        Process suite = pb.start();
        java.util.concurrent.CompletableFuture<String> output = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return tee(suite.getInputStream(), System.out);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        boolean exited = false;
        try {
            exited = suite.waitFor(SUITE_MINUTES, TimeUnit.MINUTES);
        } finally {
            if (!exited) { // vitest, the front node it started: none outlives the test
                suite.descendants().forEach(ProcessHandle::destroyForcibly);
                suite.destroyForcibly();
            }
        }
        long ran = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1);
        System.out.printf("NatsConformanceIT: shard streams made in %d ms, suite ran in %d ms%n", assets, ran);
        assertThat(exited).as("the suite ended within %d minutes", SUITE_MINUTES).isTrue();
        String out = output.get(1, TimeUnit.MINUTES);
        Matcher m = TESTS.matcher(out);
        assertThat(m.find()).as("vitest's summary line in:%n%s", out).isTrue();
        assertThat(m.group(1)).as("failed tests").isNull();
        assertThat(Long.parseLong(m.group(2))).as("passed = all").isEqualTo(Long.parseLong(m.group(3)))
                .isGreaterThanOrEqualTo(338);
        assertThat(suite.exitValue()).as("vitest's exit status").isZero();
    }

    /** Copies {@code in} to {@code out} as it comes, and returns it all. */
    private static String tee(InputStream in, OutputStream out) throws java.io.IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        for (int n; (n = in.read(buf)) > 0; ) {
            out.write(buf, 0, n);
            out.flush();
            all.write(buf, 0, n);
        }
        return all.toString(UTF_8);
    }
}
