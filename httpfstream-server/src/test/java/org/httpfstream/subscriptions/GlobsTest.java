package org.httpfstream.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GlobsTest {

    @Test
    void globsMatchOneSegmentWithStarAndAnyWithDoubleStar() {
        assertThat(Globs.matches("events/*", "events/a")).isTrue();
        assertThat(Globs.matches("events/*", "events/a/b")).isFalse();
        assertThat(Globs.matches("events/**", "events/a/b")).isTrue();
        assertThat(Globs.matches("**/log", "log")).isTrue();
        assertThat(Globs.matches("events/user-*", "events/user-7")).isTrue();
        assertThat(Globs.matches("events/*", "other/a")).isFalse();
        assertThat(Globs.matches("a.b/*", "aXb/c")).isFalse(); // no regex leaks
    }

    @Test
    void aPatternMatchesWholePathsOnly() {
        assertThat(Globs.matches("a/**/c", "a/b/d")).isFalse();
        assertThat(Globs.matches("a/**/c", "a/c")).isTrue();
        assertThat(Globs.matches("a/**/c", "a/b/b/c")).isTrue();
        assertThat(Globs.matches("**/x", "a/b")).isFalse();
        assertThat(Globs.matches("a/b", "a")).isFalse();
        assertThat(Globs.matches("a", "a/b")).isFalse();
        assertThat(Globs.matches("**", "a/b/c")).isTrue();
    }
}
