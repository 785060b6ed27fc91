package org.httpfstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.httpfstream.server.Limits;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** The server's limit flags: each sets its field of {@link Limits}, defaults as the server's, 0 for none. */
class LimitOptionsTest {
    static Limits limits(String... args) {
        return CommandLine.populateCommand(new ServerCommand(), args).limits.toLimits();
    }

    @Test
    void withoutFlagsTheLimitsAreTheServersDefaults() {
        assertThat(limits()).isEqualTo(Limits.defaults());
    }

    @Test
    void everyFieldHasItsFlag() {
        assertThat(limits("-max-stream-size=1GiB", "-max-body-size=16M", "-max-followers-per-stream=7",
                "-max-followers=70", "-max-connections=700", "--max-connections-per-address", "7000",
                "-header-timeout=2s", "-request-timeout=1m30s", "-max-producers-per-stream=5"))
                .isEqualTo(new Limits(1L << 30, 16L << 20, 7, 70, 700, 7000, Duration.ofSeconds(2),
                        Duration.ofSeconds(90), 5));
    }

    @Test
    void zeroMeansNoLimitForEachOfThem() {
        assertThat(limits("-max-stream-size=0", "-max-body-size=0", "-max-followers-per-stream=0",
                "-max-followers=0", "-max-connections=0", "-max-connections-per-address=0", "-header-timeout=0",
                "-request-timeout=0", "-max-producers-per-stream=0"))
                .isEqualTo(Limits.none());
    }

    @Test
    void badValuesAreRefusedNamingTheFlag() {
        assertThatThrownBy(() -> limits("-max-body-size=16MB")).isInstanceOf(ParameterException.class)
                .hasMessageContaining("max-body-size").hasMessageContaining("ambiguous size \"16MB\"");
        assertThatThrownBy(() -> limits("-header-timeout=soon")).isInstanceOf(ParameterException.class)
                .hasMessageContaining("header-timeout").hasMessageContaining("soon");
        assertThatThrownBy(() -> limits("-max-connections=-1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("-max-connections must not be negative: -1");
    }

    @Test
    void theUsageListsEveryLimitWithItsDefault() {
        String usage = new CommandLine(new ServerCommand()).getUsageMessage(CommandLine.Help.Ansi.OFF)
                .replaceAll("\\s+", " ");
        assertThat(usage)
                .contains("-max-stream-size=SIZE", "default: 0, no limit")
                .contains("-max-body-size=SIZE", "default: 16MiB")
                .contains("-max-followers-per-stream=N", "default: 10000")
                .contains("-max-followers=N", "default: 100000")
                .contains("-max-connections=N")
                .contains("-max-connections-per-address=N", "default: 20000")
                .contains("-header-timeout=DURATION", "default: 10s")
                .contains("-request-timeout=DURATION", "default: 30s")
                .contains("-max-producers-per-stream=N", "default: 1000");
    }
}
