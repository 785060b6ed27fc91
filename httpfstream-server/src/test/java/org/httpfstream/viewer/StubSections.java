package org.httpfstream.viewer;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * TEST-ONLY: the {@code Line-Sections} header of {@link ViewerStub}, found by reading every line before
 * the requested one (GitHub groups end the open group, GitLab sections nest by name, Buildkite headers
 * are flat). Goes with the stub once the real server's line index is merged.
 *
 * <p>Thread safety: stateless.
 */
final class StubSections {
    private static final Pattern ESCAPE = Pattern.compile("\u001b(\\[[0-?]*[ -/]*[@-~]?|[ -/]*.?)");
    private static final Pattern TIME = Pattern.compile("^\\d{4}-\\d\\d-\\d\\d[Tt ]\\d\\d:\\d\\d:\\d\\d\\S* ?");
    private static final Pattern GITLAB = Pattern.compile("section_(start|end):\\d+:([^\\s\\[\r]+)(\\[[^\\]]*\\])?");

    private record Open(String title, int line, String kind, boolean collapsed, String name) {}

    private StubSections() {}

    /** JSON array of the sections open at line {@code first}, outermost first. */
    static String openAt(byte[] data, List<Integer> starts, int first) {
        Deque<Open> stack = new ArrayDeque<>();
        for (int n = 1; n < first && n <= starts.size(); n++) {
            int from = starts.get(n - 1);
            int to = n < starts.size() ? starts.get(n) - 1 : data.length;
            String stripped = ESCAPE.matcher(new String(data, from, to - from, UTF_8)).replaceAll("");
            String text = stripped.substring(stripped.lastIndexOf('\r') + 1);
            String rest = TIME.matcher(text).replaceFirst("");
            Matcher g = GITLAB.matcher(stripped);
            if (rest.startsWith("::group::")) {
                stack.removeIf(o -> o.kind.equals("github"));
                stack.push(new Open(rest.substring(9), n, "github", true, null));
            } else if (rest.startsWith("::endgroup::")) {
                stack.removeIf(o -> o.kind.equals("github"));
            } else if (g.find()) {
                String name = g.group(2);
                if (g.group(1).equals("start")) {
                    String opts = g.group(3) == null ? "" : g.group(3);
                    stack.push(new Open(rest.isBlank() ? name : rest.strip(), n, "gitlab",
                            opts.contains("collapsed=true"), name));
                } else {
                    while (!stack.isEmpty() && !(name.equals(stack.peek().name))) {
                        stack.pop();
                    }
                    stack.poll();
                }
            } else if (rest.matches("(---|\\+\\+\\+|~~~) .*")) {
                stack.removeIf(o -> o.kind.equals("buildkite"));
                stack.push(new Open(rest.substring(4), n, "buildkite", !rest.startsWith("+++"), null));
            }
        }
        StringBuilder json = new StringBuilder("[");
        stack.descendingIterator().forEachRemaining(o -> json.append(json.length() > 1 ? "," : "")
                .append("{\"title\":").append(json(o.title))
                .append(",\"line\":").append(o.line).append(",\"kind\":\"").append(o.kind)
                .append("\",\"collapsed\":").append(o.collapsed).append('}'));
        return json.append(']').toString();
    }

    /** A JSON string of ASCII characters only (a header value carries no UTF-8 safely). */
    static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7e) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
