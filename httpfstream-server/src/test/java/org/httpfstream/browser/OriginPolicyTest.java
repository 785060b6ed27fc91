package org.httpfstream.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OriginPolicyTest {
    @Test
    void aRequestWithoutOriginIsNotFromAPageAndIsAllowed() {
        assertThat(OriginPolicy.sameOriginOnly().allows(null, "h:1")).isTrue();
        assertThat(OriginPolicy.sameOriginOnly().allows(null, null)).isTrue();
    }

    /** Rows: the Origin header, the Host header (empty: none), whether a same-origin server allows it. */
    @ParameterizedTest(name = "Origin {0}, Host {1}: {2}")
    @CsvSource(nullValues = "", textBlock = """
            http://127.0.0.1:8080,              127.0.0.1:8080,      true
            HTTP://Stream.Example:8080,         stream.example:8080, true
            http://stream.example,              stream.example,      true
            http://stream.example:80,           Stream.Example,      true
            https://stream.example,             stream.example,      true
            https://stream.example,             stream.example:443,  true
            http://stream.example,              stream.example:443,  false
            http://[::1]:8080,                  [::1]:8080,          true
            http://127.0.0.1:8081,              127.0.0.1:8080,      false
            http://localhost:8080,              127.0.0.1:8080,      false
            http://evil.example,                stream.example,      false
            http://stream.example.evil.example, stream.example,      false
            http://stream.example,              ,                    false
            """)
    void theServersOwnOriginIsItsHostAndPortWithTheSchemesDefaultPort(String origin, String host, boolean allowed) {
        // https without a port against a bare host: the server behind a TLS proxy
        assertThat(OriginPolicy.sameOriginOnly().allows(origin, host)).isEqualTo(allowed);
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
