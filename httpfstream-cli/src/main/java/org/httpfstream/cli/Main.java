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
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Entry point of the {@code httpfstream} command: {@code httpfstream server|append|follow|bench ...}.
 *
 * <p>Exit codes: 0 on success, 1 when the operation fails (one line on stderr), 2 on bad usage (one line
 * on stderr saying what is wrong and to try {@code -h}).
 *
 * <p>The wrapper scripts {@code bin/httpfstream-server} and the others run {@code httpfstream server ...}
 * with the system property {@value #PROGRAM_PROPERTY} set to their own name; the command then runs alone
 * under that name, so its usage and its messages say {@code httpfstream-server}, as typed.
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

    /** System property naming the program as invoked, e.g. {@code httpfstream-server}; set by the bin scripts. */
    static final String PROGRAM_PROPERTY = "httpfstream.program";

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(),
                "Missing required subcommand (server, append, follow, sign or bench)");
    }

    /** A command line for {@code httpfstream} with the project's error handling installed. */
    public static CommandLine newCommandLine() {
        return withHandlers(new CommandLine(new Main()));
    }

    /**
     * The command line for {@code args} run as {@code program}: when {@code program} is {@code
     * httpfstream-VERB} and {@code args} start with {@code VERB}, that subcommand alone under the name
     * {@code program} (so {@code -h} says {@code Usage: httpfstream-server ...}); otherwise {@link
     * #newCommandLine()}.
     *
     * @param program the name the program was invoked by, or null
     * @param args the arguments; not modified
     * @return the command line and the arguments it is to execute
     */
    static Invocation invocation(String program, String[] args) {
        CommandLine main = newCommandLine();
        if (program != null && args.length > 0 && program.equals("httpfstream-" + args[0])) {
            CommandLine sub = main.getSubcommands().get(args[0]);
            if (sub != null && !args[0].equals("help")) {
                CommandLine alone = withHandlers(new CommandLine(sub.getCommandSpec().userObject().getClass()));
                alone.setCommandName(program);
                return new Invocation(alone, java.util.Arrays.copyOfRange(args, 1, args.length));
            }
        }
        return new Invocation(main, args);
    }

    /** A command line and the arguments to execute it with. */
    record Invocation(CommandLine commandLine, String[] args) {
        int execute() {
            return commandLine.execute(args);
        }
    }

    public static void main(String[] args) {
        System.exit(invocation(System.getProperty(PROGRAM_PROPERTY), args).execute());
    }

    /** Installs the project's handlers: one line for a failure (exit 1) and for a usage mistake (exit 2). */
    static CommandLine withHandlers(CommandLine commandLine) {
        commandLine.setExecutionExceptionHandler(Main::handleExecutionException);
        commandLine.setParameterExceptionHandler(Main::handleParameterException);
        return commandLine;
    }

    /**
     * Prints one line for a usage mistake, e.g. {@code unknown option: '-x' (try 'httpfstream-server -h')},
     * instead of the whole usage; returns 2.
     */
    private static int handleParameterException(ParameterException ex, String[] args) {
        CommandLine commandLine = ex.getCommandLine();
        PrintWriter err = commandLine.getErr();
        String problem = ex.getMessage();
        if (ex instanceof UnmatchedArgumentException unmatched && !unmatched.getSuggestions().isEmpty()) {
            problem += "; did you mean " + String.join(" or ", unmatched.getSuggestions().stream().limit(3)
                    .map(suggestion -> "'" + suggestion + "'").toList()) + "?";
        }
        err.println(usageMistake(problem, commandLine.getCommandSpec().qualifiedName()));
        err.flush();
        return commandLine.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** The one line printed for a usage mistake: the problem, lower case, and where help is. */
    static String usageMistake(String message, String command) {
        String problem = message == null || message.isBlank() ? "invalid usage" : message.strip();
        problem = problem.replaceAll("\\s*[\\r\\n]+\\s*", "; ");
        if (problem.length() > 1 && Character.isUpperCase(problem.charAt(0))
                && !Character.isUpperCase(problem.charAt(1))) {
            problem = Character.toLowerCase(problem.charAt(0)) + problem.substring(1);
        }
        return problem + " (try '" + command + " -h')";
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
