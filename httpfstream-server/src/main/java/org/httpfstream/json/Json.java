package org.httpfstream.json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON reader and writer for the control APIs' bodies: objects become {@code Map<String,
 * Object>} (in order), arrays {@code List<Object>}, numbers {@code Long} when integral else {@code
 * Double}, and {@code true}/{@code false}/{@code null} as themselves. Thread safety: stateless.
 */
public final class Json {
    private Json() {}

    /** Parses {@code text}; throws IllegalArgumentException if it is not one JSON value. */
    public static Object parse(String text) {
        Reader r = new Reader(text);
        Object v = r.value(0);
        r.skip();
        if (r.pos != text.length()) {
            throw new IllegalArgumentException("unexpected data after the JSON value");
        }
        return v;
    }

    /** Serializes maps, lists, strings, numbers, booleans and null. */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            sb.append('"');
        } else if (v instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                write(sb, String.valueOf(e.getKey()));
                sb.append(':');
                write(sb, e.getValue());
            }
            sb.append('}');
        } else if (v instanceof List<?> l) {
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                write(sb, l.get(i));
            }
            sb.append(']');
        } else {
            sb.append(v); // numbers and booleans
        }
    }

    private static final class Reader {
        private final String s;
        int pos;

        Reader(String s) {
            this.s = s;
        }

        void skip() {
            while (pos < s.length() && " \t\r\n".indexOf(s.charAt(pos)) >= 0) {
                pos++;
            }
        }

        IllegalArgumentException error(String what) {
            return new IllegalArgumentException("invalid JSON at " + pos + ": " + what);
        }

        char next() {
            if (pos >= s.length()) {
                throw error("unexpected end");
            }
            return s.charAt(pos++);
        }

        Object value(int depth) {
            if (depth > 64) {
                throw error("nested too deeply");
            }
            skip();
            if (pos >= s.length()) {
                throw error("unexpected end");
            }
            char c = s.charAt(pos);
            if (c == '{') {
                pos++;
                Map<String, Object> m = new LinkedHashMap<>();
                skip();
                if (pos < s.length() && s.charAt(pos) == '}') {
                    pos++;
                    return m;
                }
                for (;;) {
                    skip();
                    if (next() != '"') {
                        throw error("expected a key");
                    }
                    String key = string();
                    skip();
                    if (next() != ':') {
                        throw error("expected ':'");
                    }
                    m.put(key, value(depth + 1));
                    skip();
                    char d = next();
                    if (d == '}') {
                        return m;
                    }
                    if (d != ',') {
                        throw error("expected ',' or '}'");
                    }
                }
            }
            if (c == '[') {
                pos++;
                List<Object> l = new ArrayList<>();
                skip();
                if (pos < s.length() && s.charAt(pos) == ']') {
                    pos++;
                    return l;
                }
                for (;;) {
                    l.add(value(depth + 1));
                    skip();
                    char d = next();
                    if (d == ']') {
                        return l;
                    }
                    if (d != ',') {
                        throw error("expected ',' or ']'");
                    }
                }
            }
            if (c == '"') {
                pos++;
                return string();
            }
            for (String word : new String[] {"true", "false", "null"}) {
                if (s.startsWith(word, pos)) {
                    pos += word.length();
                    return word.equals("null") ? null : Boolean.valueOf(word);
                }
            }
            int start = pos;
            while (pos < s.length() && "+-0123456789.eE".indexOf(s.charAt(pos)) >= 0) {
                pos++;
            }
            String n = s.substring(start, pos);
            if (n.isEmpty()) {
                throw error("unexpected character");
            }
            try {
                return n.matches("-?(0|[1-9][0-9]*)") && n.length() < 19 ? (Object) Long.parseLong(n)
                        : (Object) Double.parseDouble(n);
            } catch (NumberFormatException e) {
                throw error("bad number");
            }
        }

        /** Reads a string body after its opening quote. */
        String string() {
            StringBuilder sb = new StringBuilder();
            for (;;) {
                char c = next();
                if (c == '"') {
                    return sb.toString();
                }
                if (c == '\\') {
                    char e = next();
                    switch (e) {
                        case 'n' -> sb.append('\n');
                        case 't' -> sb.append('\t');
                        case 'r' -> sb.append('\r');
                        case 'b' -> sb.append('\b');
                        case 'f' -> sb.append('\f');
                        case 'u' -> {
                            if (pos + 4 > s.length()) {
                                throw error("bad escape");
                            }
                            sb.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                            pos += 4;
                        }
                        default -> sb.append(e);
                    }
                } else {
                    sb.append(c);
                }
            }
        }
    }
}
