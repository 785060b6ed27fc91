package org.httpfstream.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which addresses count as internal, at every edge of each range, and how ranges are read. */
class WebhookAddressesTest {
    @ParameterizedTest
    @ValueSource(strings = {"0.1.2.3", "10.0.0.1", "127.0.0.1", "224.0.0.1", "255.255.255.255", "100.64.0.1",
            "100.127.255.255", "169.254.169.254", "172.16.0.1", "172.31.255.255", "192.168.1.1", "192.0.0.1",
            "192.0.2.1", "198.18.0.1", "198.19.255.255", "198.51.100.7", "203.0.113.9", "::1", "::", "fc00::1",
            "fdff::1", "fec0::1", "ff02::1", "fe80::1", "febf::1", "::ffff:10.0.0.1", "::10.0.0.1", "64:ff9b::a00:1",
            "2002:a00:1::", "2001:db8::1"})
    void internal(String address) throws Exception {
        assertThat(WebhookTargets.internal(InetAddress.getByName(address))).as(address).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.1.1.1", "9.255.255.255", "11.0.0.1", "126.255.255.255", "128.0.0.1",
            "223.255.255.255", "100.63.255.255", "100.128.0.1", "169.253.0.1", "169.255.0.1", "172.15.255.255",
            "172.32.0.1", "192.167.1.1", "192.169.1.1", "192.0.1.1", "192.0.3.1", "192.1.0.1", "198.17.255.255",
            "198.20.0.1", "198.51.101.1", "198.52.100.1", "203.0.114.1", "203.1.113.1", "2606:4700::1111",
            "fe00::1", "::ffff:8.8.8.8", "::8.8.8.8", "64:ff9b::808:808", "2002:808:808::",
            "2001:db9::1", "2001:4860::8888", "1::1", "0:1::1", "0:0:0:0:0:1::1", "64:ff9a::a00:1",
            "2003:a00:1::"})
    void publicAddresses(String address) throws Exception {
        assertThat(WebhookTargets.internal(InetAddress.getByName(address))).as(address).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.1.2.3/8|10.255.0.0|11.0.0.0", "10.1.2.3/7|11.0.0.1|12.0.0.0",
            "192.168.7.0/24|192.168.7.255|192.168.8.0", "[fd00::]/8|fdff::1|fe00::1", "127.0.0.1|127.0.0.1|127.0.0.2",
            "0.0.0.0/0|8.8.8.8|::1", "10.0.0.0/32|10.0.0.0|10.0.0.1", "10.0.0.0/9|10.127.0.0|10.128.0.0",
            "fd00::/120|fd00::ff|fd00::100"})
    void rangesContainTheirAddressesOnly(String c) throws Exception {
        String[] parts = c.split("\\|");
        WebhookTargets.Cidr cidr = WebhookTargets.Cidr.parse(parts[0]);
        assertThat(cidr.contains(InetAddress.getByName(parts[1]))).as(parts[0] + " holds " + parts[1]).isTrue();
        assertThat(cidr.contains(InetAddress.getByName(parts[2]))).as(parts[0] + " lacks " + parts[2]).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/33", "10.0.0.0/-1", "::/129", "10.0.0.0/x", "host.example", "10.0.0",
            "[::1"})
    void badRangesAreRefusedByName(String range) {
        assertThatThrownBy(() -> WebhookTargets.allowing(range)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(range);
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/0", "10.0.0.0/32", "::/0", "::/128"})
    void prefixLengthsFromZeroToTheAddressSizeAreRanges(String range) {
        assertThat(WebhookTargets.allowing(range).allowedRanges()).hasSize(1);
    }
}
