package org.httpfstream.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations written as Go writes them: one or more decimal numbers with a unit each, {@code ns},
 * {@code us}, {@code ms}, {@code s}, {@code m}, {@code h} — {@code 500ms}, {@code 30s}, {@code 1m30s},
 * {@code 1.5h}. Thread safety: stateless.
 */
final class GoDuration {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h)");

    private GoDuration() {}

    /** Parses {@code text}; throws IllegalArgumentException naming the text if it is not a duration. */
    static Duration parse(String text) {
        if (ParsingConverter.nonBlank(text, "duration").equals("0")) { // as in Go, the one number that needs no unit
            return Duration.ZERO;
        }
        Matcher m = PART.matcher(text);
        double nanos = 0;
        int at = 0;
        while (at < text.length()) {
            if (!m.find(at) || m.start() != at) {
                throw new IllegalArgumentException("invalid duration \"" + text + "\" (e.g. 500ms, 30s, 1m)");
            }
            double n = Double.parseDouble(m.group(1));
            nanos += n * switch (m.group(2)) {
                case "ns" -> 1d;
                case "us", "µs" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
            at = m.end();
        }
        return Duration.ofNanos(Math.round(nanos));
    }

    /** picocli converter. */
    static final class Converter extends ParsingConverter<Duration> {
        public Converter() {
            super(GoDuration::parse);
        }
    }
}
