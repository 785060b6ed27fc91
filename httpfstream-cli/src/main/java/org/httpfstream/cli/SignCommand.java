package org.httpfstream.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code httpfstream sign URL}: asks the server for a link that lets anyone holding it read a stream (or
 * every stream under a prefix) until it expires. The server signs it with a key that never leaves it
 * ({@code POST /__ds/sign}); the token must be an admin's of that path.
 */
@Command(
        name = "sign",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Prints a signed link that grants read access to a stream, or to every stream under a prefix "
                    + "ending in /, until it expires; no token is needed to use it.",
            "Needs an admin token of that path (-token or $HTTPFSTREAM_TOKEN)."
        },
        footer = {
            "",
            "Example usage:",
            "",
            "  To let someone follow a build log for a day:",
            "    $ httpfstream sign -ttl=24h http://ci.example:8080/builds/42.log",
            "  and for every log under /builds/, for an hour:",
            "    $ httpfstream sign -ttl=1h http://ci.example:8080/builds/",
            ""
        })
public final class SignCommand implements Callable<Integer> {

    @Option(
            names = {"-ttl", "--ttl"},
            paramLabel = "DURATION",
            defaultValue = "24h",
            converter = GoDuration.Converter.class,
            description = "how long the link is valid (default: ${DEFAULT-VALUE}; e.g. 30m, 24h)")
    Duration ttl;

    @Parameters(index = "0", paramLabel = "URL", description = "stream URL, or a prefix URL ending in /")
    String url;

    @Mixin
    TokenOption auth = new TokenOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        URI uri = StreamUrl.parse(url);
        if (ttl.isNegative() || ttl.isZero() || ttl.toSeconds() == 0) {
            throw new CommandFailure("-ttl must be at least one second: " + ttl);
        }
        String path = uri.getPath() == null || uri.getPath().isEmpty() ? "/" : uri.getPath();
        URI endpoint = URI.create(uri.getScheme() + "://" + uri.getRawAuthority() + "/__ds/sign?path="
                + URLEncoder.encode(path, StandardCharsets.UTF_8) + "&ttl=" + ttl.toSeconds() + "s");
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (auth.token != null && !auth.token.isEmpty()) {
            request.header("Authorization", "Bearer " + auth.token);
        }
        HttpResponse<String> response;
        try {
            response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()
                    .send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException | IllegalArgumentException e) {
            throw new CommandFailure("failed to sign " + uri + ": " + Errors.describe(e));
        }
        String body = response.body().strip();
        if (response.statusCode() == 401 || response.statusCode() == 403) {
            throw new CommandFailure(body.startsWith("not authorised: ") ? body
                    : "not authorised: " + response.statusCode() + " " + body);
        }
        if (response.statusCode() != 200) {
            throw new CommandFailure("failed to sign " + uri + ": " + response.statusCode()
                    + (body.isEmpty() ? "" : " " + body));
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(uri + (uri.getRawQuery() == null ? "?" : "&") + body);
        out.flush();
        return 0;
    }
}
