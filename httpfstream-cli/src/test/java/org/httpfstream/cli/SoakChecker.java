package org.httpfstream.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.httpfstream.cli.SoakHistory.Follower;
import org.httpfstream.cli.SoakHistory.Op;
import org.httpfstream.cli.SoakHistory.Outcome;

/**
 * Checks a stream's final bytes and its followers' bytes against the {@link SoakHistory}. Single writer per
 * stream makes the stream a register of appends, so the checks are direct (no search over orders):
 * <ul>
 *   <li>every byte belongs to a line some operation of this stream sent, byte for byte (no unknown or
 *       half line);
 *   <li>no line twice (no duplicate), the lines of one operation together and in their order, a prefix of
 *       them (an append session is never interleaved with another);
 *   <li>every line of an acknowledged ({@link Outcome#OK}) operation there; none of a {@link Outcome#FAILED}
 *       one;
 *   <li>real time: an operation present in the stream comes after every acknowledged operation whose
 *       acknowledgement came before it was invoked (the order is linearizable);
 *   <li>every follower's bytes, across its reconnects, are exactly the stream's bytes: the byte at offset X
 *       is the final byte at offset X, no gap, no duplicate, and it caught up to the end.
 * </ul>
 *
 * <p>Thread safety: not thread safe; used by the test's thread after the workload stopped.
 */
final class SoakChecker {

    private static final Pattern LINE = Pattern.compile("s(\\d+) w(\\d+) o(\\d+) l(\\d+) x*\n");

    private SoakChecker() {
    }

    /** The anomalies found in stream {@code stream} whose final bytes are {@code text}; empty if none. */
    static List<String> check(int stream, String text, List<Op> ops, List<Follower> followers) {
        List<String> bad = new ArrayList<>();
        Map<String, Op> byKey = new HashMap<>();
        for (Op o : ops) {
            byKey.put(o.key(), o);
        }
        // 1. parse: every line known and exact; operations contiguous, in order, each once
        List<Op> order = new ArrayList<>(); // operations present, in stream order
        Map<String, Integer> position = new HashMap<>();
        Map<String, Integer> linesSeen = new HashMap<>();
        Op current = null;
        int at = 0;
        Matcher m = LINE.matcher(text);
        while (at < text.length()) {
            if (!m.find(at) || m.start() != at) {
                int end = text.indexOf('\n', at);
                bad.add("s" + stream + " offset " + at + ": unknown bytes "
                        + quote(text.substring(at, end < 0 ? text.length() : Math.min(end + 1, at + 80))));
                if (end < 0) {
                    break;
                }
                at = end + 1;
                current = null;
                continue;
            }
            String key = "w" + m.group(2) + " o" + m.group(3);
            int index = Integer.parseInt(m.group(4));
            Op o = byKey.get(key);
            if (Integer.parseInt(m.group(1)) != stream || o == null || index >= o.lines().size()
                    || !o.lines().get(index).equals(m.group())) {
                bad.add("s" + stream + " offset " + at + ": a line no operation of this stream sent: "
                        + quote(m.group()));
            } else if (o != current) {
                if (position.containsKey(key)) {
                    bad.add("s" + stream + " offset " + at + ": " + key + " again (duplicate or interleaved), line "
                            + index);
                } else {
                    position.put(key, order.size());
                    order.add(o);
                    linesSeen.put(key, 0);
                }
                current = o;
                checkIndex(bad, stream, at, key, index, linesSeen);
            } else {
                checkIndex(bad, stream, at, key, index, linesSeen);
            }
            at = m.end();
        }
        // 2. outcomes
        for (Op o : ops) {
            Integer seen = linesSeen.get(o.key());
            if (o.outcome() == Outcome.OK && (seen == null || seen != o.lines().size())) {
                bad.add("s" + stream + " LOST: acknowledged " + o.key() + " (" + o.lines().size() + " lines, via "
                        + o.node() + ", acked at " + String.format("%.3fs", SoakHistory.seconds(o.completed()))
                        + ") has " + (seen == null ? 0 : seen) + " lines in the stream");
            } else if (o.outcome() == Outcome.FAILED && seen != null) {
                bad.add("s" + stream + " failed " + o.key() + " (" + o.error() + ") is in the stream");
            }
        }
        // 3. real time: for each present op P, every OK op acknowledged before P was invoked precedes P
        List<Op> acked = new ArrayList<>(ops.stream().filter(o -> o.outcome() == Outcome.OK).toList());
        acked.sort(Comparator.comparingLong(Op::completed));
        long[] completed = acked.stream().mapToLong(Op::completed).toArray();
        int[] maxPosition = new int[acked.size()];
        String[] maxKey = new String[acked.size()];
        int best = -1;
        String bestKey = null;
        for (int i = 0; i < acked.size(); i++) {
            Integer p = position.get(acked.get(i).key());
            if (p != null && p > best) {
                best = p;
                bestKey = acked.get(i).key();
            }
            maxPosition[i] = best;
            maxKey[i] = bestKey;
        }
        for (int p = 0; p < order.size(); p++) {
            Op o = order.get(p);
            int i = Arrays.binarySearch(completed, o.invoked());
            int before = (i >= 0 ? i : -i - 1) - 1; // last ack strictly before the invocation (ties: not before)
            while (before >= 0 && completed[before] >= o.invoked()) {
                before--;
            }
            if (before >= 0 && maxPosition[before] > p) {
                bad.add("s" + stream + " REORDER: " + o.key() + " invoked at "
                        + String.format("%.3fs", SoakHistory.seconds(o.invoked())) + " stands before " + maxKey[before]
                        + ", acknowledged before that");
            }
        }
        // 4. followers
        byte[] fin = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (Follower f : followers) {
            byte[] got = f.bytes();
            int n = Math.min(got.length, fin.length);
            int diff = Arrays.mismatch(Arrays.copyOf(got, n), Arrays.copyOf(fin, n));
            if (diff >= 0) {
                bad.add("follower " + f.name + ": byte at offset " + diff + " differs from the stream's: got "
                        + quote(SoakHistory.text(Arrays.copyOfRange(got, Math.max(0, diff - 20),
                                Math.min(got.length, diff + 40))))
                        + ", stream has " + quote(SoakHistory.text(Arrays.copyOfRange(fin, Math.max(0, diff - 20),
                                Math.min(fin.length, diff + 40)))));
            } else if (got.length != fin.length) {
                bad.add("follower " + f.name + ": has " + got.length + " bytes, the stream " + fin.length);
            }
        }
        return bad;
    }

    private static void checkIndex(List<String> bad, int stream, int at, String key, int index,
            Map<String, Integer> linesSeen) {
        int expected = linesSeen.get(key);
        if (index != expected) {
            bad.add("s" + stream + " offset " + at + ": " + key + " line " + index + " where line " + expected
                    + " was due (gap or reorder inside an append)");
        }
        linesSeen.put(key, expected + 1);
    }

    private static String quote(String s) {
        return "\"" + s.replace("\n", "\\n") + "\"";
    }
}
