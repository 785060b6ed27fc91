package org.httpfstream.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The messages of a Durable Streams JSON-mode stream. Its file holds one message per line: each
 * message is stored compacted (no whitespace outside strings), so it holds no raw line break, and ends
 * with {@code \n}; the file is NDJSON. A read of whole lines becomes a JSON array by joining them with
 * commas ({@link #toArray}).
 *
 * <p>A body is checked by jackson-core's streaming parser, which also finds where each message starts
 * and ends; it never builds the values. The bytes stored are the client's own bytes with the whitespace
 * between tokens removed: strings keep their escapes as sent ({@code "\u00e9"} stays six characters)
 * and numbers their spelling ({@code 1.0E+2} stays), which Jackson's generator would rewrite. That
 * whitespace removal ({@link #compact}) is the only JSON written here by hand: it runs on text Jackson
 * has already accepted, so it only needs to know where strings begin and end.
 *
 * <p>Refused with a {@link JsonException}: anything Jackson refuses, nesting deeper than
 * {@value #MAX_DEPTH} arrays or objects (the body's own array included), a number longer than
 * {@value #MAX_NUMBER_LENGTH} characters, and what Jackson would let through but the protocol does
 * not: bytes that are not strict UTF-8 (overlong forms, encoded surrogates, code points past U+10FFFF,
 * which Jackson's UTF-8 reader passes), a byte-order mark (which Jackson skips) and a NUL among the
 * first four bytes (from which Jackson would guess UTF-16 or UTF-32). Strings may be of any length:
 * they are skipped, never held. A repeated key is stored as sent.
 *
 * <p>Thread safety: stateless; all methods may be called from any thread.
 */
public final class JsonMessages {
    /** The deepest nesting of arrays and objects a body may have, its top-level array included. */
    public static final int MAX_DEPTH = 512;
    /** The longest number, in characters, a body may hold. */
    public static final int MAX_NUMBER_LENGTH = 1000;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH)
                    .maxNumberLength(MAX_NUMBER_LENGTH)
                    .build())
            .build();

    private JsonMessages() {}

    /**
     * Parses {@code body} as one JSON value and returns its messages as stored lines (each compacted and
     * ending with {@code \n}): the elements of a top-level array (one level flattened, so {@code []}
     * gives none), or the value itself.
     *
     * @throws JsonException if the body is not one acceptable UTF-8 JSON value
     */
    public static List<String> split(byte[] body) {
        Objects.requireNonNull(body, "body");
        checkStart(body);
        try (JsonParser p = FACTORY.createParser(body)) {
            try {
                return messages(p, body);
            } catch (JsonProcessingException e) {
                throw JsonException.of(e, p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading a byte array cannot fail", e);
        }
    }

    /**
     * The JSON array of the stored lines in {@code lines} (whole lines, each ending with {@code \n}):
     * {@code [} + the lines joined by commas + {@code ]}.
     */
    public static byte[] toArray(byte[] lines) {
        Objects.requireNonNull(lines, "lines");
        int n = lines.length;
        if (n > 0 && lines[n - 1] == '\n') {
            n--;
        }
        byte[] out = new byte[n + 2];
        out[0] = '[';
        for (int i = 0; i < n; i++) {
            out[i + 1] = lines[i] == '\n' ? (byte) ',' : lines[i];
        }
        out[n + 1] = ']';
        return out;
    }

    private static List<String> messages(JsonParser p, byte[] body) throws IOException {
        JsonToken first = p.nextToken();
        if (first == null) {
            throw new JsonException("invalid JSON: no value");
        }
        List<String> messages = new ArrayList<>();
        byte[] scratch = new byte[body.length + 1];
        if (first == JsonToken.START_ARRAY) {
            // Each element runs from its first byte to the next element's first byte (or the closing
            // bracket); compacting that span leaves the element and at most a trailing comma.
            int from = -1;
            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                int start = start(p);
                if (from >= 0) {
                    messages.add(compact(body, from, start, scratch));
                }
                from = start;
                p.skipChildren();
            }
            if (from >= 0) {
                messages.add(compact(body, from, start(p), scratch));
            }
        } else {
            int from = start(p);
            p.skipChildren();
            messages.add(compact(body, from, body.length, scratch));
        }
        if (p.nextToken() != null) {
            throw new JsonException("invalid JSON at byte " + start(p) + ": unexpected data after the JSON value");
        }
        return messages;
    }

    /** The byte offset of the parser's current token. */
    private static int start(JsonParser p) {
        return (int) p.currentTokenLocation().getByteOffset();
    }

    /**
     * {@code body[from, to)}, valid JSON followed by whitespace and at most one comma, without the
     * whitespace outside strings and without that comma, plus {@code \n}, decoded as UTF-8.
     */
    static String compact(byte[] body, int from, int to, byte[] scratch) {
        int n = 0;
        boolean inString = false;
        for (int i = from; i < to; i++) {
            byte b = body[i];
            if (inString) {
                if (b == '\\') {
                    scratch[n++] = b;
                    b = body[++i]; // the escaped character, which cannot end the string
                } else if (b == '"') {
                    inString = false;
                }
            } else if (b == ' ' || b == '\n' || b == '\r' || b == '\t') {
                continue;
            } else if (b == '"') {
                inString = true;
            }
            scratch[n++] = b;
        }
        if (n > 0 && scratch[n - 1] == ',') {
            n--;
        }
        scratch[n++] = '\n';
        return decode(scratch, n, from);
    }

    /**
     * Refuses what Jackson would misread: a byte-order mark (it skips one) and a NUL among the first four
     * bytes (from which it would guess UTF-16 or UTF-32). A NUL is never valid JSON anywhere.
     */
    private static void checkStart(byte[] body) {
        for (int i = 0; i < Math.min(4, body.length); i++) {
            if (body[i] == 0) {
                throw new JsonException("invalid JSON at byte " + i + ": NUL");
            }
        }
        if (body.length >= 3 && body[0] == (byte) 0xEF && body[1] == (byte) 0xBB && body[2] == (byte) 0xBF) {
            throw new JsonException("invalid JSON at byte 0: a byte-order mark");
        }
    }

    /**
     * {@code bytes[0, n)} as a String, refused unless strict UTF-8. The JDK's fast decoder replaces what is
     * not UTF-8 (overlong forms, encoded surrogates, code points past U+10FFFF, truncated sequences) with
     * U+FFFD; only a message holding U+FFFD is decoded again, strictly, to tell a sent U+FFFD from one
     * put in place of bad bytes.
     */
    private static String decode(byte[] bytes, int n, int at) {
        String s = new String(bytes, 0, n, StandardCharsets.UTF_8);
        if (s.indexOf('\uFFFD') >= 0) {
            try {
                StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes, 0, n));
            } catch (CharacterCodingException e) {
                throw new JsonException("body is not valid UTF-8 (in the message at byte " + at + ")");
            }
        }
        return s;
    }
}
