package org.httpfstream.viewer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The line index on temporary files, checked against a plain scan from the first byte. */
class LineIndexTest {
    @TempDir
    Path dir;

    Path log() {
        return dir.resolve("x.log");
    }

    Path base() {
        return dir.resolve("index").resolve("x.log.idx");
    }

    LineIndex build(byte[] bytes) throws IOException {
        Files.write(log(), bytes);
        LineIndex index = LineIndex.open(log(), base());
        index.catchUp(bytes.length);
        return index;
    }

    /** The line starts of {@code bytes}, line 1 first, and the state a scan from byte 0 has at each. */
    static List<long[]> starts(byte[] bytes) {
        List<long[]> starts = new ArrayList<>();
        starts.add(new long[] {0});
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                starts.add(new long[] {i + 1});
            }
        }
        if (starts.get(starts.size() - 1)[0] == bytes.length && bytes.length > 0) {
            starts.remove(starts.size() - 1);
        }
        return bytes.length == 0 ? List.of() : starts;
    }

    /** The state a fresh scanner has at each line start, reading the bytes one at a time from the first. */
    static List<LineIndex.Position> reference(byte[] bytes) {
        List<LineIndex.Position> states = new ArrayList<>();
        LogScanner s = new LogScanner();
        LogScanner.Sink none = (l, o) -> { };
        for (long[] start : starts(bytes)) {
            while (s.offset() < start[0]) {
                s.feed(bytes, (int) s.offset(), 1, none);
            }
            states.add(new LineIndex.Position(states.size() + 1, start[0], s.sgr().escape(), s.sections().open()));
        }
        return states;
    }

    void assertMatchesReference(LineIndex index, byte[] bytes, int step) throws IOException {
        List<LineIndex.Position> expected = reference(bytes);
        assertThat(index.lineCount()).isEqualTo(expected.size());
        for (int l = 1; l <= expected.size(); l += step) {
            assertThat(index.lineStart(l)).as("line %d", l).isEqualTo(expected.get(l - 1).offset());
            assertThat(index.position(l)).as("line %d", l).isEqualTo(expected.get(l - 1));
        }
        assertThat(index.lineStart(expected.size() + 1)).isEqualTo(bytes.length);
    }

    /** A log of coloured lines, sections of every kind, escapes of every kind, long lines and junk. */
    static byte[] mixedLog(long seed, int lines) {
        Random r = new Random(seed);
        String[] pieces = {"plain text", "\u001b[31mred\u001b[0m", "\u001b[1;38;5;208mbold orange", "\u001b[48;2;1;2;3mrgb bg",
            "\u001b[0m", "::group::Build step", "::endgroup::", "\u001b[0Ksection_start:1700000000:build[collapsed=true]\r\u001b[0KBuilding",
            "\u001b[0Ksection_end:1700000000:build\r\u001b[0K", "section_start:1:outer\r\u001b[0KOuter", "section_end:1:outer",
            "--- Collapsed group", "+++ Expanded group", "~~~ Tilde group", "\u001b]8;;https://x.example/\u0007link\u001b]8;;\u0007",
            "progress 10%\rprogress 100%", "\u001b[2Kerased", "\u001b[", "\u001b]unterminated osc", "\u00e9\u4e2d\ud83d\ude00 unicode",
            "\u001b[4;3;9munderline italic strike\u001b[24;23;29m", "\u001b[7;2;5;8minverse dim blink hidden\u001b[27;22;25;28m"};
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < lines; i++) {
            int kind = r.nextInt(100);
            if (kind < 2) { // a long line: past the classification prefix and several checkpoints
                byte[] longLine = new byte[r.nextInt(20_000) + LogScanner.PREFIX];
                for (int k = 0; k < longLine.length; k++) {
                    longLine[k] = (byte) (r.nextInt(20) == 0 ? 0x1b : 'a' + r.nextInt(26));
                }
                out.writeBytes(longLine);
            } else if (kind < 5) { // random bytes, invalid UTF-8 included
                byte[] junk = new byte[r.nextInt(200)];
                r.nextBytes(junk);
                out.writeBytes(junk);
            } else {
                out.writeBytes(pieces[r.nextInt(pieces.length)].getBytes(UTF_8));
                if (r.nextBoolean()) {
                    out.writeBytes(pieces[r.nextInt(pieces.length)].getBytes(UTF_8));
                }
            }
            out.write('\n');
        }
        if (r.nextBoolean()) {
            out.writeBytes("an unterminated last line \u001b[32m".getBytes(UTF_8));
        }
        return out.toByteArray();
    }

    @Nested
    class EveryLineHasTheStateOfAScanFromTheStart {
        @ParameterizedTest(name = "seed {0}")
        @ValueSource(longs = {1, 2, 3, 4, 5})
        void mixedLogs(long seed) throws IOException {
            byte[] bytes = mixedLog(seed, 600);
            try (LineIndex index = build(bytes)) {
                assertMatchesReference(index, bytes, 1);
            }
        }

        @Test
        void randomBytes() throws IOException {
            byte[] bytes = new byte[200_000];
            new Random(7).nextBytes(bytes);
            try (LineIndex index = build(bytes)) {
                assertMatchesReference(index, bytes, 17);
            }
        }

        @Test
        void oneLongLineHasCheckpointsInside() throws IOException {
            byte[] bytes = ("\u001b[32m" + "x".repeat(100_000) + "\n\u001b[1mnext\nlast").getBytes(UTF_8);
            try (LineIndex index = build(bytes)) {
                assertThat(index.lineCount()).isEqualTo(3);
                assertThat(index.position(2).sgr()).isEqualTo("\u001b[0;32m");
                assertThat(index.position(3).sgr()).isEqualTo("\u001b[0;1;32m");
                assertThat(Files.size(dir.resolve("index").resolve("x.log.idx.ckpt")))
                        .isGreaterThan(20L * LineIndex.CHECKPOINT);
            }
        }

        @ParameterizedTest(name = "seed {0}")
        @ValueSource(longs = {6, 7})
        void onTheHeapForAStoreWithoutFiles(long seed) throws IOException {
            byte[] bytes = mixedLog(seed, 600);
            Files.write(log(), bytes);
            try (LineIndex index = LineIndex.open(StreamSource.ofFile(log()), null)) {
                index.catchUp(bytes.length / 3);
                index.catchUp(bytes.length);
                assertMatchesReference(index, bytes, 1);
            }
            assertThat(dir.resolve("index")).as("no file made").doesNotExist();
        }

        @Test
        void anEmptyLogHasNoLines() throws IOException {
            try (LineIndex index = build(new byte[0])) {
                assertThat(index.lineCount()).isZero();
                assertThat(index.lineStart(1)).isZero();
            }
        }
    }

    @Nested
    class BuiltIncrementally {
        /** Writes a mixed log of 500 lines from {@code seed}, indexes it, closes the index; returns the log. */
        byte[] indexedAndClosed(long seed) throws IOException {
            byte[] bytes = mixedLog(seed, 500);
            build(bytes).close();
            return bytes;
        }

        /** Opens the index of {@link #log()} holding {@code bytes}: it starts from nothing, then matches them. */
        void assertRebuiltFromTheStart(byte[] bytes) throws IOException {
            try (LineIndex index = LineIndex.open(log(), base())) {
                assertThat(index.indexedLength()).isZero();
                index.catchUp(bytes.length);
                assertMatchesReference(index, bytes, 1);
            }
        }

        @Test
        void appendsInPiecesGiveTheSameIndex() throws IOException {
            byte[] bytes = mixedLog(11, 800);
            Files.write(log(), new byte[0]);
            try (LineIndex index = LineIndex.open(log(), base())) {
                Random r = new Random(3);
                for (int at = 0; at < bytes.length;) {
                    int n = Math.min(bytes.length - at, r.nextInt(5000) + 1);
                    Files.write(log(), java.util.Arrays.copyOfRange(bytes, at, at + n), StandardOpenOption.APPEND);
                    at += n;
                    index.catchUp(at);
                }
                assertMatchesReference(index, bytes, 1);
            }
        }

        @Test
        void resumesFromItsFilesAfterAReopen() throws IOException {
            byte[] bytes = mixedLog(12, 1500);
            int half = bytes.length / 2;
            Files.write(log(), java.util.Arrays.copyOf(bytes, half));
            try (LineIndex index = LineIndex.open(log(), base())) {
                index.catchUp(half);
            }
            Files.write(log(), java.util.Arrays.copyOfRange(bytes, half, bytes.length), StandardOpenOption.APPEND);
            try (LineIndex index = LineIndex.open(log(), base())) {
                assertThat(index.indexedLength()).isPositive().isLessThanOrEqualTo(half); // resumed, not rebuilt
                index.catchUp(bytes.length);
                assertMatchesReference(index, bytes, 1);
            }
        }

        @Test
        void isRebuiltWhenItsFilesAreDeleted() throws IOException {
            byte[] bytes = indexedAndClosed(13);
            LineIndex.delete(base());
            assertRebuiltFromTheStart(bytes);
        }

        @Test
        void isRebuiltWhenTheLogWasReplacedByOtherBytes() throws IOException {
            indexedAndClosed(14);
            byte[] other = mixedLog(15, 700);
            Files.delete(log());
            Files.write(log(), other);
            try (LineIndex index = LineIndex.open(log(), base())) {
                index.catchUp(other.length);
                assertMatchesReference(index, other, 1);
            }
        }

        @Test
        void isRebuiltWhenItsHeaderIsTorn() throws IOException {
            byte[] bytes = indexedAndClosed(16);
            Files.write(dir.resolve("index").resolve("x.log.idx.head"), new byte[] {0x48, 0x46});
            assertRebuiltFromTheStart(bytes);
        }
    }
}
