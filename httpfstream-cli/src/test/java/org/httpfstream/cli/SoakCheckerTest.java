package org.httpfstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.httpfstream.cli.SoakHistory.Follower;
import org.httpfstream.cli.SoakHistory.Op;
import org.httpfstream.cli.SoakHistory.Outcome;
import org.junit.jupiter.api.Test;

/** The soak's checker on made-up histories: it passes a good one and names each kind of anomaly. */
class SoakCheckerTest {

    private static Op op(int writer, long n, int lines, long invoked, long completed, Outcome outcome) {
        List<String> l = java.util.stream.IntStream.range(0, lines)
                .mapToObj(i -> SoakHistory.line(0, writer, n, i, 3)).toList();
        return new Op(0, writer, n, l, invoked, completed, outcome, "front0", null);
    }

    private static String text(Op... ops) {
        StringBuilder b = new StringBuilder();
        for (Op o : ops) {
            o.lines().forEach(b::append);
        }
        return b.toString();
    }

    private final Op a = op(0, 0, 2, 10, 20, Outcome.OK);
    private final Op b = op(1, 0, 1, 30, 40, Outcome.OK);
    private final Op c = op(0, 1, 3, 50, 60, Outcome.INDETERMINATE);
    private final Op d = op(1, 1, 1, 50, 55, Outcome.FAILED);

    @Test
    void aGoodHistoryHasNoAnomaly() {
        Follower f = new Follower("f", 0);
        String t = text(a, b) + c.lines().get(0);
        byte[] bytes = t.getBytes(StandardCharsets.UTF_8);
        f.received(bytes, 0, bytes.length);
        assertThat(SoakChecker.check(0, t, List.of(a, b, c, d), List.of(f))).isEmpty();
    }

    @Test
    void namesALostAcknowledgedAppend() {
        assertThat(SoakChecker.check(0, text(a), List.of(a, b), List.of()))
                .singleElement().asString().contains("LOST").contains("w1 o000000");
    }

    @Test
    void namesADuplicateAReorderAFailedAppendAndUnknownBytes() {
        assertThat(SoakChecker.check(0, text(a, b, a), List.of(a, b), List.of()))
                .anyMatch(s -> s.contains("again (duplicate"));
        assertThat(SoakChecker.check(0, text(b, a), List.of(a, b), List.of()))
                .anyMatch(s -> s.contains("REORDER"));
        assertThat(SoakChecker.check(0, text(a, b, d), List.of(a, b, d), List.of()))
                .anyMatch(s -> s.contains("failed w1 o000001"));
        assertThat(SoakChecker.check(0, text(a) + "s0 w0 o0", List.of(a), List.of()))
                .anyMatch(s -> s.contains("unknown bytes"));
        assertThat(SoakChecker.check(0, text(a) + c.lines().get(1), List.of(a, c), List.of()))
                .anyMatch(s -> s.contains("line 1 where line 0 was due"));
    }

    @Test
    void namesAFollowerThatMissedOrRepeatedBytes() {
        String t = text(a, b);
        Follower gap = new Follower("gap", 0);
        byte[] skipped = (a.lines().get(0) + b.lines().get(0)).getBytes(StandardCharsets.UTF_8);
        gap.received(skipped, 0, skipped.length);
        Follower shortOne = new Follower("short", 0);
        byte[] prefix = a.lines().get(0).getBytes(StandardCharsets.UTF_8);
        shortOne.received(prefix, 0, prefix.length);
        assertThat(SoakChecker.check(0, t, List.of(a, b), List.of(gap, shortOne)))
                .anyMatch(s -> s.startsWith("follower gap: byte at offset"))
                .anyMatch(s -> s.startsWith("follower short: has"));
    }
}
