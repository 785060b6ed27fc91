package org.httpfstream.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.httpfstream.client.NotAuthorizedException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code httpfstream follow URL}: copies a resource to stdout, then every new byte until the appender ends. */
@Command(
        name = "follow",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Fetches the data at a resource URL on an httpfstream server and follows it: everything already "
                    + "written is copied to standard output, then every new byte as it is appended.",
            "Exits when the appender ends (at once if there is none)."
        },
        footer = {
            "",
            "Example usage:",
            "",
            "  To follow data appended to http://localhost:8080/foo.txt:",
            "    $ httpfstream-follow http://localhost:8080/foo.txt",
            "  (the same as: httpfstream follow http://localhost:8080/foo.txt)",
            ""
        })
public final class FollowCommand implements Callable<Integer> {

    private static final int BUFFER_SIZE = 8192;

    @Option(names = {"-v", "--verbose"}, description = "show verbose output; on a terminal, also a progress line "
            + "(bytes and rate)")
    boolean verbose;

    @Parameters(index = "0", paramLabel = "URL", description = "resource URL, e.g. http://localhost:8080/foo.txt")
    String url;

    @Mixin
    TokenOption auth = new TokenOption();

    @Spec
    CommandSpec spec;

    private final OutputStream stdout;
    private final BooleanSupplier stderrIsTerminal;
    private final LongSupplier nanoClock;

    public FollowCommand() {
        // Unbuffered and not a PrintStream, so write errors (e.g. a closed pipe) are reported, not swallowed.
        this(new FileOutputStream(FileDescriptor.out), Terminal::stderrIsTerminal, System::nanoTime);
    }

    FollowCommand(OutputStream stdout) {
        this(stdout, () -> false, System::nanoTime);
    }

    /**
     * @param stdout where the stream's bytes go
     * @param stderrIsTerminal whether stderr is a terminal, asked once, with -v: then a progress line is shown
     * @param nanoClock the time for the progress line's rate, {@link System#nanoTime()} but in tests
     */
    FollowCommand(OutputStream stdout, BooleanSupplier stderrIsTerminal, LongSupplier nanoClock) {
        this.stdout = stdout;
        this.stderrIsTerminal = stderrIsTerminal;
        this.nanoClock = nanoClock;
    }

    @Override
    public Integer call() {
        URI uri = StreamUrl.parse(url);
        PrintWriter err = spec.commandLine().getErr();
        InputStream in;
        try {
            in = auth.client().follow(uri);
        } catch (NotAuthorizedException e) {
            throw TokenOption.failure(e);
        } catch (IOException | RuntimeException e) {
            throw new CommandFailure("failed to begin following " + uri + ": " + Errors.describe(e));
        }
        // Said once the follow has begun, so the line confirms it (a failure prints only the error).
        if (verbose) {
            err.println("following data at " + uri + " (ctrl-C to exit)");
            err.flush();
        }

        Progress progress = verbose && stderrIsTerminal.getAsBoolean()
                ? new Progress(err, -1, nanoClock) : Progress.NONE;
        long total = 0;
        try (in) {
            byte[] buffer = new byte[BUFFER_SIZE];
            int n;
            while ((n = in.read(buffer)) != -1) {
                try {
                    stdout.write(buffer, 0, n);
                    stdout.flush();
                } catch (IOException e) {
                    if (isBrokenPipe(e)) {
                        // The reader went away (e.g. "| head"): end quietly, like a Unix tool killed by SIGPIPE.
                        progress.end();
                        return 128 + 13;
                    }
                    throw new CommandFailure("error following " + uri + ": writing to stdout: " + Errors.describe(e));
                }
                total += n;
                progress.add(n);
            }
        } catch (IOException | RuntimeException e) {
            progress.end();
            if (e instanceof CommandFailure failure) {
                throw failure;
            }
            throw new CommandFailure("error following " + uri + ": " + Errors.describe(e));
        }

        progress.end();
        if (verbose) {
            err.println("finished following (read " + total + " bytes)");
            err.flush();
        }
        return 0;
    }

    private static boolean isBrokenPipe(IOException e) {
        String message = e.getMessage();
        return message != null && message.toLowerCase(java.util.Locale.ROOT).contains("broken pipe");
    }
}
