package org.httpfstream.durable;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonMessagesTest {

    @Test
    void flattensOneLevelAndCompactsEachMessageToOneLine() {
        assertThat(JsonMessages.split("[ {\"a\": [1, 2]},\n \"x y\" , [[3]] ]".getBytes(UTF_8)))
                .containsExactly("{\"a\":[1,2]}\n", "\"x y\"\n", "[[3]]\n");
        assertThat(JsonMessages.split(" {\"k\" : \"v\\n\"} ".getBytes(UTF_8))).containsExactly("{\"k\":\"v\\n\"}\n");
        assertThat(JsonMessages.split("[]".getBytes(UTF_8))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "[1,]", "{\"a\":}", "01", "tru", "\"a", "[1] 2", "{'a':1}", "1."})
    void refusesInvalidJson(String body) {
        assertThatThrownBy(() -> JsonMessages.split(body.getBytes(UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void storedLinesReadBackAsAnArray() {
        byte[] lines = String.join("", List.of("{\"a\":1}\n", "2\n")).getBytes(UTF_8);
        assertThat(new String(JsonMessages.toArray(lines), UTF_8)).isEqualTo("[{\"a\":1},2]");
        assertThat(new String(JsonMessages.toArray(new byte[0]), UTF_8)).isEqualTo("[]");
    }
}
