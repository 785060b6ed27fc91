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
}
