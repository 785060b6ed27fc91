package org.httpfstream.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.httpfstream.client.HttpFStreamClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code httpfstream append URL}: streams stdin to a resource as it arrives. */
@Command(
        name = "append",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Streams data from standard input to a resource URL on an httpfstream server.",
            "Each chunk is sent as soon as it is read, so followers see a line typed at a terminal at once. "
                    + "End of input, or Ctrl-C, ends the append cleanly, keeping everything sent.",
            "The bytes not yet reported committed by the server (at most 8 MiB; reading stdin waits when "
                    + "they are) are kept: if the connection is lost (server restarted, front node killed, "
                    + "network cut), the append reconnects to URL or to a --also URL in turn for up to 60 s "
                    + "and goes on exactly where the stream ends, without gap or duplicate. If it gives up, "
                    + "it exits with 1 and says how many bytes are committed."
        },
        footer = {
            "",
            "Example usage:",
            "",
            "  To upload `foo.txt' to an httpfstream server at http://localhost:8080:",
            "    $ cat foo.txt | httpfstream-append http://localhost:8080/foo.txt",
            "  (the same as: cat foo.txt | httpfstream append http://localhost:8080/foo.txt)",
            ""
        })
public final class AppendCommand implements Callable<Integer> {

    /** The start of the line that says the append failed; the URL and the cause follow. */
    private static final String FAILING = "failed to append from stdin to ";

    @Mixin
    StreamOptions options = new StreamOptions();

    @Option(names = {"-also", "--also"}, paramLabel = "URL", description = "the same stream on another server (another "
            + "front node over the same NATS cluster, or the server's other address), where the append resumes "
            + "if the connection is lost; may be repeated")
    List<String> also = new ArrayList<>();

    @Option(names = {"-resume-timeout", "--resume-timeout"}, paramLabel = "DURATION", defaultValue = "60s",
            converter = GoDuration.Converter.class,
            description = "how long to try to reconnect each time the connection is lost (default: 60s)")
    Duration resumeTimeout;

    @Option(names = {"-no-resume", "--no-resume"}, description = "keep no bytes for a resume: a lost connection ends the append "
            + "at once, the last bytes sent in doubt (as before)")
    boolean noResume;

    private final InputStream stdin;
    private final LongSupplier stdinSize;
    private final Progress.Screen screen;

    public AppendCommand() {
        this(System.in, Terminal::stdinSize, Progress.Screen.SYSTEM);
    }

    AppendCommand(InputStream stdin) {
        this(stdin, () -> -1L, Progress.Screen.NOT_A_TERMINAL);
    }

    /**
     * @param stdin the data to append
     * @param stdinSize the bytes {@code stdin} holds, or -1 if unknown; asked once, with -v on a terminal
     * @param screen where a progress line may be drawn with -v
     */
    AppendCommand(InputStream stdin, LongSupplier stdinSize, Progress.Screen screen) {
        this.stdin = stdin;
        this.stdinSize = stdinSize;
        this.screen = screen;
    }

    @Override
    public Integer call() {
        URI uri = options.uri();
        PrintWriter err = options.err();
        List<URI> servers = new ArrayList<>();
        servers.add(uri);
        for (String u : also) {
            servers.add(StreamUrl.parse(u));
        }
        if (noResume && servers.size() > 1) {
            throw new CommandFailure("--also needs resuming: leave out --no-resume");
        }
        HttpFStreamClient client = options.auth.builder().resumeTimeout(resumeTimeout).build();
        OutputStream out = options.open(uri, client, noResume ? HttpFStreamClient::openAppend
                : (c, first) -> c.openResumableAppend(servers), FAILING);

        AtomicLong sent = new AtomicLong();
        AtomicBoolean interrupted = new AtomicBoolean();
        Progress progress = options.progress(screen, stdinSize);
        // Ctrl-C / SIGTERM: end the append cleanly; close() waits until the server has stored every byte sent.
        Thread onExit = new Thread(() -> {
            interrupted.set(true);
            try {
                out.close();
                progress.end();
                options.say("interrupted; finished appending from stdin to " + uri + " (" + sent.get() + " bytes)");
            } catch (IOException | RuntimeException e) {
                err.println(FAILING + uri + ": " + Errors.describe(e));
                err.flush();
            }
        }, "httpfstream-append-exit");
        Runtime.getRuntime().addShutdownHook(onExit);
        // Said once the append is open and Ctrl-C is handled, so the line confirms both (a refusal prints only
        // the error).
        options.say("appending from stdin to " + uri);

        try {
            byte[] buffer = new byte[StreamOptions.BUFFER_SIZE];
            int n;
            while ((n = stdin.read(buffer)) != -1) {
                if (n > 0) {
                    out.write(buffer, 0, n);
                    sent.addAndGet(n);
                    progress.add(n);
                }
            }
            out.close();
            progress.end();
        } catch (IOException | RuntimeException e) {
            if (interrupted.get()) {
                // The exit hook closed the stream under us and reports the outcome.
                return 130;
            }
            progress.end();
            try {
                out.close();
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw failure(uri, e);
        } finally {
            removeHook(onExit);
        }

        options.say("finished appending from stdin to " + uri + " (" + sent.get() + " bytes)");
        return 0;
    }

    private static CommandFailure failure(URI uri, Exception e) {
        return new CommandFailure(FAILING + uri + ": " + Errors.describe(e));
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or about to; nothing to undo
        }
    }
}
