package org.httpfstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** The server's {@code -viewer-idle} flag: 5 s by default, any positive Go duration, nothing else. */
class ViewerIdleFlagTest {
    @Test
    void isFiveSecondsByDefault() {
        assertThat(CommandLine.populateCommand(new ServerCommand()).viewerIdle).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void takesGoDurationsInBothFlagStyles() {
        assertThat(CommandLine.populateCommand(new ServerCommand(), "-viewer-idle=300ms").viewerIdle)
                .isEqualTo(Duration.ofMillis(300));
        assertThat(CommandLine.populateCommand(new ServerCommand(), "--viewer-idle", "1m30s").viewerIdle)
                .isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void refusesWhatIsNoDuration() {
        assertThatThrownBy(() -> CommandLine.populateCommand(new ServerCommand(), "-viewer-idle=5"))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("viewer-idle");
    }

    @Test
    void refusesZeroBeforeStarting() {
        ServerCommand server = CommandLine.populateCommand(new ServerCommand(), "-viewer-idle=0s");
        assertThatThrownBy(server::call)
                .isInstanceOf(CommandFailure.class)
                .hasMessage("-viewer-idle must be positive: PT0S");
    }
}
