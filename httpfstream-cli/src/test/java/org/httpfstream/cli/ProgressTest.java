package org.httpfstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The progress line on its own, with a clock the test moves. */
class ProgressTest {

    private static final long MS = 1_000_000L;

    private final StringWriter screen = new StringWriter();
    private final AtomicLong now = new AtomicLong(1_000 * MS);

    private Progress progress(long total) {
        return new Progress(new PrintWriter(screen), total, now::get);
    }

    @Nested
    class OfAKnownSize {
        @Test
        void showsThePercentageTheBytesTheRateAndTheTimeLeft() {
            Progress progress = progress(4 * 1024 * 1024);
            now.addAndGet(1_000 * MS);
            progress.add(1024 * 1024);
            assertThat(screen.toString()).isEqualTo("\r 25%  1.0 MiB of 4.0 MiB  1.0 MiB/s  ETA 0:03");
        }

        @Test
        void endsWithTheAverageRateAndANewline() {
            Progress progress = progress(2048);
            now.addAndGet(100 * MS);
            progress.add(1024); // too soon to draw
            now.addAndGet(100 * MS);
            progress.add(1024);
            progress.end();
            assertThat(screen.toString()).isEqualTo("\r100%  2.0 KiB of 2.0 KiB  10.0 KiB/s\n");
        }
    }

    @Nested
    class OfAnUnknownSize {
        @Test
        void showsTheBytesAndTheRateOnly() {
            Progress progress = progress(-1);
            now.addAndGet(500 * MS);
            progress.add(1000);
            assertThat(screen.toString()).isEqualTo("\r1000 B  2.0 KiB/s");
        }

        @Test
        void aShorterLineCoversTheLongerOneBeforeIt() {
            Progress progress = progress(-1);
            now.addAndGet(250 * MS);
            progress.add(5 * 1024 * 1024); // "5.0 MiB  20.0 MiB/s": 19 characters
            now.addAndGet(10_000 * MS);
            progress.add(1); // "5.0 MiB  0 B/s": 14, then 5 spaces
            assertThat(screen.toString()).isEqualTo("\r5.0 MiB  20.0 MiB/s" + "\r5.0 MiB  0 B/s     ");
        }
    }

    @Test
    void redrawsAtMostFourTimesASecondHoweverOftenBytesCome() {
        Progress progress = progress(-1);
        for (int i = 0; i < 1000; i++) {
            now.addAndGet(10 * MS); // 100 reads a second for 10 s
            progress.add(100);
        }
        long redraws = screen.toString().chars().filter(c -> c == '\r').count();
        assertThat(redraws).isEqualTo(40);
    }

    @Test
    void endPrintsNothingWhenNothingCameAndOnlyOnce() {
        Progress nothing = progress(100);
        nothing.end();
        assertThat(screen.toString()).isEmpty();

        Progress some = progress(-1);
        some.add(10);
        some.end();
        some.end();
        some.add(10);
        assertThat(screen.toString()).startsWith("\r10 B  ").endsWith("\n");
        assertThat(screen.toString().chars().filter(c -> c == '\n' || c == '\r')).hasSize(2);
    }

    @Test
    void noneIsSilent() {
        Progress.NONE.add(1 << 20);
        Progress.NONE.end();
        assertThat(screen.toString()).isEmpty();
    }

    @Test
    void sizesAndDurationsReadAsPeopleWriteThem() {
        assertThat(Progress.size(0)).isEqualTo("0 B");
        assertThat(Progress.size(1023)).isEqualTo("1023 B");
        assertThat(Progress.size(1536)).isEqualTo("1.5 KiB");
        assertThat(Progress.size(3L << 30)).isEqualTo("3.0 GiB");
        assertThat(Progress.duration(4)).isEqualTo("0:04");
        assertThat(Progress.duration(750)).isEqualTo("12:30");
        assertThat(Progress.duration(3723)).isEqualTo("1:02:03");
    }
}
