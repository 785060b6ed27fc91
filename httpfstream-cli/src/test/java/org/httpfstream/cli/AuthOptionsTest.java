package org.httpfstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The auth flags, parsed as picocli parses them. */
class AuthOptionsTest {
    @Test
    void theServerIsOpenWithoutTokensAndUnlimitedWithThem() {
        ServerCommand server = CommandLine.populateCommand(new ServerCommand());
        assertThat(server.tokens).isNull();
        assertThat(server.tokenRateRequests).isZero();
        assertThat(server.tokenRateBytes).isZero();
        assertThat(server.tokensPoll).isEqualTo(Duration.ofSeconds(1));
        assertThat(server.linkKey).isNull();
    }

    @Test
    void theServerTakesAGrantFileRatesAPollIntervalAndAKey() {
        ServerCommand server = CommandLine.populateCommand(new ServerCommand(), "-tokens=/etc/hfs/tokens",
                "-token-rate-requests=50", "--token-rate-bytes", "1048576", "-tokens-poll=0s", "-link-key=/k");
        assertThat(server.tokens).isEqualTo(Path.of("/etc/hfs/tokens"));
        assertThat(server.tokenRateRequests).isEqualTo(50);
        assertThat(server.tokenRateBytes).isEqualTo(1048576);
        assertThat(server.tokensPoll).isZero();
        assertThat(server.linkKey).isEqualTo(Path.of("/k"));
    }

    @Test
    void appendFollowAndSignTakeAToken() {
        assertThat(CommandLine.populateCommand(new AppendCommand(), "-token=t1", "http://h/x").options.auth.token).isEqualTo("t1");
        assertThat(CommandLine.populateCommand(new FollowCommand(), "--token", "t2", "http://h/x").options.auth.token)
                .isEqualTo("t2");
        SignCommand sign = CommandLine.populateCommand(new SignCommand(), "-token=t3", "-ttl=90m", "http://h/logs/");
        assertThat(sign.auth.token).isEqualTo("t3");
        assertThat(sign.ttl).isEqualTo(Duration.ofMinutes(90));
        assertThat(CommandLine.populateCommand(new SignCommand(), "http://h/x").ttl).isEqualTo(Duration.ofHours(24));
    }
}
