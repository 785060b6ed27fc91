package org.httpfstream.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GlobsTest {
    /** Rows: the glob, the path, whether it matches. */
    @ParameterizedTest(name = "{0} on {1}: {2}")
    @CsvSource(textBlock = """
            events/*,      events/a,      true
            events/*,      events/a/b,    false
            events/**,     events/a/b,    true
            **/log,        log,           true
            events/user-*, events/user-7, true
            events/*,      other/a,       false
            a.b/*,         aXb/c,         false
            """)
    void globsMatchOneSegmentWithStarAndAnyWithDoubleStar(String glob, String path, boolean matches) {
        // the last row: a dot is a dot, no regex leaks
        assertThat(Globs.matches(glob, path)).isEqualTo(matches);
    }

    /** Rows: the glob, the path, whether it matches. */
    @ParameterizedTest(name = "{0} on {1}: {2}")
    @CsvSource(textBlock = """
            a/**/c, a/b/d,   false
            a/**/c, a/c,     true
            a/**/c, a/b/b/c, true
            **/x,   a/b,     false
            a/b,    a,       false
            a,      a/b,     false
            **,     a/b/c,   true
            """)
    void aPatternMatchesWholePathsOnly(String glob, String path, boolean matches) {
        assertThat(Globs.matches(glob, path)).isEqualTo(matches);
    }
}
