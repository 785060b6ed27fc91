package org.httpfstream.durable;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The messages of a JSON-mode stream. A JSON stream's file holds one message per line: each message
 * is stored compacted (no whitespace outside strings), so it contains no raw line break, and ends
 * with {@code \n}; the file is NDJSON. A read of whole lines becomes a JSON array by joining them
 * with commas.
 *
 * <p>Thread safety: stateless; all methods may be called from any thread.
 */
public final class JsonMessages {
    private JsonMessages() {}

    /**
     * Parses {@code body} as one JSON value and returns its messages as stored lines (each compacted and
     * ending with {@code \n}): the elements of a top-level array (one level flattened), or the value
     * itself.
     *
     * @throws IllegalArgumentException if the body is not valid UTF-8 JSON
     */
    public static List<String> split(byte[] body) {
        Objects.requireNonNull(body, "body");
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("body is not valid UTF-8");
        }
        Parser p = new Parser(text);
        p.skipWhitespace();
        List<String> messages = new ArrayList<>();
        if (p.peek() == '[') {
            p.pos++;
            p.skipWhitespace();
            if (p.peek() == ']') {
                p.pos++;
            } else {
                for (;;) {
                    StringBuilder sb = new StringBuilder();
                    p.value(sb, 0);
                    messages.add(sb.append('\n').toString());
                    p.skipWhitespace();
                    char c = p.next();
                    if (c == ']') {
                        break;
                    }
                    if (c != ',') {
                        throw p.error("expected ',' or ']'");
                    }
                }
            }
        } else {
            StringBuilder sb = new StringBuilder();
            p.value(sb, 0);
            messages.add(sb.append('\n').toString());
        }
        p.skipWhitespace();
        if (p.pos != text.length()) {
            throw p.error("unexpected data after the JSON value");
        }
        return messages;
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

    private static final class Parser {
        private static final int MAX_DEPTH = 512;
        private final String s;
        int pos;

        Parser(String s) {
            this.s = s;
        }

        char peek() {
            return pos < s.length() ? s.charAt(pos) : '\0';
        }

        char next() {
            if (pos >= s.length()) {
                throw error("unexpected end of JSON");
            }
            return s.charAt(pos++);
        }

        IllegalArgumentException error(String what) {
            return new IllegalArgumentException("invalid JSON at character " + pos + ": " + what);
        }

        void skipWhitespace() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    return;
                }
                pos++;
            }
        }

        void value(StringBuilder out, int depth) {
            if (depth > MAX_DEPTH) {
                throw error("nested too deeply");
            }
            skipWhitespace();
            char c = peek();
            switch (c) {
                case '{' -> object(out, depth);
                case '[' -> array(out, depth);
                case '"' -> string(out);
                case 't' -> literal(out, "true");
                case 'f' -> literal(out, "false");
                case 'n' -> literal(out, "null");
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        number(out);
                    } else {
                        throw error("unexpected character");
                    }
                }
            }
        }

        private void object(StringBuilder out, int depth) {
            next();
            out.append('{');
            skipWhitespace();
            if (peek() == '}') {
                pos++;
                out.append('}');
                return;
            }
            for (;;) {
                skipWhitespace();
                if (peek() != '"') {
                    throw error("expected a string key");
                }
                string(out);
                skipWhitespace();
                if (next() != ':') {
                    throw error("expected ':'");
                }
                out.append(':');
                value(out, depth + 1);
                skipWhitespace();
                char c = next();
                if (c == '}') {
                    out.append('}');
                    return;
                }
                if (c != ',') {
                    throw error("expected ',' or '}'");
                }
                out.append(',');
            }
        }

        private void array(StringBuilder out, int depth) {
            next();
            out.append('[');
            skipWhitespace();
            if (peek() == ']') {
                pos++;
                out.append(']');
                return;
            }
            for (;;) {
                value(out, depth + 1);
                skipWhitespace();
                char c = next();
                if (c == ']') {
                    out.append(']');
                    return;
                }
                if (c != ',') {
                    throw error("expected ',' or ']'");
                }
                out.append(',');
            }
        }

        private void string(StringBuilder out) {
            int start = pos;
            next(); // the opening quote
            for (;;) {
                char c = next();
                if (c == '"') {
                    break;
                }
                if (c < 0x20) {
                    throw error("control character in a string");
                }
                if (c == '\\') {
                    char e = next();
                    if (e == 'u') {
                        for (int i = 0; i < 4; i++) {
                            if (Character.digit(next(), 16) < 0) {
                                throw error("bad \\u escape");
                            }
                        }
                    } else if ("\"\\/bfnrt".indexOf(e) < 0) {
                        throw error("bad escape");
                    }
                }
            }
            out.append(s, start, pos);
        }

        private void literal(StringBuilder out, String word) {
            if (!s.startsWith(word, pos)) {
                throw error("unexpected literal");
            }
            pos += word.length();
            out.append(word);
        }

        private void number(StringBuilder out) {
            int start = pos;
            if (peek() == '-') {
                pos++;
            }
            if (peek() == '0') {
                pos++;
            } else if (peek() >= '1' && peek() <= '9') {
                digits();
            } else {
                throw error("bad number");
            }
            if (peek() == '.') {
                pos++;
                if (!isDigit(peek())) {
                    throw error("bad number");
                }
                digits();
            }
            if (peek() == 'e' || peek() == 'E') {
                pos++;
                if (peek() == '+' || peek() == '-') {
                    pos++;
                }
                if (!isDigit(peek())) {
                    throw error("bad number");
                }
                digits();
            }
            out.append(s, start, pos);
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        private void digits() {
            while (peek() >= '0' && peek() <= '9') {
                pos++;
            }
        }
    }
}
