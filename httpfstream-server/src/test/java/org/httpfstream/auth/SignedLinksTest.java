package org.httpfstream.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SignedLinksTest {
    final byte[] key = new byte[32];
    final Clock now = Clock.fixed(Instant.parse("2026-12-07T12:00:00Z"), ZoneOffset.UTC);

    String[] params(String query) {
        String[] v = new String[3];
        for (String p : query.split("&")) {
            String value = java.net.URLDecoder.decode(p.substring(p.indexOf('=') + 1), java.nio.charset.StandardCharsets.UTF_8);
            v[p.startsWith("link-expires") ? 0 : p.startsWith("link-scope") ? 1 : 2] = value;
        }
        return v;
    }

    @Test
    void aLinkIsValidOnItsScopeUntilItExpires() {
        SignedLinks links = new SignedLinks(key, now);
        String[] p = params(links.sign("/logs/", Duration.ofHours(24)));
        assertThat(p[0]).isEqualTo(Long.toString(Instant.parse("2026-12-08T12:00:00Z").getEpochSecond()));
        assertThat(links.check("/logs/a", p[1], p[0], p[2])).isNull();
        assertThat(links.check("/other", p[1], p[0], p[2])).isEqualTo("signed link is for /logs/, not /other");
        SignedLinks later = new SignedLinks(key, Clock.offset(now, Duration.ofHours(24)));
        assertThat(later.check("/logs/a", p[1], p[0], p[2])).isEqualTo("signed link expired at 2026-12-08T12:00:00Z");
    }

    @Test
    void anotherKeyOrAChangedFieldDoesNotMatch() {
        String[] p = params(new SignedLinks(key, now).sign("/logs/a", Duration.ofHours(1)));
        byte[] other = Arrays.copyOf(key, 32);
        other[0] = 1;
        String mismatch = "signed link signature does not match";
        assertThat(new SignedLinks(other, now).check("/logs/a", p[1], p[0], p[2])).isEqualTo(mismatch);
        SignedLinks links = new SignedLinks(key, now);
        assertThat(links.check("/logs/a", "/", p[0], p[2])).isEqualTo(mismatch);
        assertThat(links.check("/logs/a", p[1], p[0] + "0", p[2])).isEqualTo(mismatch);
        assertThat(links.check("/logs/a", p[1], p[0], p[2].substring(1))).isEqualTo(mismatch);
        assertThat(links.check("/logs/a", p[1], p[0], "!!")).isEqualTo(mismatch);
        assertThat(links.check("/logs/a", p[1], null, p[2])).startsWith("signed link incomplete");
    }
}
