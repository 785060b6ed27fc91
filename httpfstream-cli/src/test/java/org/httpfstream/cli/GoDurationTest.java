package org.httpfstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GoDurationTest {

    @Test
    void parsesGoDurations() {
        assertThat(GoDuration.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(GoDuration.parse("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(GoDuration.parse("1m30s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(GoDuration.parse("1.5h")).isEqualTo(Duration.ofMinutes(90));
        assertThat(GoDuration.parse("250us")).isEqualTo(Duration.ofNanos(250_000));
        assertThat(GoDuration.parse("0")).isEqualTo(Duration.ZERO); // as Go: the one number without a unit
        assertThat(GoDuration.parse("0s")).isEqualTo(Duration.ZERO);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "5", "ms", "5 s", "-1s", "1d", "1s2"})
    void refusesOtherText(String text) {
        assertThatThrownBy(() -> GoDuration.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid duration");
    }
}
