package org.httpfstream.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.util.concurrent.Callable;
import org.httpfstream.client.HttpFStreamClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

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

    @Mixin
    StreamOptions options = new StreamOptions();

    private final OutputStream stdout;
    private final Progress.Screen screen;

    public FollowCommand() {
        // Unbuffered and not a PrintStream, so write errors (e.g. a closed pipe) are reported, not swallowed.
        this(new FileOutputStream(FileDescriptor.out), Progress.Screen.SYSTEM);
    }

    FollowCommand(OutputStream stdout) {
        this(stdout, Progress.Screen.NOT_A_TERMINAL);
    }

    /**
     * @param stdout where the stream's bytes go
     * @param screen where a progress line may be drawn with -v
     */
    FollowCommand(OutputStream stdout, Progress.Screen screen) {
        this.stdout = stdout;
        this.screen = screen;
    }

    @Override
    public Integer call() {
        URI uri = options.uri();
        InputStream in = options.open(uri, HttpFStreamClient::follow, "failed to begin following ");
        // Said once the follow has begun, so the line confirms it (a failure prints only the error).
        options.say("following data at " + uri + " (ctrl-C to exit)");

        Progress progress = options.progress(screen, () -> -1L);
        long total = 0;
        try (in) {
            byte[] buffer = new byte[StreamOptions.BUFFER_SIZE];
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
        options.say("finished following (read " + total + " bytes)");
        return 0;
    }

    private static boolean isBrokenPipe(IOException e) {
        String message = e.getMessage();
        return message != null && message.toLowerCase(java.util.Locale.ROOT).contains("broken pipe");
    }
}
