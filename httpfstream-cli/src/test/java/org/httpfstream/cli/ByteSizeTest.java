package org.httpfstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizeTest {
    @Test
    void parsesBytesAndBinaryUnits() {
        assertThat(ByteSize.parse("0")).isZero();
        assertThat(ByteSize.parse("1000")).isEqualTo(1000);
        assertThat(ByteSize.parse("100B")).isEqualTo(100);
        assertThat(ByteSize.parse("512KiB")).isEqualTo(512L * 1024);
        assertThat(ByteSize.parse("16MiB")).isEqualTo(16L << 20);
        assertThat(ByteSize.parse("16M")).isEqualTo(16L << 20);
        assertThat(ByteSize.parse("16m")).isEqualTo(16L << 20);
        assertThat(ByteSize.parse("1GiB")).isEqualTo(1L << 30);
        assertThat(ByteSize.parse("1g")).isEqualTo(1L << 30);
        assertThat(ByteSize.parse("2TiB")).isEqualTo(2L << 40);
        assertThat(ByteSize.parse("8388607TiB")).isEqualTo(8388607L << 40); // the largest that fits a long
    }

    @Test
    void formatsInTheLargestUnitThatDividesIt() {
        assertThat(ByteSize.format(16L << 20)).isEqualTo("16MiB");
        assertThat(ByteSize.format(1536L * 1024)).isEqualTo("1536KiB");
        assertThat(ByteSize.format(1000)).isEqualTo("1000");
        assertThat(ByteSize.format(0)).isEqualTo("0");
        assertThat(ByteSize.parse(ByteSize.format(3L << 30))).isEqualTo(3L << 30);
    }

    @ParameterizedTest
    @ValueSource(strings = {"16MB", "1gb", "10kB"})
    void refusesDecimalLookingUnitsAsAmbiguous(String text) {
        assertThatThrownBy(() -> ByteSize.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ambiguous size \"" + text + "\"").hasMessageContaining("iB");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "MiB", "-1", "1.5GiB", "16 XiB", "8388608TiB", "99999999999999999999"})
    void refusesOtherText(String text) {
        assertThatThrownBy(() -> ByteSize.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageMatching("(invalid size|size too large).*");
    }
}
