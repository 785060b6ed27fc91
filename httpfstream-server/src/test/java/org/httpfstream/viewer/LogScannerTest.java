package org.httpfstream.viewer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What the scanner makes of SGR sequences and section markers. */
class LogScannerTest {
    static LogScanner scan(String text) {
        LogScanner s = new LogScanner();
        byte[] b = text.getBytes(UTF_8);
        s.feed(b, 0, b.length, (l, o) -> { });
        return s;
    }

    @Nested
    class TheSgrStateIsRestoredByOneSequence {
        @ParameterizedTest(name = "{0}")
        @CsvSource(delimiter = '|', value = {
            "[31m|[0;31m", "[1;32m|[0;1;32m", "[91m|[0;91m", "[38;5;208m|[0;38;5;208m", "[38;5;3m|[0;33m",
            "[38;5;12m|[0;94m", "[38;2;1;2;3m|[0;38;2;1;2;3m", "[38:2:1:2:3m|[0;38;2;1;2;3m", "[48;5;200m|[0;48;5;200m",
            "[104m|[0;104m", "[1;2;3;4;5;7;8;9m|[0;1;2;3;4;5;7;8;9m", "[1m[22m|''", "[31m[0m|''", "[31m[m|''",
            "[31m[39m|''", "[4m[24m|''", "[7m[27m|''", "[3m[23m|''", "[9m[29m|''", "[31;42m[49m|[0;31m",
            "[?25l[31m|[0;31m", "[2K[31m[1G|[0;31m", "[31|''"})
        void sequence(String sgr, String expected) {
            String e = expected.replace("[", "\u001b[");
            assertThat(scan(sgr.replace("[", "\u001b[") + "text").sgr().escape()).isEqualTo(e);
        }

        @Test
        void aLineFeedEndsABrokenSequence() {
            assertThat(scan("\u001b]8;;http://x\nnext \u001b[33m").sgr().escape()).isEqualTo("\u001b[0;33m");
            assertThat(scan("\u001b[31\n\u001b[32m").sgr().escape()).isEqualTo("\u001b[0;32m");
        }

        @Test
        void theStateCarriesAcrossLines() {
            assertThat(scan("\u001b[35mone\ntwo\n").sgr().escape()).isEqualTo("\u001b[0;35m");
        }
    }

    @Nested
    class SectionsOpenAndClose {
        @Test
        void githubGroupsDoNotNest() {
            LogScanner s = scan("::group::One\na\n::group::Two\nb\n");
            assertThat(s.sections().open()).containsExactly(new Section("github", "Two", 3, true, ""));
            assertThat(scan("::group::One\na\n::endgroup::\n").sections().open()).isEmpty();
        }

        @Test
        void gitlabSectionsNestAndAnEndClosesWhatIsInside() {
            String log = "\u001b[0Ksection_start:1:outer[collapsed=true]\r\u001b[0KOuter header\n"
                    + "section_start:2:inner\r\u001b[0KInner\nx\n";
            assertThat(scan(log).sections().open()).containsExactly(
                    new Section("gitlab", "Outer header", 1, true, "outer"),
                    new Section("gitlab", "Inner", 2, false, "inner"));
            assertThat(scan(log + "\u001b[0Ksection_end:3:outer\r\u001b[0K\n").sections().open()).isEmpty();
            assertThat(scan(log + "section_end:3:inner\n").sections().open())
                    .containsExactly(new Section("gitlab", "Outer header", 1, true, "outer"));
        }

        @Test
        void gitlabEndAndStartOnOneLine() {
            String log = "section_start:1:a\r\u001b[0KA\nsection_end:2:a\r\u001b[0Ksection_start:2:b\r\u001b[0KB\n";
            assertThat(scan(log).sections().open()).containsExactly(new Section("gitlab", "B", 2, false, "b"));
        }

        @Test
        void aGitlabSectionWithoutHeaderTextIsTitledByItsName() {
            assertThat(scan("section_start:1:deploy\r\u001b[0K\n").sections().open())
                    .containsExactly(new Section("gitlab", "deploy", 1, false, "deploy"));
        }

        @Test
        void buildkiteGroupsReplaceEachOther() {
            assertThat(scan("--- One\n+++ Two :rocket:\n").sections().open())
                    .containsExactly(new Section("buildkite", "Two :rocket:", 2, false, ""));
            assertThat(scan("~~~ Three\n").sections().open())
                    .containsExactly(new Section("buildkite", "Three", 1, true, ""));
        }

        @Test
        void markersAreReadThroughColours() {
            assertThat(scan("\u001b[36m::group::\u001b[1mCoded\u001b[0m\n").sections().open())
                    .containsExactly(new Section("github", "Coded", 1, true, ""));
        }

        @Test
        void kindsNestInEachOther() {
            List<Section> open = scan("--- Deploy\n::group::Inside\nsection_start:1:x\r\u001b[0KX\n").sections().open();
            assertThat(open).extracting(Section::kind).containsExactly("buildkite", "github", "gitlab");
        }

        @Test
        void markersPastTheFirstBytesOfALineAreNotRead() {
            assertThat(scan("x".repeat(LogScanner.PREFIX) + "::group::late\n").sections().open()).isEmpty();
            assertThat(scan("text ::group::not at the start\n").sections().open()).isEmpty();
        }
    }
}
