package org.httpfstream.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
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
 * they are skipped, never held; a key may be as long as Jackson allows (50,000 characters). A repeated
 * key is stored as sent.
 *
 * <p>Thread safety: stateless; all methods may be called from any thread.
 */
public final class JsonMessages {
    /** The deepest nesting of arrays and objects a body may have, its top-level array included. */
    public static final int MAX_DEPTH = 512;
    /** The longest number, in characters, a body may hold. */
    public static final int MAX_NUMBER_LENGTH = Json.MAX_NUMBER_LENGTH;

    private static final JsonFactory FACTORY = Json.factory(MAX_DEPTH);

    private JsonMessages() {}

    /**
     * The messages of one body, as the stream stores them.
     *
     * <p>Thread safety: immutable as long as no one writes into {@code lines}; safe to hand to another thread.
     *
     * @param lines the messages, each compacted and ending with {@code \n}, one after the other: the
     *     bytes to append (not copied: the caller must not change them)
     * @param count how many messages {@code lines} holds
     */
    public record Messages(byte[] lines, int count) {
        /** Checks the arguments. */
        public Messages {
            Objects.requireNonNull(lines, "lines");
            if (count < 0) {
                throw new IllegalArgumentException("count < 0: " + count);
            }
        }
    }

    /**
     * Parses {@code body} as one JSON value and returns its messages as stored lines (each compacted and
     * ending with {@code \n}): the elements of a top-level array (one level flattened, so {@code []}
     * gives none), or the value itself.
     *
     * @throws JsonException if the body is not one acceptable UTF-8 JSON value
     */
    public static Messages split(byte[] body) {
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

    private static Messages messages(JsonParser p, byte[] body) throws IOException {
        JsonToken first = p.nextToken();
        if (first == null) {
            throw new JsonException("invalid JSON: no value");
        }
        // The lines are never longer than the body: each message's \n takes the place of the comma or
        // bracket after it, or for a body that is not an array, is the one byte more.
        Output out = new Output(new byte[body.length + 1]);
        int count = 0;
        int from = start(p);
        int to = body.length;
        if (first == JsonToken.START_ARRAY) {
            // Each element runs from its first byte to the next element's first byte (or the closing
            // bracket); compacting that span leaves the element and at most a trailing comma. A span is
            // compacted only once Jackson has read past it, so it is valid JSON.
            from = -1;
            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                int start = start(p);
                if (from >= 0) {
                    compact(body, from, start, out);
                }
                from = start;
                count++;
                p.skipChildren();
            }
            to = start(p);
        } else {
            p.skipChildren();
            count = 1;
        }
        if (p.nextToken() != null) {
            throw new JsonException("invalid JSON at byte " + start(p) + ": unexpected data after the JSON value");
        }
        if (from >= 0) {
            compact(body, from, to, out);
        }
        out.checkUtf8();
        return new Messages(out.n == out.bytes.length ? out.bytes : Arrays.copyOf(out.bytes, out.n), count);
    }

    /** The byte offset of the parser's current token. */
    private static int start(JsonParser p) {
        return (int) p.currentTokenLocation().getByteOffset();
    }

    /** The lines being written. Thread safety: not thread safe; each split has its own, on its thread. */
    private static final class Output {
        final byte[] bytes;
        int n;
        /** The bits of every byte of every string copied: negative if one was not ASCII. */
        int strings;

        Output(byte[] bytes) {
            this.bytes = bytes;
        }

        /**
         * Refuses what is not strict UTF-8 and Jackson's reader lets through: overlong forms, encoded
         * surrogates, code points past U+10FFFF. Bytes other than ASCII can only be inside strings, so
         * only a body whose strings held one is decoded, by the JDK, into a small buffer thrown away.
         */
        void checkUtf8() {
            if (strings >= 0) {
                return;
            }
            CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder();
            ByteBuffer in = ByteBuffer.wrap(bytes, 0, n);
            CharBuffer chars = CharBuffer.allocate(Math.min(8192, n));
            for (;;) {
                CoderResult r = decoder.decode(in, chars, true);
                if (r.isError()) {
                    throw new JsonException("body is not valid UTF-8 (a message's byte " + in.position() + ")");
                }
                if (r.isUnderflow()) {
                    return;
                }
                chars.clear();
            }
        }
    }

    /**
     * Appends {@code body[from, to)}, valid JSON followed by whitespace and at most one comma, to
     * {@code out} without the whitespace outside strings and without that comma, then {@code \n}.
     * Jackson has checked the text: outside strings a byte up to a space can only be whitespace, and
     * every string ends with an unescaped quote.
     */
    static void compact(byte[] body, int from, int to, Output out) {
        byte[] o = out.bytes;
        int n = out.n;
        int seen = 0;
        for (int i = from; i < to; ) {
            byte b = body[i++];
            if (b == '"') {
                int s = i - 1;
                for (byte c = body[i++]; c != '"'; c = body[i++]) {
                    seen |= c;
                    if (c == '\\') {
                        i++; // the escaped character, which cannot end the string
                    }
                }
                System.arraycopy(body, s, o, n, i - s);
                n += i - s;
            } else if (b > ' ') {
                o[n++] = b;
            }
        }
        if (n > out.n && o[n - 1] == ',') {
            n--;
        }
        o[n++] = '\n';
        out.n = n;
        out.strings |= seen;
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
}
