package org.httpfstream.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HexFormat;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GrantsTest {
    @Test
    void aLineGrantsItsPermissionsOnItsPathsAndCommentsAreIgnored() throws GrantFileException {
        Grants g = Grants.parse("""
                # the CI system
                ci  append,read  /builds/,/status   # trailing comment

                ops admin /
                """, "tokens");
        assertThat(g.size()).isEqualTo(2);
        Grant ci = g.of("ci").get(0);
        assertThat(ci.permissions()).isEqualTo(Set.of(Permission.APPEND, Permission.READ));
        assertThat(ci.allows(Permission.APPEND, "/builds/1/log")).isTrue();
        assertThat(ci.allows(Permission.READ, "/status")).isTrue();
        assertThat(ci.allows(Permission.READ, "/status/x")).isFalse();
        assertThat(ci.allows(Permission.READ, "/builds")).isFalse();
        assertThat(ci.allows(Permission.DELETE, "/builds/1/log")).isFalse();
        assertThat(ci.line()).isEqualTo(2);
        Grant ops = g.of("ops").get(0);
        for (Permission p : Permission.values()) {
            assertThat(ops.allows(p, "/anything/at/all")).isTrue();
        }
        assertThat(g.of("nobody")).isEmpty();
    }

    @Test
    void aHashedTokenMatchesTheTokenNotItsHash() throws GrantFileException {
        String hex = HexFormat.of().formatHex(Tokens.sha256("t0k3n"));
        Grants g = Grants.parse("sha256:" + hex.toUpperCase() + " read /", "f");
        assertThat(g.of("t0k3n")).hasSize(1);
        assertThat(g.of("sha256:" + hex)).isEmpty();
    }

    @Test
    void aTokenOnSeveralLinesHasTheirUnionAndTheFirstRate() throws GrantFileException {
        Grants g = Grants.parse("t read /a/ requests=5\nt append /b/ bytes=7 requests=9\n", "f");
        assertThat(g.of("t")).hasSize(2);
        assertThat(g.of("t").get(0).rate()).isEqualTo(new Rate(5, -1));
        assertThat(g.of("t").get(0).rate().orElse(new Rate(1, 2))).isEqualTo(new Rate(5, 2));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "t read|1: expected TOKEN PERMISSIONS PATHS, found 2 fields",
        "t write /|1: unknown permission \"write\" (expected read, append, delete or admin)",
        "t read logs/|1: path \"logs/\" must start with /",
        "sha256:abc read /|1: sha256: must be followed by 64 hexadecimal digits",
        "t read / rate=5|1: unexpected \"rate=5\" (after the paths only requests=N and bytes=N may follow)",
        "t read / bytes=-1|1: \"bytes=-1\" needs a non-negative integer",
    })
    void aBadLineIsRefusedWithItsNumber(String line, String message) {
        GrantFileException e = assertThrows(GrantFileException.class,
                () -> Grants.parse("# header\n" + line + "\n", "grants.txt"));
        int n = Integer.parseInt(message.substring(0, message.indexOf(':'))) + 1;
        assertThat(e.line()).isEqualTo(n);
        assertThat(e.getMessage()).isEqualTo("grants.txt line " + n + message.substring(message.indexOf(':')));
    }
}
