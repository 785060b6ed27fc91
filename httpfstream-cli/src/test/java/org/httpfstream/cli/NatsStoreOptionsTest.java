package org.httpfstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code -store=nats -nats=URL[,URL...]}: parsed, and refused without the cluster's servers. */
class NatsStoreOptionsTest {
    @TempDir Path root;

    @Test
    void theClustersServersAreAListSplitOnCommas() {
        ServerCommand c = CommandLine.populateCommand(new ServerCommand(), "-store=nats",
                "-nats=nats://127.0.0.1:4222,nats://127.0.0.1:4223");
        assertThat(c.store).isEqualTo(ServerCommand.StoreKind.nats);
        assertThat(c.natsUrls).containsExactly("nats://127.0.0.1:4222", "nats://127.0.0.1:4223");
    }

    @Test
    void theNatsStoreWithoutServersIsRefusedBeforeAnythingStarts() {
        StringWriter err = new StringWriter();
        Main.Invocation invocation = Main.invocation(null,
                new String[] {"server", "-store=nats", "-root=" + root, "-http=127.0.0.1:0"});
        invocation.commandLine().setErr(new PrintWriter(err, true));
        invocation.commandLine().setOut(new PrintWriter(new StringWriter(), true));
        int exitCode = invocation.execute();
        assertThat(exitCode).isNotZero();
        assertThat(err.toString()).contains("-store=nats needs the cluster's servers: -nats=");
    }

    @Test
    void secretsComeFromAFileOrTheEnvironmentAndAreNeverShown() throws Exception {
        java.nio.file.Path pw = java.nio.file.Files.writeString(root.resolve("pw"), "s3cret-pw\n");
        ServerCommand c = CommandLine.populateCommand(new ServerCommand(), "-store=nats", "-nats=nats://h:4222",
                "-nats-user=hfs", "-nats-password-file=" + pw, "-nats-name=front-a");
        var o = c.nats.toOptions(c.natsUrls, java.util.Map.of());
        assertThat(o.user()).isEqualTo("hfs");
        assertThat(o.password()).isEqualTo("s3cret-pw");
        assertThat(o.name()).isEqualTo("front-a");
        assertThat(o.toString()).doesNotContain("s3cret-pw");
        ServerCommand fromEnv = CommandLine.populateCommand(new ServerCommand(), "-store=nats", "-nats=nats://h:4222",
                "-nats-user=hfs");
        assertThat(fromEnv.nats.toOptions(fromEnv.natsUrls, java.util.Map.of(NatsOptions.PASSWORD_ENV, "env-pw"))
                .password()).isEqualTo("env-pw");
        ServerCommand token = CommandLine.populateCommand(new ServerCommand(), "-store=nats", "-nats=nats://h:4222");
        assertThat(token.nats.toOptions(token.natsUrls, java.util.Map.of(NatsOptions.TOKEN_ENV, "tok")).token())
                .isEqualTo("tok");
        StringWriter help = new StringWriter();
        new CommandLine(new ServerCommand()).usage(new PrintWriter(help));
        assertThat(help.toString()).contains("-nats-password-file=FILE").contains("-nats-allow-unsafe")
                .doesNotContain("s3cret-pw");
    }

    @Test
    void flagsThatDoNotGoTogetherAreRefusedInOneLine() {
        assertThat(failure("-nats-user=hfs")).isEqualTo(
                "-nats-user needs a password: -nats-password-file=FILE or " + NatsOptions.PASSWORD_ENV);
        assertThat(failure("-nats-tls-cert=" + root.resolve("c.pem"))).isEqualTo(
                "-nats-tls-cert and -nats-tls-key go together: give both or neither");
        assertThat(failure("-nats-creds=" + root.resolve("x.creds"), "-nats-token-file=" + root.resolve("t")))
                .isEqualTo("give one of -nats-creds, -nats-user or -nats-token-file");
        assertThat(failure("-nats-creds=" + root.resolve("x.creds"))).isEqualTo(
                "failed to read " + root.resolve("x.creds") + ": no such file");
    }

    @Test
    void natsFlagsWithoutTheNatsStoreAreRefused() {
        StringWriter err = new StringWriter();
        Main.Invocation invocation = Main.invocation(null,
                new String[] {"server", "-root=" + root, "-http=127.0.0.1:0", "-nats-allow-unsafe"});
        invocation.commandLine().setErr(new PrintWriter(err, true));
        invocation.commandLine().setOut(new PrintWriter(new StringWriter(), true));
        assertThat(invocation.execute()).isNotZero();
        assertThat(err.toString()).contains("-nats and the -nats-* options need -store=nats");
    }

    private static String failure(String... flags) {
        String[] args = new String[flags.length + 2];
        args[0] = "-store=nats";
        args[1] = "-nats=nats://h:4222";
        System.arraycopy(flags, 0, args, 2, flags.length);
        ServerCommand c = CommandLine.populateCommand(new ServerCommand(), args);
        try {
            c.nats.toOptions(c.natsUrls, java.util.Map.of());
            return null;
        } catch (CommandFailure e) {
            return e.getMessage();
        }
    }
}
