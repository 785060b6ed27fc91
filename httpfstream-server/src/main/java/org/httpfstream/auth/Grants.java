package org.httpfstream.auth;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * The grants of one grant file, parsed. One grant per line:
 *
 * <pre>
 *   # comment
 *   TOKEN PERMISSIONS PATHS [requests=N] [bytes=N]
 * </pre>
 *
 * TOKEN is the token itself or {@code sha256:} and the 64 hexadecimal digits of its SHA-256 digest;
 * PERMISSIONS a comma list of {@code read}, {@code append}, {@code delete}, {@code admin}; PATHS a comma
 * list of exact paths and prefixes ending in {@code /} ({@code /} is everything). The optional {@code
 * requests=} and {@code bytes=} set this token's rates per second (0: unlimited) in place of the
 * server's defaults. {@code #} starts a comment anywhere. A token on several lines has the union of
 * their grants; its rate is the first one set.
 *
 * <p>Thread safety: immutable.
 */
public final class Grants {
    /** No grant at all: every token is unknown. */
    public static final Grants NONE = new Grants(List.of());

    private final List<Grant> grants;

    private Grants(List<Grant> grants) {
        this.grants = List.copyOf(grants);
    }

    /**
     * Parses a grant file's text.
     *
     * @param source names the file in the message of a failure
     * @throws GrantFileException at the first bad line
     */
    public static Grants parse(String text, String source) throws GrantFileException {
        List<Grant> grants = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            grants.add(parseLine(line.split("\\s+"), source, i + 1));
        }
        return new Grants(grants);
    }

    private static Grant parseLine(String[] fields, String source, int n) throws GrantFileException {
        if (fields.length < 3) {
            throw new GrantFileException(source, n, "expected TOKEN PERMISSIONS PATHS, found "
                    + fields.length + " field" + (fields.length == 1 ? "" : "s"));
        }
        byte[] digest;
        if (fields[0].startsWith("sha256:")) {
            String hex = fields[0].substring("sha256:".length());
            if (!hex.matches("[0-9a-fA-F]{64}")) {
                throw new GrantFileException(source, n, "sha256: must be followed by 64 hexadecimal digits");
            }
            digest = HexFormat.of().parseHex(hex.toLowerCase());
        } else {
            digest = Tokens.sha256(fields[0]);
        }
        Set<Permission> permissions = EnumSet.noneOf(Permission.class);
        for (String p : fields[1].split(",")) {
            Permission permission = Permission.parse(p);
            if (permission == null) {
                throw new GrantFileException(source, n, "unknown permission \"" + printable(p)
                        + "\" (expected read, append, delete or admin)");
            }
            permissions.add(permission);
        }
        List<String> scopes = new ArrayList<>();
        for (String p : fields[2].split(",")) {
            if (!p.startsWith("/")) {
                throw new GrantFileException(source, n, "path \"" + printable(p) + "\" must start with /");
            }
            scopes.add(StreamPaths.canonicalScope(p));
        }
        long requests = -1;
        long bytes = -1;
        for (int i = 3; i < fields.length; i++) {
            String f = fields[i];
            if (f.startsWith("requests=")) {
                requests = count(f, source, n);
            } else if (f.startsWith("bytes=")) {
                bytes = count(f, source, n);
            } else {
                throw new GrantFileException(source, n, "unexpected \"" + printable(f)
                        + "\" (after the paths only requests=N and bytes=N may follow)");
            }
        }
        Rate rate = requests < 0 && bytes < 0 ? null : new Rate(requests, bytes);
        return new Grant(digest, permissions, scopes, rate, n);
    }

    private static long count(String field, String source, int n) throws GrantFileException {
        String v = field.substring(field.indexOf('=') + 1);
        try {
            long value = Long.parseLong(v);
            if (value >= 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new GrantFileException(source, n, "\"" + printable(field) + "\" needs a non-negative integer");
    }

    private static String printable(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    /**
     * The grants of {@code token}, empty if it is unknown. Compares its digest with every grant's in
     * constant time, and goes through all of them whatever matches, so the time taken says nothing of
     * which token or how many matched.
     */
    public List<Grant> of(String token) {
        byte[] digest = Tokens.sha256(token);
        List<Grant> found = new ArrayList<>(2);
        for (Grant g : grants) {
            if (Tokens.same(g.digest(), digest)) {
                found.add(g);
            }
        }
        return found;
    }

    /** How many grants there are. */
    public int size() {
        return grants.size();
    }
}
