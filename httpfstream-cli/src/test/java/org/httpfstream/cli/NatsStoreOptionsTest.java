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
}
