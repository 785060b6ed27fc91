package org.httpfstream.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {

    @Nested
    class Parse {
        @Test
        void objectsKeepTheirOrderAndValuesTheirTypes() {
            Object v = Json.parse(" {\"z\": 1, \"a\": [true, false, null, -2.5, \"s\\n\\u00e9\"], \"m\": {}} ");
            assertThat(v).isInstanceOf(LinkedHashMap.class);
            Map<?, ?> m = (Map<?, ?>) v;
            assertThat(List.copyOf(m.keySet())).isEqualTo(List.of("z", "a", "m"));
            assertThat(m.get("z")).isEqualTo(1L);
            assertThat(m.get("a")).isEqualTo(Arrays.asList(true, false, null, -2.5, "s\né"));
            assertThat(m.get("m")).isEqualTo(Map.of());
        }

        @Test
        void integersAreLongsAndBeyondALongDoubles() {
            assertThat(Json.parse("9223372036854775807")).isEqualTo(Long.MAX_VALUE);
            assertThat(Json.parse("-12")).isEqualTo(-12L);
            assertThat(Json.parse("123456789012345678901234567890")).isEqualTo(1.2345678901234568E29);
            assertThat(Json.parse("1e2")).isEqualTo(100.0);
        }

        @Test
        void ofARepeatedKeyTheLastValueWins() {
            assertThat(Json.parse("{\"a\":1,\"a\":2}")).isEqualTo(Map.of("a", 2L));
        }

        @Test
        void aLoneSurrogateEscapeIsAChar() {
            assertThat(Json.parse("\"\\ud800\"")).isEqualTo("\ud800");
        }

        @ParameterizedTest
        @ValueSource(strings = {"", " ", "{", "[1,]", "{\"a\":}", "01", "tru", "\"a", "[1] 2", "{'a':1}", "1.",
            "\"\\x\"", "\"a\tb\"", "NaN", "{\"a\" 1}", "[1 2]", "{} x"})
        void refusesInvalidJsonWithOneLine(String text) {
            assertThatThrownBy(() -> Json.parse(text))
                    .isInstanceOf(JsonException.class)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("invalid JSON")
                    .hasMessageNotContaining("\n")
                    .hasMessageNotContaining("REDACTED");
        }

        @Test
        void refusesNestingDeeperThanTheLimit() {
            int d = Json.MAX_DEPTH;
            assertThat(Json.parse("[".repeat(d) + "]".repeat(d))).isInstanceOf(List.class);
            assertThatThrownBy(() -> Json.parse("[".repeat(d + 1) + "]".repeat(d + 1)))
                    .isInstanceOf(JsonException.class).hasMessageContaining("nesting depth (65) exceeds")
                    .hasMessageNotContaining("StreamReadConstraints");
            assertThatThrownBy(() -> Json.parse("{\"a\":".repeat(100_000)))
                    .isInstanceOf(JsonException.class).hasMessageContaining("nesting depth");
        }

        @Test
        void refusesANumberLongerThanTheLimit() {
            assertThat(Json.parse("1".repeat(Json.MAX_NUMBER_LENGTH))).isInstanceOf(Double.class);
            assertThatThrownBy(() -> Json.parse("1".repeat(Json.MAX_NUMBER_LENGTH + 1)))
                    .isInstanceOf(JsonException.class).hasMessageContaining("Number value length");
            assertThatThrownBy(() -> Json.parse("{\"n\":0." + "1".repeat(100_000) + "}"))
                    .isInstanceOf(JsonException.class).hasMessageContaining("Number value length");
        }
    }

    @Nested
    class Write {
        @Test
        void writesCompactJsonInMapOrder() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("z", 1L);
            m.put("list", Arrays.asList("a", null, true, 2, 1.5));
            m.put("set", new TreeSet<>(List.of("b", "a")));
            assertThat(Json.write(m)).isEqualTo("{\"z\":1,\"list\":[\"a\",null,true,2,1.5],\"set\":[\"a\",\"b\"]}");
        }

        @Test
        void escapesWhatJsonRequires() {
            assertThat(Json.write("q\" b\\ n\n r\r t\t \u0001 é /"))
                    .isEqualTo("\"q\\\" b\\\\ n\\n r\\r t\\t \\u0001 é /\"");
        }

        @Test
        void numbersAsJavaSpellsThemAndNaNAsNull() {
            assertThat(Json.write(List.of(1e20, 0.1, 2.0f, new BigInteger("123456789012345678901234567890"),
                    new BigDecimal("1E+3"), Double.NaN, Double.NEGATIVE_INFINITY)))
                    .isEqualTo("[1.0E20,0.1,2.0,123456789012345678901234567890,1000,null,null]");
        }

        @Test
        void roundedWritesAtMostTheDecimalsAsked() {
            assertThat(Json.writeRounded(List.of(1.23456789, 2.0, 1e15, 10.00001, 0.00004, Float.NaN), 4))
                    .isEqualTo("[1.2346,2,1000000000000000,10,0,null]");
            assertThatThrownBy(() -> Json.writeRounded(1.0, -1)).hasMessage("decimals < 0: -1");
        }

        @Test
        void otherObjectsAreStringsAndKeysTheirStringValue() {
            Map<Object, Object> m = new LinkedHashMap<>();
            m.put(7, java.time.Duration.ofSeconds(3));
            assertThat(Json.write(m)).isEqualTo("{\"7\":\"PT3S\"}");
        }

        @Test
        void whatIsWrittenParsesBackEqual() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("s", "é\u0000\"\\");
            m.put("n", List.of(-1L, 2.5, Long.MAX_VALUE));
            m.put("o", Map.of("b", false));
            assertThat(Json.parse(Json.write(m))).isEqualTo(m);
        }
    }
}
