package org.httpfstream.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class OriginPolicyTest {
    @Test
    void aRequestWithoutOriginIsNotFromAPageAndIsAllowed() {
        assertThat(OriginPolicy.sameOriginOnly().allows(null, "h:1")).isTrue();
        assertThat(OriginPolicy.sameOriginOnly().allows(null, null)).isTrue();
    }

    @Test
    void theServersOwnOriginIsItsHostAndPortWithTheSchemesDefaultPort() {
        OriginPolicy p = OriginPolicy.sameOriginOnly();
        assertThat(p.allows("http://127.0.0.1:8080", "127.0.0.1:8080")).isTrue();
        assertThat(p.allows("HTTP://Stream.Example:8080", "stream.example:8080")).isTrue();
        assertThat(p.allows("http://stream.example", "stream.example")).isTrue();
        assertThat(p.allows("http://stream.example:80", "Stream.Example")).isTrue();
        assertThat(p.allows("https://stream.example", "stream.example")).isTrue(); // behind a TLS proxy
        assertThat(p.allows("https://stream.example", "stream.example:443")).isTrue();
        assertThat(p.allows("http://stream.example", "stream.example:443")).isFalse();
        assertThat(p.allows("http://[::1]:8080", "[::1]:8080")).isTrue();
        assertThat(p.allows("http://127.0.0.1:8081", "127.0.0.1:8080")).isFalse();
        assertThat(p.allows("http://localhost:8080", "127.0.0.1:8080")).isFalse();
        assertThat(p.allows("http://evil.example", "stream.example")).isFalse();
        assertThat(p.allows("http://stream.example.evil.example", "stream.example")).isFalse();
        assertThat(p.allows("http://stream.example", null)).isFalse();
    }

    @Test
    void nullAndOddOriginsAreNeverAllowedExceptByAStar() {
        OriginPolicy p = OriginPolicy.parse("http://a.example");
        for (String o : List.of("null", "", "file://", "chrome-extension://abc", "http://a.example/path",
                "http://user@a.example", "a.example", "http://a.example:99999")) {
            assertThat(p.allows(o, "a.example")).as(o).isFalse();
        }
        assertThat(OriginPolicy.anyOrigin().allows("null", null)).isTrue();
        assertThat(OriginPolicy.parse(" * ")).isSameAs(OriginPolicy.anyOrigin());
    }

    @Test
    void theListIsNormalisedAndBadEntriesAreNamed() {
        OriginPolicy p = OriginPolicy.parse("HTTPS://App.Example/,http://b.example:8080,");
        assertThat(p.origins()).containsExactly("https://app.example:443", "http://b.example:8080");
        assertThat(p.allows("https://app.example", "x")).isTrue();
        assertThat(p.allows("https://app.example:443", "x")).isTrue();
        assertThat(p.allows("http://b.example:8080", "x")).isTrue();
        assertThat(p.allows("http://b.example", "x")).isFalse();
        assertThat(OriginPolicy.parse("")).isSameAs(OriginPolicy.sameOriginOnly());
        assertThatThrownBy(() -> OriginPolicy.parse("https://a.example/app"))
                .hasMessage("not an origin (http[s]://host[:port]): https://a.example/app");
        assertThatThrownBy(() -> OriginPolicy.parse("a.example")).hasMessageContaining("not an origin");
        assertThatThrownBy(() -> OriginPolicy.parse("*,http://a.example")).hasMessageContaining("cannot be combined");
        assertThat(p).isEqualTo(OriginPolicy.parse("https://app.example:443,http://b.example:8080"));
        assertThat(p.toString()).isEqualTo("same-origin,https://app.example:443,http://b.example:8080");
    }
}
