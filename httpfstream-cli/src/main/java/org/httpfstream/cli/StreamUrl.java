package org.httpfstream.cli;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/** Parses and checks the resource URL given to {@code append}, {@code follow} and {@code sign}. */
final class StreamUrl {
    private StreamUrl() {
    }

    /**
     * Parses {@code text} as an http or https URL with a host.
     *
     * @throws CommandFailure with the line {@code not an http(s) URL: text} when {@code text} does not start
     *     with {@code http://} or {@code https://} (any case), else {@code failed to parse URL "text": cause}
     */
    static URI parse(String text) {
        String lowerText = text.toLowerCase(Locale.ROOT);
        if (!lowerText.startsWith("http://") && !lowerText.startsWith("https://")) {
            // Checked before the JDK's parser, whose messages ("Illegal character in path at index 9") say
            // nothing useful about the usual mistake: a missing or misspelt scheme.
            throw new CommandFailure("not an http(s) URL: " + text);
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            String reason = e.getReason();
            throw failure(text, Character.toLowerCase(reason.charAt(0)) + reason.substring(1) + " at index " + e.getIndex());
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
