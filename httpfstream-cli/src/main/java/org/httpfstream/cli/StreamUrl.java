package org.httpfstream.cli;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/** Parses and checks the resource URL given to {@code append} and {@code follow}. */
final class StreamUrl {
    private StreamUrl() {
    }

    /**
     * Parses {@code text} as an http or https URL with a host.
     *
     * @throws CommandFailure with the line {@code failed to parse URL "text": cause}
     */
    static URI parse(String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw failure(text, e.getMessage());
        }
        String scheme = uri.getScheme();
        if (scheme == null) {
            throw failure(text, "missing scheme (want http:// or https://)");
        }
        String lower = scheme.toLowerCase(Locale.ROOT);
        if (!lower.equals("http") && !lower.equals("https")) {
            throw failure(text, "unsupported scheme \"" + scheme + "\" (want http or https)");
        }
        if (uri.getHost() == null) {
            throw failure(text, "missing or invalid host");
        }
        return uri;
    }

    private static CommandFailure failure(String text, String cause) {
        return new CommandFailure("failed to parse URL \"" + text + "\": " + cause);
    }
}
