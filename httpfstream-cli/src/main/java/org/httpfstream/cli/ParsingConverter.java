package org.httpfstream.cli;

import java.util.function.Function;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A picocli converter made of a parse function that throws IllegalArgumentException with the message to
 * show: the message becomes picocli's conversion error, which picocli prints with the option's name. Each
 * flag type ({@link ByteSize}, {@link GoDuration}, {@link BindAddress}) has a {@code Converter} that is
 * this with its own {@code parse}. Written here because picocli's converters are classes named in
 * annotations, and picocli has none made from a function.
 *
 * <p>Thread safety: stateless, as long as the parse function is.
 */
abstract class ParsingConverter<T> implements ITypeConverter<T> {
    private final Function<String, T> parse;

    ParsingConverter(Function<String, T> parse) {
        this.parse = parse;
    }

    /**
     * {@code text}, if it holds more than white space; the one check every flag grammar starts with.
     *
     * @param what the kind of value, for the message, e.g. {@code "size"}
     * @throws IllegalArgumentException {@code "invalid WHAT: empty"} for null, empty or blank text
     */
    static String nonBlank(String text, String what) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("invalid " + what + ": empty");
        }
        return text;
    }

    @Override
    public final T convert(String value) {
        try {
            return parse.apply(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
