package org.httpfstream.server.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SubscriptionsHandlerTest {

    @Test
    void globsMatchOneSegmentWithStarAndAnyWithDoubleStar() {
        assertThat(SubscriptionsHandler.glob("events/*", "events/a")).isTrue();
        assertThat(SubscriptionsHandler.glob("events/*", "events/a/b")).isFalse();
        assertThat(SubscriptionsHandler.glob("events/**", "events/a/b")).isTrue();
        assertThat(SubscriptionsHandler.glob("**/log", "log")).isTrue();
        assertThat(SubscriptionsHandler.glob("events/user-*", "events/user-7")).isTrue();
        assertThat(SubscriptionsHandler.glob("events/*", "other/a")).isFalse();
        assertThat(SubscriptionsHandler.glob("a.b/*", "aXb/c")).isFalse(); // no regex leaks
    }
}
