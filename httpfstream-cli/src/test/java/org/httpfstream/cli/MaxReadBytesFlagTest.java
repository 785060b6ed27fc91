package org.httpfstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** The server's {@code -max-read-bytes} flag: no cap by default, any positive cap, nothing else. */
class MaxReadBytesFlagTest {
    @Test
    void isNoCapByDefault() {
        assertThat(CommandLine.populateCommand(new ServerCommand()).maxReadBytes).isZero();
    }

    @Test
    void takesBytesInBothFlagStyles() {
        assertThat(CommandLine.populateCommand(new ServerCommand(), "-max-read-bytes=1048576").maxReadBytes)
                .isEqualTo(1_048_576L);
        assertThat(CommandLine.populateCommand(new ServerCommand(), "--max-read-bytes", "5000000000").maxReadBytes)
                .isEqualTo(5_000_000_000L);
    }

    @Test
    void refusesWhatIsNoNumber() {
        assertThatThrownBy(() -> CommandLine.populateCommand(new ServerCommand(), "-max-read-bytes=1MiB"))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("max-read-bytes")
                .hasMessageContaining("1MiB");
    }

    @Test
    void refusesANegativeCapBeforeStarting() {
        ServerCommand server = CommandLine.populateCommand(new ServerCommand(), "-max-read-bytes=-1");
        assertThatThrownBy(server::call)
                .isInstanceOf(CommandFailure.class)
                .hasMessage("-max-read-bytes must be 0 (no cap) or positive: -1");
    }
}
