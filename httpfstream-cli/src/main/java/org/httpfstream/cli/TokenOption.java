package org.httpfstream.cli;

import org.httpfstream.client.HttpFStreamClient;
import org.httpfstream.client.NotAuthorizedException;
import picocli.CommandLine.Option;

/**
 * The {@code -token} option of the client commands, defaulting to {@code HTTPFSTREAM_TOKEN} from the
 * environment. Mixed into append, follow and sign.
 */
final class TokenOption {
    /** The environment variable holding the default token. */
    static final String ENV = "HTTPFSTREAM_TOKEN";

    @Option(
            names = {"-token", "--token"},
            paramLabel = "TOKEN",
            defaultValue = "${env:" + ENV + "}",
            description = "bearer token for a server with a grant file (default: $" + ENV + ")")
    String token;

    /** A client with the default timeouts sending this token, if any. */
    HttpFStreamClient client() {
        return builder().build();
    }

    /** A builder with the default timeouts and this token, if any. */
    HttpFStreamClient.Builder builder() {
        return HttpFStreamClient.builder().token(token);
    }

    /** The one line printed for a refusal: the server's "not authorised: …" reason. */
    static CommandFailure failure(NotAuthorizedException e) {
        return new CommandFailure(e.getMessage());
    }
}
