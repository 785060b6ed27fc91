package org.httpfstream.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StreamPathsTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "/a/b, /a/b", "//a//b/, /a/b", "/a/./b, /a/b", "/a/../b, /b", "/../../b, /b", "/, /", "'', /",
        "/A/b, /A/b", "/a\\b, /a/b"
    })
    void canonicalPathsAreTheStoresNames(String path, String canonical) {
        assertThat(StreamPaths.canonical(path)).isEqualTo(canonical);
    }

    @ParameterizedTest(name = "{0} covers {1}: {2}")
    @CsvSource({
        "/, /anything, true", "/logs/, /logs/a, true", "/logs/, /logs, false", "/logs/, /logsx, false",
        "/logs/, /logs/, true", "/logs/a, /logs/a, true", "/logs/a, /logs/a/b, false", "/logs/, /, false"
    })
    void scopesCoverExactPathsOrPrefixes(String scope, String path, boolean covered) {
        assertThat(StreamPaths.covers(scope, path)).isEqualTo(covered);
    }
}
