package org.httpfstream.subscriptions;

import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * Subscription patterns over stream paths: {@code *} matches within one segment, {@code **} any number
 * of segments; every other character matches itself. Thread safety: stateless.
 */
final class Globs {
    private Globs() {}

    /** True if {@code path} (segments separated by {@code /}) matches {@code pattern}. */
    static boolean matches(String pattern, String path) {
        return matches(pattern.split("/"), 0, path.split("/"), 0);
    }

    private static boolean matches(String[] pat, int i, String[] path, int j) {
        if (i == pat.length) {
            return j == path.length;
        }
        if (pat[i].equals("**")) {
            return matches(pat, i + 1, path, j) || (j < path.length && matches(pat, i, path, j + 1));
        }
        if (j == path.length) {
            return false;
        }
        String regex = Arrays.stream(pat[i].split("\\*", -1)).map(Pattern::quote)
                .reduce((a, b) -> a + "[^/]*" + b).orElse("");
        return path[j].matches(regex) && matches(pat, i + 1, path, j + 1);
    }
}
