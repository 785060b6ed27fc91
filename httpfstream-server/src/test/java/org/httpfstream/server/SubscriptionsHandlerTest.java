package org.httpfstream.server;

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

    @Test
    void webhookUrlsMustNotReachTheLocalNetwork() {
        assertThat(SubscriptionsHandler.unsafe("https://hooks.example.com/x")).isNull();
        assertThat(SubscriptionsHandler.unsafe("http://localhost:9000/x")).isNull();
        assertThat(SubscriptionsHandler.unsafe("http://127.0.0.1:9000/x")).isNull();
        assertThat(SubscriptionsHandler.unsafe("http://10.0.0.1/hook")).isNotNull();
        assertThat(SubscriptionsHandler.unsafe("http://hooks.example.com/x")).isNotNull();
        assertThat(SubscriptionsHandler.unsafe("https://192.168.1.2/x")).isNotNull();
        assertThat(SubscriptionsHandler.unsafe("https://169.254.169.254/latest")).isNotNull();
        assertThat(SubscriptionsHandler.unsafe("https://[::1]/x")).isNotNull();
        assertThat(SubscriptionsHandler.unsafe("ftp://example.com/x")).isNotNull();
    }
}
