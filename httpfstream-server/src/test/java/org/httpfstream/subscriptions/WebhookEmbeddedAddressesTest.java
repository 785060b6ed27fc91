package org.httpfstream.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The IPv4 ranges a webhook may not reach unless allowed, each checked at its edges through the IPv6
 * forms that embed an IPv4 address (6to4 {@code 2002::/16}, NAT64 {@code 64:ff9b::/96}): the JDK's own
 * tests ({@link InetAddress#isSiteLocalAddress()} and the like) do not see through them, so only {@link
 * WebhookTargets#internal}'s own ranges stand between a 6to4 name and a private address.
 */
class WebhookEmbeddedAddressesTest {
    static final List<String> INTERNAL = List.of("0.0.0.1", "0.255.255.255", "10.0.0.1", "10.255.255.255",
            "127.0.0.1", "224.0.0.0", "239.1.2.3", "255.255.255.255", "100.64.0.0", "100.127.255.255",
            "169.254.169.254", "172.16.0.0", "172.31.255.255", "192.168.0.1", "192.0.0.8", "192.0.2.1",
            "198.18.0.0", "198.19.255.255", "198.51.100.7", "203.0.113.9");
    static final List<String> PUBLIC = List.of("1.0.0.1", "9.255.255.255", "11.0.0.0", "126.255.255.255",
            "128.0.0.0", "223.255.255.255", "100.63.255.255", "100.128.0.0", "169.253.0.1", "169.255.0.1",
            "172.15.255.255", "172.32.0.0", "192.167.0.1", "192.169.0.1", "192.0.1.1", "192.0.3.1", "191.0.0.1",
            "198.17.255.255", "198.20.0.0", "198.51.101.7", "198.52.100.7", "203.0.112.9", "203.1.113.9",
            "204.0.113.9");

    /** {@code a.b.c.d} as the 6to4 address {@code 2002:aabb:ccdd::1}. */
    static InetAddress sixToFour(String ipv4) throws Exception {
        byte[] v4 = InetAddress.getByName(ipv4).getAddress();
        byte[] v6 = new byte[16];
        v6[0] = 0x20;
        v6[1] = 0x02;
        System.arraycopy(v4, 0, v6, 2, 4);
        v6[15] = 1;
        return InetAddress.getByAddress(v6);
    }

    /** {@code a.b.c.d} as the NAT64 address {@code 64:ff9b::aabb:ccdd}. */
    static InetAddress nat64(String ipv4) throws Exception {
        byte[] v4 = InetAddress.getByName(ipv4).getAddress();
        byte[] v6 = new byte[16];
        v6[1] = 0x64;
        v6[2] = (byte) 0xff;
        v6[3] = (byte) 0x9b;
        System.arraycopy(v4, 0, v6, 12, 4);
        return InetAddress.getByAddress(v6);
    }

    @Test
    void eachInternalRangeIsSeenThrough6to4AndNat64AtItsEdges() throws Exception {
        for (String s : INTERNAL) {
            assertThat(WebhookTargets.internal(sixToFour(s))).as("6to4 of %s", s).isTrue();
            assertThat(WebhookTargets.internal(nat64(s))).as("NAT64 of %s", s).isTrue();
        }
    }

    @Test
    void theAddressesJustOutsideEachRangeArePublic() throws Exception {
        for (String s : PUBLIC) {
            assertThat(WebhookTargets.internal(InetAddress.getByName(s))).as(s).isFalse();
            assertThat(WebhookTargets.internal(sixToFour(s))).as("6to4 of %s", s).isFalse();
            assertThat(WebhookTargets.internal(nat64(s))).as("NAT64 of %s", s).isFalse();
        }
    }

    @Test
    void uniqueLocalMulticastLinkLocalSiteLocalAndDocumentationIpv6AreInternal() throws Exception {
        for (String s : List.of("fc00::1", "fdff:ffff::1", "ff0e::1", "fe80::1", "febf:ffff::1", "fec0::1", "2001:db8::1")) {
            assertThat(WebhookTargets.internal(InetAddress.getByName(s))).as(s).isTrue();
        }
        for (String s : List.of("fbff::1", "2001:db9::1", "2003::1")) {
            assertThat(WebhookTargets.internal(InetAddress.getByName(s))).as(s).isFalse();
        }
    }
}
