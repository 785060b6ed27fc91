package org.httpfstream.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every scenario once at toy size against our server, started as a separate process, and checks
 * correctness only: every result verified, no errors. Speed is never asserted here.
 */
class BenchSuiteTest {
    @TempDir
    Path work;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everyScenarioAtToySizeDeliversEveryByteVerified() throws Exception {
        Path markdown = work.resolve("bench.md");
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        BenchOptions options = BenchOptions.parse("all", "--size", "toy", "--work-dir",
                work.resolve("bench").toString(), "--markdown", markdown.toString(),
                "--server-jvm-opts", "-Xmx256m");
        List<Result> results;
        try (PrintStream out = new PrintStream(stdout, true, StandardCharsets.UTF_8);
                PrintStream log = new PrintStream(stderr, true, StandardCharsets.UTF_8)) {
            results = new Bench(options, out, log).runAll();
        }
        String output = stdout.toString(StandardCharsets.UTF_8);

        assertThat(results).extracting(Result::scenario).containsAll(BenchOptions.SCENARIOS);
        for (Result r : results) {
            assertThat(r.errors()).as(r.scenario() + " errors\n" + output).isEmpty();
            assertThat(r.verified()).as(r.scenario() + " verified\n" + output).isTrue();
        }
        assertThat(output.lines().filter(l -> l.startsWith("{\"scenario\":")).count())
                .isEqualTo(results.size());
        assertThat(output).contains("| scenario | server |");
        assertThat(Files.readString(markdown)).contains("| fanout-latency |", "| idle |", "| ds-append |",
                "| ds-readers |");
        assertThat(results).filteredOn(r -> r.scenario().equals("ds-readers")).hasSize(2);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void durableStreamsProducersAppendingToOneStreamPerConnectionAtToySizeAreVerified() throws Exception {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        BenchOptions options = BenchOptions.parse("ds-append", "--size", "toy", "--warmup-bytes", "0",
                "--ds-streams", "per-connection", "--ds-producers", "yes", "--ds-connections", "4", "--work-dir",
                work.resolve("bench").toString(), "--server-jvm-opts", "-Xmx256m");
        List<Result> results;
        try (PrintStream out = new PrintStream(stdout, true, StandardCharsets.UTF_8);
                PrintStream log = new PrintStream(stderr, true, StandardCharsets.UTF_8)) {
            results = new Bench(options, out, log).runAll();
        }
        // The ds-append result, and its limit (the no-op server under the same load) as a result of its own.
        assertThat(results).extracting(Result::scenario)
                .containsExactly("limit:ds-no-op-per-connection-producers", "ds-append");
        Result r = results.get(1);
        assertThat(r.errors()).as(stdout.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(r.verified()).isTrue();
        assertThat(r.toMap().get("params").toString()).contains("streams=per-connection", "producers=yes");
    }

    /**
     * catch-up and fanout-max over TLS (WebSocket and HTTP/1.1 readers), over h2c with prior knowledge and
     * over h2 by ALPN with readers sharing connections: every reader verified (status, end, byte count,
     * CRC32C), and each result says its protocol.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"--tls, tls http/1.1", "--h2, h2c", "--h2 --tls --h2-streams-per-connection 2, tls h2"})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void catchUpAndFanOutOverTlsAndHttp2AreVerified(String transport, String protocol) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("catch-up", "fanout-max", "--size", "toy",
                "--warmup-bytes", "0", "--work-dir", work.resolve("bench").toString(), "--server-jvm-opts", "-Xmx256m"));
        args.addAll(List.of(transport.split(" ")));
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        List<Result> results;
        try (PrintStream out = new PrintStream(stdout, true, StandardCharsets.UTF_8);
                PrintStream log = new PrintStream(stderr, true, StandardCharsets.UTF_8)) {
            results = new Bench(BenchOptions.parse(args.toArray(String[]::new)), out, log).runAll();
        }
        String output = stdout.toString(StandardCharsets.UTF_8) + stderr.toString(StandardCharsets.UTF_8);
        List<Result> measured = results.stream().filter(r -> !r.scenario().startsWith("limit:")).toList();
        assertThat(measured).extracting(Result::scenario).contains("catch-up", "fanout-max");
        for (Result r : measured) {
            assertThat(r.errors()).as(r.scenario() + " errors\n" + output).isEmpty();
            assertThat(r.verified()).as(r.scenario() + " verified\n" + output).isTrue();
            assertThat(r.toMap().get("params").toString()).as(output).contains("protocol=" + protocol);
            assertThat(r.bytes).isPositive();
        }
    }
}
