package org.httpfstream.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes in bytes as flags take them: a whole number of bytes ({@code 16777216}) or a whole number with
 * a binary unit, {@code KiB}, {@code MiB}, {@code GiB}, {@code TiB}, or its one-letter short form
 * {@code K}, {@code M}, {@code G}, {@code T} (as nginx and Docker read them: {@code 16M} is 16 MiB);
 * {@code B} is bytes. Units are case-insensitive. {@code KB}, {@code MB}, {@code GB} and {@code TB} are
 * refused as ambiguous (1000 or 1024?). Thread safety: stateless.
 */
final class ByteSize {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([a-z]*)");

    private ByteSize() {}

    /** Parses {@code text}; throws IllegalArgumentException naming the text if it is not a size. */
    static long parse(String text) {
        Matcher m = SIZE.matcher(ParsingConverter.nonBlank(text, "size").trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid size \"" + text + "\" (e.g. 1048576, 512KiB, 16MiB, 1G)");
        }
        int shift = switch (m.group(2)) {
            case "", "b" -> 0;
            case "k", "kib" -> 10;
            case "m", "mib" -> 20;
            case "g", "gib" -> 30;
            case "t", "tib" -> 40;
            case "kb", "mb", "gb", "tb" -> throw new IllegalArgumentException("ambiguous size \"" + text
                    + "\": write " + m.group(1) + Character.toUpperCase(m.group(2).charAt(0)) + "iB (powers of "
                    + "1024) or the number of bytes");
            default -> throw new IllegalArgumentException("invalid size \"" + text + "\": unknown unit \""
                    + m.group(2) + "\" (B, KiB, MiB, GiB, TiB or K, M, G, T)");
        };
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size too large: " + text);
        }
        if (n > Long.MAX_VALUE >> shift) {
            throw new IllegalArgumentException("size too large: " + text);
        }
        return n << shift;
    }

    /** {@code bytes} in the largest binary unit that divides it: {@code 16MiB}, {@code 1536KiB}, {@code 100}. */
    static String format(long bytes) {
        String[] units = {"TiB", "GiB", "MiB", "KiB"};
        for (int i = 0; i < units.length; i++) {
            int shift = 40 - 10 * i;
            if (bytes > 0 && bytes % (1L << shift) == 0) {
                return (bytes >> shift) + units[i];
            }
        }
        return Long.toString(bytes);
    }

    /** picocli converter. */
    static final class Converter extends ParsingConverter<Long> {
        public Converter() {
            super(ByteSize::parse);
        }
    }
}
