package org.httpfstream.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * Entry point of the {@code httpfstream} command: {@code httpfstream server|append|follow|bench ...}.
 *
 * <p>Exit codes: 0 on success, 1 when the operation fails (one line on stderr), 2 on bad usage (the
 * problem and the usage on stderr).
 */
@Command(
        name = "httpfstream",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Simultaneous, streaming file uploading and downloading over HTTP.",
            "",
            "One appender streams bytes to a path over a WebSocket; the server stores them under its root "
                    + "directory; any number of followers receive everything already written, then every new "
                    + "byte as it arrives."
        },
        subcommands = {ServerCommand.class, AppendCommand.class, FollowCommand.class, SignCommand.class,
            BenchCommand.class, HelpCommand.class},
        footer = {
            "",
            "Example usage:",
            "",
            "  Run a server, follow /foo.txt, and append to it from another terminal:",
            "    $ httpfstream server -root=/tmp/httpfstream -http=:8080",
            "    $ httpfstream follow -v http://localhost:8080/foo.txt",
            "    $ cat foo.txt | httpfstream append http://localhost:8080/foo.txt",
            ""
        })
public final class Main implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing required subcommand (server, append, follow or bench)");
    }

    /** A command line for {@code httpfstream} with the project's error handling installed. */
    public static CommandLine newCommandLine() {
        CommandLine commandLine = new CommandLine(new Main());
        commandLine.setExecutionExceptionHandler(Main::handleExecutionException);
        return commandLine;
    }

    public static void main(String[] args) {
        System.exit(newCommandLine().execute(args));
    }

    /** Prints one line for a failed command instead of a stack trace. */
    private static int handleExecutionException(Exception ex, CommandLine commandLine, ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        if (ex instanceof CommandFailure failure) {
            err.println(failure.getMessage());
            err.flush();
            return failure.exitCode();
        }
        err.println(commandLine.getCommandName() + ": " + Errors.describe(ex));
        err.flush();
        return ExitCode.SOFTWARE;
    }
}
