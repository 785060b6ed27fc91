package org.httpfstream.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Offset tokens: 16 lowercase hex digits, sorted as the positions they name, and two sentinels. */
class OffsetsTest {
    @Test
    void aTokenIsTheByteAsSixteenLowercaseHexDigits() {
        assertThat(Offsets.format(0)).isEqualTo("0000000000000000");
        assertThat(Offsets.format(1024)).isEqualTo("0000000000000400");
        assertThat(Offsets.format(Long.MAX_VALUE)).isEqualTo("7fffffffffffffff");
        assertThat(Offsets.format(0xabcdefL)).isEqualTo("0000000000abcdef");
        assertThatThrownBy(() -> Offsets.format(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("position < 0: -1");
    }

    @Test
    void parsingGivesBackThePositionUpToTheTail() throws InvalidOffsetException {
        assertThat(Offsets.parse("0000000000000400", 1024)).isEqualTo(1024);
        assertThat(Offsets.parse("0000000000abcdef", Long.MAX_VALUE)).isEqualTo(0xabcdefL);
        assertThat(Offsets.parse("0000000000000000", 0)).isZero();
        assertThat(Offsets.parse(Offsets.format(123456789L), 123456789L)).isEqualTo(123456789L);
    }

    @Test
    void theSentinelsNameTheStartAndTheTail() throws InvalidOffsetException {
        assertThat(Offsets.parse(null, 7)).isZero();
        assertThat(Offsets.parse("-1", 7)).isZero();
        assertThat(Offsets.parse("now", 7)).isEqualTo(7);
    }

    @Test
    void anOffsetPastTheTailIsRefused() {
        assertThatThrownBy(() -> Offsets.parse("0000000000000401", 1024))
                .isInstanceOf(InvalidOffsetException.class)
                .hasMessage("offset 0000000000000401 is past the end of the stream (0000000000000400)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "400", "00000000000004000", "000000000000040G", "000000000000040A", "0000000000000/00",
        "000000000000:000", "0000000000000`00", "000000000000g000", "8000000000000000", "ffffffffffffffff"})
    void aMalformedTokenIsRefused(String token) {
        assertThatThrownBy(() -> Offsets.parse(token, Long.MAX_VALUE))
                .isInstanceOf(InvalidOffsetException.class)
                .hasMessageStartingWith("malformed offset: \"");
    }

    @Test
    void aRefusedTokenIsQuotedShortAndPrintable() {
        String longToken = "x".repeat(50);
        assertThatThrownBy(() -> Offsets.parse(longToken, 0))
                .hasMessage("malformed offset: \"" + "x".repeat(40) + "…\"");
        assertThatThrownBy(() -> Offsets.parse("y".repeat(40), 0))
                .hasMessage("malformed offset: \"" + "y".repeat(40) + "\"");
        assertThatThrownBy(() -> Offsets.parse("00000000\n0000000", 0))
                .hasMessage("malformed offset: \"00000000?0000000\"");
    }
}
