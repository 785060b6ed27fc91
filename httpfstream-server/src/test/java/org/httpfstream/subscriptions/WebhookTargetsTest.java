package org.httpfstream.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookTargetsTest {
    static InetAddress ip(String s) throws UnknownHostException {
        return InetAddress.getByName(s);
    }

    /** Names resolved from a fixed table, as a test's own name service. */
    static WebhookTargets.Resolver table(Map<String, List<String>> names) {
        return host -> {
            List<String> ips = names.get(host);
            if (ips == null) {
                throw new UnknownHostException(host);
            }
            InetAddress[] a = new InetAddress[ips.size()];
            for (int i = 0; i < a.length; i++) {
                a[i] = ip(ips.get(i));
            }
            return a;
        };
    }

    @Test
    void internalAddressesAreEveryAddressThatIsNotPublicUnicast() throws Exception {
        for (String s : List.of("127.0.0.1", "127.5.6.7", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.2",
                "169.254.169.254", "100.100.100.200", "0.0.0.0", "224.0.0.1", "255.255.255.255", "198.18.0.1",
                "::1", "::", "fe80::1", "fd00::1", "fd00:ec2::254", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
                "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "::127.0.0.1")) {
            assertThat(WebhookTargets.internal(ip(s))).as(s).isTrue();
        }
        for (String s : List.of("93.184.215.14", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111",
                "64:ff9b::808:808")) {
            assertThat(WebhookTargets.internal(ip(s))).as(s).isFalse();
        }
    }

    @Test
    void atCreationTheFormSchemeAndAddressLiteralsAreChecked() {
        WebhookTargets t = WebhookTargets.publicOnly();
        assertThat(t.refusalAtCreation("https://hooks.example.com/x")).isNull();
        assertThat(t.refusalAtCreation("https://localhost/x")).isNull(); // a name: checked at delivery
        assertThat(t.refusalAtCreation("https://93.184.215.14/x")).isNull();
        assertThat(t.refusalAtCreation("http://hooks.example.com/x")).contains("https");
        assertThat(t.refusalAtCreation("http://127.0.0.1:9000/x"))
                .isEqualTo("webhook target 127.0.0.1 is not a public address; allow it with -webhook-allow");
        assertThat(t.refusalAtCreation("http://10.0.0.1/hook")).contains("not a public address");
        assertThat(t.refusalAtCreation("https://169.254.169.254/latest")).contains("not a public address");
        assertThat(t.refusalAtCreation("https://[::1]/x")).contains("not a public address");
        assertThat(t.refusalAtCreation("https://[::ffff:127.0.0.1]/x")).contains("not a public address");
        assertThat(t.refusalAtCreation("ftp://example.com/x")).isEqualTo("webhook URLs must use https");
        assertThat(t.refusalAtCreation("https://u:p@example.com/x")).contains("user name");
        assertThat(t.refusalAtCreation("nonsense")).isNotNull();
        WebhookTargets local = WebhookTargets.allowing("127.0.0.0/8");
        assertThat(local.refusalAtCreation("http://127.0.0.1:9000/x")).isNull();
        assertThat(local.refusalAtCreation("http://receiver.internal:9000/x")).isNull();
        assertThat(local.refusalAtCreation("http://10.0.0.1/hook")).contains("not a public address");
        assertThat(local.refusalAtCreation("http://93.184.215.14/hook")).contains("needs https");
    }

    @Test
    void aNameIsCheckedByEveryAddressItResolvesToAndOnlyAllowedOnesAreKept() throws Exception {
        WebhookTargets t = WebhookTargets.publicOnly().withResolver(table(Map.of(
                "loopback.test", List.of("127.0.0.1"),
                "mixed.test", List.of("10.0.0.7", "93.184.215.14"),
                "metadata.test", List.of("169.254.169.254", "fd00:ec2::254"),
                "public.test", List.of("93.184.215.14"))));
        assertThatThrownBy(() -> t.resolve(URI.create("https://loopback.test/x")))
                .isInstanceOf(RefusedTargetException.class)
                .hasMessage("webhook target loopback.test (127.0.0.1) is not a public address; "
                        + "allow it with -webhook-allow");
        assertThatThrownBy(() -> t.resolve(URI.create("https://metadata.test/x")))
                .hasMessageContaining("(and 1 more addresses, none allowed)");
        assertThat(t.resolve(URI.create("https://mixed.test/x"))).containsExactly(ip("93.184.215.14"));
        assertThat(t.resolve(URI.create("https://public.test/x"))).containsExactly(ip("93.184.215.14"));
        assertThatThrownBy(() -> t.resolve(URI.create("http://public.test/x"))).hasMessageContaining("needs https");
        assertThatThrownBy(() -> t.resolve(URI.create("https://nowhere.test/x")))
                .hasMessage("webhook host nowhere.test does not resolve");
        assertThatThrownBy(() -> t.resolve(URI.create("https://2130706433/x"))) // not a host to java.net.URI
                .isInstanceOf(RefusedTargetException.class);
    }

    @Test
    void allowedRangesLetChosenInternalTargetsInOverHttpToo() throws Exception {
        WebhookTargets t = WebhookTargets.allowing("127.0.0.1, 10.8.0.0/16,fd00::/8").withResolver(table(Map.of(
                "receiver.internal", List.of("10.8.3.4"), "other.internal", List.of("10.9.0.1"))));
        assertThat(t.allowedRanges()).containsExactly("127.0.0.1/32", "10.8.0.0/16", "fd00:0:0:0:0:0:0:0/8");
        assertThat(t.resolve(URI.create("http://receiver.internal/x"))).containsExactly(ip("10.8.3.4"));
        assertThat(t.resolve(URI.create("http://127.0.0.1:9/x"))).containsExactly(ip("127.0.0.1"));
        assertThatThrownBy(() -> t.resolve(URI.create("http://127.0.0.2/x"))).hasMessageContaining("not a public");
        assertThatThrownBy(() -> t.resolve(URI.create("http://other.internal/x"))).hasMessageContaining("not a public");
        assertThat(t.inAllowedRange(ip("fdab::1"))).isTrue();
        assertThat(WebhookTargets.allowing("10.1.2.3/8").allowedRanges()).containsExactly("10.0.0.0/8");
        assertThat(WebhookTargets.allowing("0.0.0.0/0").inAllowedRange(ip("192.168.0.1"))).isTrue();
        assertThat(WebhookTargets.allowing("")).isSameAs(WebhookTargets.publicOnly());
        assertThatThrownBy(() -> WebhookTargets.allowing("10.0.0.0/33")).hasMessageContaining("out of range 0..32");
        assertThatThrownBy(() -> WebhookTargets.allowing("intranet.example"))
                .hasMessage("not an address range (ADDRESS[/BITS]): intranet.example");
    }
}
