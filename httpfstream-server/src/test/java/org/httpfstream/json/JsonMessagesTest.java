package org.httpfstream.json;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class JsonMessagesTest {

    @Test
    void flattensOneLevelAndCompactsEachMessageToOneLine() {
        assertThat(split("[ {\"a\": [1, 2]},\n \"x y\" , [[3]] ]".getBytes(UTF_8)))
                .containsExactly("{\"a\":[1,2]}\n", "\"x y\"\n", "[[3]]\n");
        assertThat(split(" {\"k\" : \"v\\n\"} ".getBytes(UTF_8))).containsExactly("{\"k\":\"v\\n\"}\n");
        assertThat(split("[]".getBytes(UTF_8))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "[1,]", "{\"a\":}", "01", "tru", "\"a", "[1] 2", "{'a':1}", "1.",
        " ", "[1] ,", "{} ,", "[1]x", "1 2", "\"a\" \"b\"", "[1 2]", "{\"a\" 1}", "\"\\x\"", "\"a\tb\"",
        "NaN", "[1,,2]", "/* c */ 1", "[", "]"})
    void refusesInvalidJson(String body) {
        assertThatThrownBy(() -> split(body.getBytes(UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void storedLinesReadBackAsAnArray() {
        byte[] lines = String.join("", List.of("{\"a\":1}\n", "2\n")).getBytes(UTF_8);
        assertThat(new String(JsonMessages.toArray(lines), UTF_8)).isEqualTo("[{\"a\":1},2]");
        assertThat(new String(JsonMessages.toArray(new byte[0]), UTF_8)).isEqualTo("[]");
    }

    @Nested
    class StoresTheClientsOwnBytes {
        @Test
        void stringsKeepTheirEscapesAndNumbersTheirSpelling() {
            String body = "[ {\"\\u0041\" : \"\\u00e9\\/ \\\" \\\\\"} , 1.0E+2 , -0 , 1e400 , "
                    + "123456789012345678901234567890 , \"\\ud83d\\ude00\" ]";
            assertThat(split(body.getBytes(UTF_8))).containsExactly(
                    "{\"\\u0041\":\"\\u00e9\\/ \\\" \\\\\"}\n", "1.0E+2\n", "-0\n", "1e400\n",
                    "123456789012345678901234567890\n", "\"\\ud83d\\ude00\"\n");
        }

        /** Bodies stored as sent, message by message: each row is a body and the lines it is stored as. */
        static List<Arguments> storedAsSent() {
            return List.of(
                    stored("whitespace inside strings is kept and outside is dropped",
                            "\r\n\t[ \" a , b \" ,\t{ \"k k\" :\n[ true , false , null ] } ]\n",
                            "\" a , b \"\n", "{\"k k\":[true,false,null]}\n"),
                    stored("a string ending in an escaped backslash ends there",
                            "[\"a\\\\\" , \"b\"]", "\"a\\\\\"\n", "\"b\"\n"),
                    stored("non-ASCII text is stored as sent",
                            "[\"é 😀 日本\", {\"ключ\": 1}]", "\"é 😀 日本\"\n", "{\"ключ\":1}\n"),
                    stored("a repeated key is stored as sent", "{\"a\":1, \"a\":2}", "{\"a\":1,\"a\":2}\n"),
                    stored("a replacement character sent is kept",
                            "[\"\uFFFD\", \"a\uFFFDb\"]", "\"\uFFFD\"\n", "\"a\uFFFDb\"\n"),
                    stored("a lone surrogate escape is stored as sent", "\"\\ud800\"", "\"\\ud800\"\n"));
        }

        private static Arguments stored(String name, String body, String... lines) {
            return Arguments.of(Named.of(name, body), lines);
        }

        @ParameterizedTest
        @MethodSource("storedAsSent")
        void isStoredAsSent(String body, String[] lines) {
            assertThat(split(body.getBytes(UTF_8))).containsExactly(lines);
        }

        @Test
        void aTopLevelScalarOrEmptyContainerIsOneMessage() {
            assertThat(split(" 42 ".getBytes(UTF_8))).containsExactly("42\n");
            assertThat(split("\"s\"".getBytes(UTF_8))).containsExactly("\"s\"\n");
            assertThat(split("{ }".getBytes(UTF_8))).containsExactly("{}\n");
            assertThat(split("[[ ]]".getBytes(UTF_8))).containsExactly("[]\n");
            assertThat(split("[ ]".getBytes(UTF_8))).isEmpty();
        }

        @Test
        void aLongStringIsAccepted() {
            String big = "x".repeat(25_000_000); // over Jackson's default limit for strings it holds
            assertThat(split(("[\"" + big + "\"]").getBytes(UTF_8)))
                    .containsExactly("\"" + big + "\"\n");
        }
    }

    @Nested
    class RefusesHostileInput {
        @Test
        void nestingDeeperThanTheLimit() {
            int d = JsonMessages.MAX_DEPTH;
            assertThat(split(nested(d).getBytes(UTF_8))).hasSize(1);
            assertRefused(nested(d + 1).getBytes(UTF_8), "nesting depth");
            assertRefused(nested(100_000).getBytes(UTF_8), "nesting depth");
        }

        @Test
        void aNumberLongerThanTheLimit() {
            String ok = "9".repeat(JsonMessages.MAX_NUMBER_LENGTH);
            assertThat(split(("[" + ok + "]").getBytes(UTF_8))).containsExactly(ok + "\n");
            assertRefused(("[" + ok + "9]").getBytes(UTF_8), "Number value length");
            assertRefused(("[1." + "5".repeat(100_000) + "]").getBytes(UTF_8), "Number value length");
        }

        @Test
        void bytesThatAreNotUtf8() {
            assertRefused(bytes("\"", 0xC3, "\""), "UTF-8"); // a truncated sequence
            assertRefused(bytes("\"", 0x80, "\""), "UTF-8"); // a lone continuation byte
            assertRefused(bytes("\"", 0xFF, "\""), "UTF-8");
            // Jackson alone accepts these three: an overlong NUL, an encoded surrogate, a code point past U+10FFFF.
            String strict = "body is not valid UTF-8";
            assertRefused(bytes("\"", 0xC0, 0x80, "\""), strict);
            assertRefused(bytes("\"", 0xED, 0xA0, 0x80, "\""), strict);
            assertRefused(bytes("\"", 0xF4, 0x90, 0x80, 0x80, "\""), strict);
            assertRefused(bytes("[\"ok\",", 0xE2, 0x82, "]"), "UTF-8");
        }

        @Test
        void aByteOrderMarkOrUtf16() {
            assertRefused(bytes(0xEF, 0xBB, 0xBF, "[1]"), "byte-order mark");
            assertRefused("[1]".getBytes(java.nio.charset.StandardCharsets.UTF_16BE), "NUL");
            assertRefused("[1]".getBytes(java.nio.charset.StandardCharsets.UTF_16LE), "NUL");
        }

        @Test
        void controlCharactersAndBadEscapesInStrings() {
            assertRefused("[\"a\nb\"]".getBytes(UTF_8), "CTRL-CHAR");
            assertRefused("[\"\\q\"]".getBytes(UTF_8), "escape");
            assertRefused("[\"\\u12G4\"]".getBytes(UTF_8), "escape");
        }

        @Test
        void aKeyLongerThanJacksonsLimit() {
            String key = "k".repeat(50_000);
            assertThat(split(("{\"" + key + "\":1}").getBytes(UTF_8))).containsExactly("{\"" + key + "\":1}\n");
            assertRefused(("{\"" + key + "k\":1}").getBytes(UTF_8), "Name length");
        }

        @Test
        void trailingData() {
            assertRefused("[1] [2]".getBytes(UTF_8), "after the JSON value");
        }
    }

    /** The stored lines of {@code body}, one string each, checked against the message count. */
    static List<String> split(byte[] body) {
        JsonMessages.Messages m = JsonMessages.split(body);
        String text = new String(m.lines(), UTF_8);
        List<String> lines = text.isEmpty() ? List.of() : Arrays.stream(text.split("(?<=\n)")).toList();
        assertThat(lines).hasSize(m.count()).allSatisfy(l -> assertThat(l).endsWith("\n").hasLineCount(1));
        return lines;
    }

    static String nested(int depth) {
        return "[".repeat(depth) + "]".repeat(depth);
    }

    static byte[] bytes(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object p : parts) {
            if (p instanceof String s) {
                out.writeBytes(s.getBytes(UTF_8));
            } else {
                out.write((Integer) p);
            }
        }
        return out.toByteArray();
    }

    static void assertRefused(byte[] body, String why) {
        assertThatThrownBy(() -> split(body))
                .isInstanceOf(JsonException.class)
                .hasMessageContaining(why)
                .hasMessageNotContaining("\n")
                .satisfies(e -> assertThat(e.getMessage()).startsWith(
                        e.getMessage().startsWith("body") ? "body is not valid UTF-8" : "invalid JSON"));
    }
}
