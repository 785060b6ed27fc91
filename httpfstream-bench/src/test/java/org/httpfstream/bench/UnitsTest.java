package org.httpfstream.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.httpfstream.json.Json;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnitsTest {
    @Nested
    class HistogramPercentiles {
        @Test
        void areWithinTwoPercentOfTheTrueValue() {
            Histogram h = new Histogram();
            for (long v = 1; v <= 100_000; v++) {
                h.record(v * 1000);
            }
            assertThat(h.count()).isEqualTo(100_000);
            assertThat(h.percentile(50)).isBetween(50_000_000L, 51_000_000L);
            assertThat(h.percentile(99)).isBetween(99_000_000L, 100_600_000L);
            assertThat(h.max()).isEqualTo(100_000_000L);
            assertThat(h.percentile(100)).isEqualTo(100_000_000L);
        }

        @Test
        void countSmallValuesExactly() {
            Histogram h = new Histogram();
            h.record(3);
            h.record(-5);
            assertThat(h.percentile(50)).isZero();
            assertThat(h.percentile(100)).isEqualTo(3);
            assertThat(new Histogram().percentile(99)).isZero();
        }

        @Test
        void bucketBoundsContainTheirValues() {
            for (long v = 0; v < 1 << 20; v += 7) {
                int i = Histogram.index(v);
                assertThat(Histogram.upperBound(i)).isGreaterThanOrEqualTo(v);
                if (i > 0) {
                    assertThat(Histogram.upperBound(i - 1)).isLessThan(v);
                }
            }
        }
    }

    @Nested
    class PayloadMessages {
        @Test
        void unmaskToThePlainPatternAndFollowEachOtherWithoutGaps() {
            try (Payload p = new Payload(4096, false)) {
                CRC32C fromPlain = new CRC32C();
                CRC32C fromWire = new CRC32C();
                int offset = 0;
                for (int i = 0; i < 600; i++) { // past one period of the pattern
                    p.digest(fromPlain, offset);
                    ByteBuf slice = p.maskedSlice(offset);
                    byte[] b = new byte[4096];
                    slice.getBytes(slice.readerIndex(), b);
                    slice.release();
                    for (int j = 0; j < b.length; j++) {
                        b[j] ^= Payload.MASK[j & 3];
                    }
                    fromWire.update(b);
                    offset = p.next(offset);
                }
                assertThat(fromWire.getValue()).isEqualTo(fromPlain.getValue());
            }
        }

        @Test
        void haveAHeaderWithTheLengthAndTheMaskKey() {
            try (Payload p = new Payload(100, false)) {
                ByteBuf h = p.frameHeader();
                assertThat(h.readableBytes()).isEqualTo(6);
                assertThat(h.getByte(0) & 0xff).isEqualTo(0x81);
                assertThat(h.getByte(1) & 0xff).isEqualTo(0x80 | 100);
                h.release();
            }
            try (Payload p = new Payload(65536, true)) {
                ByteBuf h = p.frameHeader();
                assertThat(h.readableBytes()).isEqualTo(14);
                assertThat(h.getByte(0) & 0xff).isEqualTo(0x82);
                h.release();
            }
        }

        @Test
        void rejectSizesThatAreNotMultiplesOfFour() {
            assertThatThrownBy(() -> new Payload(1001, false))
                    .hasMessageContaining("messageSize").hasMessageContaining("1001");
        }
    }

    @Nested
    class Options {
        @Test
        void defaultToTheFullSuite() {
            BenchOptions o = BenchOptions.parse();
            assertThat(o.scenarios).isEqualTo(BenchOptions.SCENARIOS);
            assertThat(o.appendBytes).isEqualTo(512L << 20);
            assertThat(o.appendRuns).isEqualTo(3);
            assertThat(o.idleFollowers).isEqualTo(10_000);
            assertThat(o.catchUpBytes).isEqualTo(1L << 30);
        }

        @Test
        void takeToySizesOverridesAndServers() {
            BenchOptions o = BenchOptions.parse("streams", "--size=toy", "--streams", "7",
                    "--append-message-sizes", "4KiB,1MiB", "--server-url", "http://127.0.0.1:9/",
                    "--server-pid", "42", "--server-label", "go", "--server-jvm-opts", "-Xmx1g -Dx=y");
            assertThat(o.scenarios).containsExactly("streams");
            assertThat(o.streams).isEqualTo(7);
            assertThat(o.appendMessageSizes).containsExactly(4096, 1 << 20);
            assertThat(o.servers).singleElement().satisfies(s -> {
                assertThat(s.label()).isEqualTo("go");
                assertThat(s.pid()).isEqualTo(42);
            });
            assertThat(o.serverJvmOptions).containsExactly("-Xmx1g", "-Dx=y");
            assertThat(o.appendRuns).isEqualTo(1);
            assertThat(BenchOptions.parse("append", "--append-runs", "5").appendRuns).isEqualTo(5);
            assertThatThrownBy(() -> BenchOptions.parse("--append-runs", "0"))
                    .hasMessageContaining("append-runs");
        }

        @Test
        void recyclingMemoryLeavesNoFileBehind(@TempDir Path dir) throws Exception {
            Limits.recycleMemory(dir.resolve("raw"), 3 << 20);
            try (Stream<Path> files = Files.list(dir.resolve("raw"))) {
                assertThat(files).isEmpty();
            }
            assertThatThrownBy(() -> Limits.recycleMemory(dir, 0)).hasMessageContaining("bytes < 1");
        }

        @Test
        void carryATokenOnEveryRequestOnlyWhenGiven() {
            assertThat(BenchOptions.parse("--token", "s3cret").token).isEqualTo("s3cret");
            try {
                RequestAuth.token("s3cret");
                assertThat(RequestAuth.line()).isEqualTo("Authorization: Bearer s3cret\r\n");
                assertThat(new String(DsClient.versionAndHost("h:1"), java.nio.charset.StandardCharsets.US_ASCII))
                        .isEqualTo(" HTTP/1.1\r\nHost: h:1\r\nAuthorization: Bearer s3cret\r\n");
                assertThatThrownBy(() -> RequestAuth.token("a\r\nX-Evil: 1")).hasMessageContaining("line break");
            } finally {
                RequestAuth.token(null);
            }
            assertThat(RequestAuth.line()).isEmpty();
            assertThat(new String(DsClient.versionAndHost("h:1"), java.nio.charset.StandardCharsets.US_ASCII))
                    .isEqualTo(" HTTP/1.1\r\nHost: h:1\r\n");
        }

        @Test
        void rejectUnknownScenariosAndOptions() {
            assertThatThrownBy(() -> BenchOptions.parse("nope")).hasMessageContaining("nope");
            assertThatThrownBy(() -> BenchOptions.parse("--bogus", "1")).hasMessageContaining("bogus");
            assertThatThrownBy(() -> BenchOptions.parse("--streams", "0")).hasMessageContaining("streams");
        }
    }

    @Test
    void jsonEscapesAndRoundsNumbers() {
        assertThat(Json.writeRounded(Map.of("a", List.of(1.23456789, "x\"y", true)), 4))
                .isEqualTo("{\"a\":[1.2346,\"x\\\"y\",true]}");
        assertThat(Json.writeRounded(Double.NaN, 4)).isEqualTo("null");
    }

    @Test
    void procStatsTellAJvmFromAnotherProcess() throws Exception {
        ProcStats self = ProcStats.self();
        assertThat(self.isJvm()).isTrue();
        assertThat(self.cpuSeconds()).isGreaterThan(0);
        assertThat(self.rssBytes()).isGreaterThan(1 << 20);
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        try {
            assertThat(new ProcStats(sleeper.pid()).isJvm()).isFalse();
            assertThat(new ProcStats(sleeper.pid()).gc(5)).isFalse(); // and it is not killed by trying
            assertThat(sleeper.isAlive()).isTrue();
        } finally {
            sleeper.destroyForcibly();
        }
    }

    @Nested
    class DurableStreamsRecords {
        @Test
        void carryTheirIdAndSequenceInPrintableAsciiWithoutNewlines() {
            byte[] a = new byte[100];
            byte[] b = new byte[100];
            DsScenarios.appendRecord(a, 63, 123_456);
            DsScenarios.appendRecord(b, 63, 123_457);
            assertThat(DsScenarios.unhex(a, 0, 4)).isEqualTo(63);
            assertThat(DsScenarios.unhex(a, 4, 8)).isEqualTo(123_456);
            assertThat(a).isNotEqualTo(b);
            for (byte x : a) {
                assertThat(x).isBetween((byte) 0x21, (byte) 0x7e);
            }
            assertThat(DsScenarios.unhex("zz".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, 2))
                    .isEqualTo(-1);
        }

        @Test
        void controlEventOffsetsAreRead() {
            byte[] json = "{\"streamNextOffset\":\"0000000000000064\",\"upToDate\":true}"
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            DsConnection.Value v = new DsConnection.Value();
            assertThat(DsScenarios.jsonString(json, json.length, DsConnection.ascii("\"streamNextOffset\""), v))
                    .isTrue();
            assertThat(v).hasToString("0000000000000064");
            assertThat(DsScenarios.jsonString(json, json.length, DsConnection.ascii("\"streamCursor\""), v))
                    .isFalse();
            assertThat(v).hasToString("0000000000000064");
        }
    }

    @Test
    void durableStreamsOptionsParse() {
        BenchOptions o = BenchOptions.parse("ds-append", "--ds-streams", "per-connection", "--server-fsync");
        assertThat(o.dsStreamPerConnection).isTrue();
        assertThat(o.serverFsync).isTrue();
        assertThat(o.dsAppendConnections).isEqualTo(64);
        assertThat(o.dsThreads).isEqualTo(1);
        assertThat(BenchOptions.parse("ds-readers", "--ds-threads", "2").dsThreads).isEqualTo(2);
        assertThatThrownBy(() -> BenchOptions.parse("ds-append", "--ds-streams", "some"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(o.dsProducers).isFalse();
        assertThat(BenchOptions.parse("ds-append", "--ds-producers", "yes").dsProducers).isTrue();
        assertThatThrownBy(() -> BenchOptions.parse("ds-append", "--ds-producers", "maybe"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(o.dsWarmupSeconds).isEqualTo(5);
        assertThat(BenchOptions.parse("ds-append", "--size", "toy").dsWarmupSeconds).isEqualTo(1);
        assertThat(BenchOptions.parse("ds-append", "--ds-warmup-seconds", "0").dsWarmupSeconds).isZero();
    }

    @Test
    void tlsAndHttp2OptionsParse() {
        BenchOptions plain = BenchOptions.parse();
        assertThat(plain.tls).isFalse();
        assertThat(plain.h2).isFalse();
        assertThat(plain.scenarios).isEqualTo(BenchOptions.SCENARIOS);
        BenchOptions h2 = BenchOptions.parse("--h2", "--tls", "--h2-streams-per-connection", "10");
        assertThat(h2.tls).isTrue();
        assertThat(h2.h2).isTrue();
        assertThat(h2.h2StreamsPerConnection).isEqualTo(10);
        assertThat(h2.scenarios).containsExactly("fanout-max", "catch-up");
        assertThat(BenchOptions.parse("catch-up", "--h2").scenarios).containsExactly("catch-up");
        assertThatThrownBy(() -> BenchOptions.parse("append", "--h2"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--h2 runs only");
        assertThatThrownBy(() -> BenchOptions.parse("--h2", "--h2-streams-per-connection", "257"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("256");
        assertThat(BenchOptions.usage()).contains("--tls", "--h2", "--h2-streams-per-connection");
    }
}
