package org.httpfstream.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * JSON values as plain Java objects, for the control APIs' bodies and the server's small JSON files:
 * objects are {@code Map<String, Object>} (in document order; of a repeated key the last value wins),
 * arrays {@code List<Object>}, integers {@code Long} (beyond a long's range, {@code Double}), other
 * numbers {@code Double}, and strings, booleans and null as themselves.
 *
 * <p>Hostile input is refused with a {@link JsonException}: nesting deeper than {@value #MAX_DEPTH}
 * arrays or objects, a number longer than {@value #MAX_NUMBER_LENGTH} characters, an unknown escape, a
 * control character inside a string, or anything after the value.
 *
 * <p>Thread safety: stateless; the shared factory is configured once and safe to use from any thread.
 */
public final class Json {
    /** The deepest nesting of arrays and objects {@link #parse} accepts. */
    public static final int MAX_DEPTH = 64;
    /** The longest number, in characters, {@link #parse} accepts. */
    public static final int MAX_NUMBER_LENGTH = 1000;

    private static final JsonFactory FACTORY = factory(MAX_DEPTH);

    private Json() {}

    /**
     * A factory (thread-safe once built) whose parsers refuse nesting deeper than {@code maxDepth} and
     * numbers longer than {@value #MAX_NUMBER_LENGTH} characters; Jackson's other limits stay its own.
     */
    static JsonFactory factory(int maxDepth) {
        return JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(maxDepth)
                        .maxNumberLength(MAX_NUMBER_LENGTH)
                        .build())
                .build();
    }

    /**
     * Parses {@code text} as one JSON value.
     *
     * @throws JsonException if {@code text} is not exactly one acceptable JSON value
     */
    public static Object parse(String text) {
        Objects.requireNonNull(text, "text");
        try (JsonParser p = FACTORY.createParser(text)) {
            try {
                JsonToken first = p.nextToken();
                if (first == null) {
                    throw new JsonException("invalid JSON: no value");
                }
                Object value = read(p, first);
                if (p.nextToken() != null) {
                    throw new JsonException("invalid JSON: unexpected data after the JSON value");
                }
                return value;
            } catch (JsonProcessingException e) {
                throw JsonException.of(e, p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading a String cannot fail", e);
        }
    }

    /** {@code value} as compact JSON: maps, collections, strings, numbers, booleans, null (see {@link #writeRounded}). */
    public static String write(Object value) {
        return write(value, -1);
    }

    /**
     * {@code value} as compact JSON, doubles and floats written with at most {@code decimals} decimals
     * (an integral one under 10^15 without any), for reports that people read.
     *
     * <p>Of both writers: NaN and infinities become {@code null}; map keys are written as
     * {@link String#valueOf}; any other object is written as the string of its {@code toString()}.
     */
    public static String writeRounded(Object value, int decimals) {
        if (decimals < 0) {
            throw new IllegalArgumentException("decimals < 0: " + decimals);
        }
        return write(value, decimals);
    }

    private static String write(Object value, int decimals) {
        StringWriter out = new StringWriter(64);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            write(g, value, decimals);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to a String cannot fail", e);
        }
        return out.toString();
    }

    private static Object read(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    m.put(key, read(p, p.nextToken()));
                }
                return m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    l.add(read(p, e));
                }
                return l;
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_NUMBER_INT -> {
                return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? (Object) p.getDoubleValue()
                        : (Object) p.getLongValue();
            }
            case VALUE_NUMBER_FLOAT -> {
                return p.getDoubleValue();
            }
            case VALUE_TRUE -> {
                return Boolean.TRUE;
            }
            case VALUE_FALSE -> {
                return Boolean.FALSE;
            }
            case VALUE_NULL -> {
                return null;
            }
            default -> throw new JsonException("invalid JSON: unexpected " + t);
        }
    }

    private static void write(JsonGenerator g, Object v, int decimals) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof String s) {
            g.writeString(s);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof Number n) {
            number(g, n, decimals);
        } else if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                write(g, e.getValue(), decimals);
            }
            g.writeEndObject();
        } else if (v instanceof Collection<?> c) {
            g.writeStartArray();
            for (Object o : c) {
                write(g, o, decimals);
            }
            g.writeEndArray();
        } else {
            g.writeString(v.toString());
        }
    }

    private static void number(JsonGenerator g, Number n, int decimals) throws IOException {
        if (n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte) {
            g.writeNumber(n.longValue());
        } else if (n instanceof Double || n instanceof Float) {
            double d = n.doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                g.writeNull();
            } else if (decimals < 0) {
                if (n instanceof Float f) {
                    g.writeNumber(f);
                } else {
                    g.writeNumber(d);
                }
            } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                g.writeNumber((long) d);
            } else {
                g.writeNumber(BigDecimal.valueOf(d).setScale(decimals, RoundingMode.HALF_EVEN)
                        .stripTrailingZeros().toPlainString());
            }
        } else if (n instanceof BigInteger b) {
            g.writeNumber(b);
        } else if (n instanceof BigDecimal b) {
            g.writeNumber(b.toPlainString());
        } else {
            g.writeNumber(n.toString());
        }
    }
}
