package org.httpfstream.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.util.function.LongSupplier;
import org.httpfstream.client.HttpFStreamClient;
import org.httpfstream.client.NotAuthorizedException;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * What {@code append} and {@code follow} both take (the stream's URL, {@code -token} and {@code -v}) and
 * the steps they share with it: parsing the URL, opening the stream with the token, the verbose lines on
 * stderr and the progress line. Mixed into both commands.
 *
 * <p>Thread safety: not thread safe; filled in by picocli, then used by the command's thread (a verbose
 * line may also come from append's exit hook, through the command line's own error writer).
 */
final class StreamOptions {
    /** The size of the buffer append and follow copy the stream's bytes through. */
    static final int BUFFER_SIZE = 8192;

    /** One stream operation of the client. */
    @FunctionalInterface
    interface Open<T> {
        T open(HttpFStreamClient client, URI uri) throws IOException;
    }

    @Option(names = {"-v", "--verbose"}, description = "show verbose output; on a terminal, also a progress line "
            + "(bytes and rate, and when appending a file the percentage and time left)")
    boolean verbose;

    @Parameters(index = "0", paramLabel = "URL", description = "resource URL, e.g. http://localhost:8080/foo.txt")
    String url;

    @Mixin
    TokenOption auth = new TokenOption();

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    /** The URL, checked by {@link StreamUrl#parse}. */
    URI uri() {
        return StreamUrl.parse(url);
    }

    /** The command's stderr. */
    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /**
     * Opens {@code uri} with a client that sends the token.
     *
     * @param failing the start of the failure line, e.g. {@code "failed to begin following "}; the URI and
     *     the cause follow it
     * @throws CommandFailure with the server's "not authorised: …" line for a refused token, else with
     *     {@code failing + uri + ": " + cause}
     */
    <T> T open(URI uri, Open<T> operation, String failing) {
        return open(uri, auth.client(), operation, failing);
    }

    /** As {@link #open(URI, Open, String)}, with {@code client} (made with the token: {@code auth.builder()}). */
    <T> T open(URI uri, HttpFStreamClient client, Open<T> operation, String failing) {
        try {
            return operation.open(client, uri);
        } catch (NotAuthorizedException e) {
            throw TokenOption.failure(e);
        } catch (IOException | RuntimeException e) {
            throw new CommandFailure(failing + uri + ": " + Errors.describe(e));
        }
    }

    /** Prints {@code line} on stderr if {@code -v} was given. */
    void say(String line) {
        if (verbose) {
            PrintWriter err = err();
            err.println(line);
            err.flush();
        }
    }

    /**
     * The progress line for {@code -v} when stderr is a terminal, else {@link Progress#NONE}.
     *
     * @param size the bytes to transfer, or -1 if unknown
     */
    Progress progress(Progress.Screen screen, LongSupplier size) {
        return verbose && screen.stderrIsTerminal().getAsBoolean()
                ? new Progress(err(), size.getAsLong(), screen.nanoClock()) : Progress.NONE;
    }
}
