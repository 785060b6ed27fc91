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

    /** Names are checked when a webhook is sent, by the addresses they resolve to. */
    @Test
    void webhooksAreNotSentToNamesThatResolveToTheLocalNetwork() throws Exception {
        // Numeric forms that pass the dotted-quad check at creation but resolve to loopback.
        assertThat(SubscriptionsHandler.unsafe("https://2130706433/x")).isNull();
        assertThat(SubscriptionsHandler.resolvesToLocalNetwork(java.net.URI.create("https://2130706433/x")))
                .contains("local network");
        assertThat(SubscriptionsHandler.resolvesToLocalNetwork(java.net.URI.create("https://127.1/x")))
                .isNotNull(); // not even a host to java.net.URI
        assertThat(SubscriptionsHandler.resolvesToLocalNetwork(java.net.URI.create("https://10.1.2.3/x")))
                .contains("local network");
        assertThat(SubscriptionsHandler.resolvesToLocalNetwork(java.net.URI.create("http://localhost:9000/x")))
                .isNull();
        assertThat(SubscriptionsHandler.resolvesToLocalNetwork(java.net.URI.create("http://127.0.0.1:9000/x")))
                .isNull();
        assertThat(SubscriptionsHandler.localAddress(java.net.InetAddress.getByName("93.184.215.14"))).isFalse();
        assertThat(SubscriptionsHandler.localAddress(java.net.InetAddress.getByName("fd00::1"))).isTrue();
    }
}
