package org.httpfstream.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.httpfstream.durable.DurableStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: without fsync, a producer's append writes only its own line to the stream's metadata file
 * ({@link MetadataStore} appends changes and rewrites the file whole now and then). Every producer state
 * acknowledged to the client must survive a kill -9 of the process with its bytes: a real child JVM
 * appends for eight producers, saying each acknowledged append on its standard output, and is killed
 * with SIGKILL in the middle of its appends, after enough of them that its metadata file was rewritten
 * whole several times. A new store on the same root must then take the retry of each producer's last
 * acknowledged append as a duplicate and hold every acknowledged body once.
 */
class ProducerKillTest {
    private static final int PRODUCERS = 8;
    /** Acknowledged appends before the kill: several compactions of an 8-producer file (one per ~300). */
    private static final int ACKS_BEFORE_KILL = 1500;

    @TempDir Path root;

    static String body(int producer, long seq) {
        return "p" + producer + "s" + seq + ";";
    }

    static DurableStreams.AppendRequest append(int producer, long seq) {
        return new DurableStreams.AppendRequest("text/plain", null,
                new DurableStreams.ProducerRequest("producer-" + producer, 0, seq), false,
                body(producer, seq).getBytes(UTF_8));
    }

    @Test
    void everyAcknowledgedProducerStateSurvivesAKillNine() throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(List.of(javaBin, "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", Child.class.getName(), root.toString()))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        long[] acked = new long[PRODUCERS];
        java.util.Arrays.fill(acked, -1);
        try {
            CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), UTF_8))) {
                    int n = 0;
                    for (String line; n < ACKS_BEFORE_KILL && (line = out.readLine()) != null; ) {
                        String[] f = line.split(" "); // ACK producer seq
                        acked[Integer.parseInt(f[1])] = Long.parseLong(f[2]);
                        n++;
                    }
                    return n;
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertThat(read.get(60, TimeUnit.SECONDS)).isEqualTo(ACKS_BEFORE_KILL);
        } finally {
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no flush, whatever it was doing
            assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(child.exitValue()).isEqualTo(137); // killed by signal 9, not finished

        try (StreamStore restarted = new StreamStore(root, false)) {
            DurableStreams again = new DurableStreams(restarted, Clock.systemUTC());
            String all = Files.readString(root.resolve("k.txt"));
            for (int p = 0; p < PRODUCERS; p++) {
                assertThat(acked[p]).as("producer %d acknowledged", p).isGreaterThan(0);
                assertThat(again.append("/k.txt", append(p, acked[p])).join().duplicate())
                        .as("the retry of producer %d's last acknowledged append", p).isTrue();
                for (long seq = 0; seq <= acked[p]; seq++) {
                    String b = body(p, seq);
                    int at = all.indexOf(b);
                    assertThat(at).as("%s in the stream", b).isGreaterThanOrEqualTo(0);
                    assertThat(all.indexOf(b, at + 1)).as("%s once", b).isEqualTo(-1);
                }
            }
        }
    }

    /**
     * The killed process: creates {@code /k.txt} under the root given, then appends for each producer in
     * turn, forever, printing {@code ACK producer seq} once each append is acknowledged.
     */
    public static final class Child {
        private Child() {}

        public static void main(String[] args) throws Exception {
            StreamStore store = new StreamStore(Path.of(args[0]), false);
            DurableStreams streams = new DurableStreams(store, Clock.systemUTC());
            streams.create("/k.txt", new DurableStreams.CreateRequest("text/plain", null, null, null, false,
                    new byte[0], null)).join();
            PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, UTF_8);
            for (long seq = 0; ; seq++) {
                for (int p = 0; p < PRODUCERS; p++) {
                    if (!streams.append("/k.txt", append(p, seq)).join().duplicate()) {
                        out.println("ACK " + p + " " + seq);
                    }
                }
            }
        }
    }
}
