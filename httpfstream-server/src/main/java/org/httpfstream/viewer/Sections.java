package org.httpfstream.viewer;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The sections open at a point of a log, outermost first, and the rules that open and close them from
 * one line's text (escape sequences removed, at most its first {@link LogScanner#PREFIX} bytes):
 * <ul>
 * <li>GitHub Actions: {@code ::group::TITLE} opens, {@code ::endgroup::} closes; groups do not nest (a
 * new group closes the open one).
 * <li>GitLab CI: {@code section_start:TS:NAME[collapsed=true]\r} then the header text, and {@code
 * section_end:TS:NAME}, anywhere in the line and several per line; sections nest, and an end closes
 * its section and every section opened inside it.
 * <li>Buildkite: a line starting {@code --- }, {@code +++ } or {@code ~~~ } opens a group that closes
 * the previous Buildkite group (they do not nest); {@code +++} is expanded, the others collapsed.
 * </ul>
 * At most {@link #MAX_DEPTH} sections are open; deeper ones are ignored.
 *
 * <p>Thread safety: not thread safe; owned by one {@link LogScanner}.
 */
final class Sections {
    static final int MAX_DEPTH = 16;
    static final int MAX_TITLE = 200;
    static final String GITHUB = "github";
    static final String GITLAB = "gitlab";
    static final String BUILDKITE = "buildkite";

    /** Guarded by the owning scanner's confinement. */
    private final List<Section> open = new ArrayList<>();

    List<Section> open() {
        return List.copyOf(open);
    }

    void set(Sections other) {
        open.clear();
        open.addAll(other.open);
    }

    /** Applies the section markers of line {@code line}, whose text (escapes removed) is {@code text}. */
    void classify(String text, long line) {
        if (text.startsWith("::group::")) {
            closeFrom(GITHUB, null);
            push(new Section(GITHUB, title(text.substring(9)), line, true, ""));
        } else if (text.startsWith("::endgroup::")) {
            closeFrom(GITHUB, null);
        } else if (text.startsWith("--- ") || text.startsWith("+++ ") || text.startsWith("~~~ ")) {
            closeFrom(BUILDKITE, null);
            push(new Section(BUILDKITE, title(text.substring(4)), line, text.charAt(0) != '+', ""));
        } else if (text.contains("section_")) {
            gitlab(text, line);
        }
    }

    private void gitlab(String text, long line) {
        int i = 0;
        while (true) {
            int start = text.indexOf("section_start:", i);
            int end = text.indexOf("section_end:", i);
            if (start < 0 && end < 0) {
                return;
            }
            if (end >= 0 && (start < 0 || end < start)) {
                String rest = text.substring(end + 12);
                closeFrom(GITLAB, field(rest, 1));
                i = end + 12;
            } else {
                String rest = text.substring(start + 14);
                String name = field(rest, 1);
                int cr = rest.indexOf('\r');
                String header = cr < 0 ? "" : rest.substring(cr + 1);
                int next = header.indexOf("section_");
                header = (next < 0 ? header : header.substring(0, next)).strip();
                boolean collapsed = rest.startsWith("[collapsed=true]", rest.indexOf(':') + 1 + name.length());
                push(new Section(GITLAB, title(header.isEmpty() ? name : header), line, collapsed, name));
                i = start + 14;
            }
        }
    }

    /** Field {@code index} of {@code TS:NAME[opts]\r...}: the text between colons, up to {@code [} or {@code \r}. */
    private static String field(String rest, int index) {
        int from = 0;
        for (int k = 0; k < index; k++) {
            int c = rest.indexOf(':', from);
            if (c < 0) {
                return "";
            }
            from = c + 1;
        }
        int to = from;
        while (to < rest.length() && "[\r: ".indexOf(rest.charAt(to)) < 0) {
            to++;
        }
        return rest.substring(from, to);
    }

    private static String title(String s) {
        String t = s.strip();
        return t.length() > MAX_TITLE ? t.substring(0, MAX_TITLE) : t;
    }

    private void push(Section s) {
        if (open.size() < MAX_DEPTH) {
            open.add(s);
        }
    }

    /** Closes the innermost open section of {@code kind} (named {@code name}, if given) and all inside it. */
    private void closeFrom(String kind, String name) {
        for (int k = open.size() - 1; k >= 0; k--) {
            Section s = open.get(k);
            if (s.kind().equals(kind) && (name == null || s.name().equals(name))) {
                open.subList(k, open.size()).clear();
                return;
            }
        }
    }

    void write(DataOutput out) throws IOException {
        out.writeByte(open.size());
        for (Section s : open) {
            out.writeByte(s.kind().equals(GITHUB) ? 0 : s.kind().equals(GITLAB) ? 1 : 2);
            out.writeBoolean(s.collapsed());
            out.writeLong(s.line());
            writeString(out, s.title());
            writeString(out, s.name());
        }
    }

    void read(DataInput in) throws IOException {
        open.clear();
        int n = in.readUnsignedByte();
        for (int k = 0; k < n; k++) {
            int kind = in.readUnsignedByte();
            boolean collapsed = in.readBoolean();
            long line = in.readLong();
            String title = readString(in);
            String name = readString(in);
            open.add(new Section(kind == 0 ? GITHUB : kind == 1 ? GITLAB : BUILDKITE, title, line, collapsed, name));
        }
    }

    private static void writeString(DataOutput out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeShort(b.length);
        out.write(b);
    }

    private static String readString(DataInput in) throws IOException {
        byte[] b = new byte[in.readUnsignedShort()];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
