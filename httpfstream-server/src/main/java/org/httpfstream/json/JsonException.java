package org.httpfstream.json;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * Text that is not acceptable JSON: malformed, nested too deeply, a number too long, or bytes that are
 * not UTF-8. The message is one line ("invalid JSON at byte 4: ..."), fit to be sent back in a 400
 * response; it never holds the input itself.
 *
 * <p>Thread safety: immutable.
 */
public final class JsonException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** An exception whose message is {@code message} as given. */
    public JsonException(String message) {
        super(message);
    }

    /** The exception for {@code e}, raised while {@code parser} read its input. */
    static JsonException of(JsonProcessingException e, JsonParser parser) {
        JsonException x = new JsonException("invalid JSON" + where(parser) + ": " + oneLine(e.getOriginalMessage()));
        x.initCause(e);
        return x;
    }

    private static String where(JsonParser parser) {
        JsonLocation at = parser.currentLocation();
        if (at.getByteOffset() >= 0) {
            return " at byte " + at.getByteOffset();
        }
        return at.getCharOffset() >= 0 ? " at character " + at.getCharOffset() : "";
    }

    /** Jackson's message without its second line, source references and the name of the limit's getter. */
    private static String oneLine(String message) {
        String m = message == null ? "malformed" : message;
        int cut = m.indexOf('\n');
        m = cut < 0 ? m : m.substring(0, cut);
        cut = m.indexOf(" (start marker at");
        m = cut < 0 ? m : m.substring(0, cut);
        return m.replaceAll(", from `[^`]*`", "").strip();
    }
}
