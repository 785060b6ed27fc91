package org.httpfstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class BindAddressTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        ":8080           | ''          | 8080 | :8080",
        "127.0.0.1:0     | 127.0.0.1   | 0    | 127.0.0.1:0",
        "localhost:9000  | localhost   | 9000 | localhost:9000",
        "0.0.0.0:65535   | 0.0.0.0     | 65535| 0.0.0.0:65535",
        "[::1]:8080      | ::1         | 8080 | [::1]:8080",
        ":0              | ''          | 0    | :0",
    })
    void parsesHostAndPort(String text, String host, int port, String printed) {
        BindAddress address = BindAddress.parse(text);
        assertThat(address.host()).isEqualTo(host);
        assertThat(address.port()).isEqualTo(port);
        assertThat(address.allInterfaces()).isEqualTo(host.isEmpty());
        assertThat(address).hasToString(printed);
    }

    @ParameterizedTest
    @ValueSource(strings = {"8080", "localhost", "", " ", ":", "localhost:", ":99999", ":65536", ":-1", ":+80",
        "host:abc", "::1:80", "[::1:80", "[]:80", "a b:80", "h/x:80", ":123456"})
    void rejectsMalformedAddresses(String text) {
        assertThatThrownBy(() -> BindAddress.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageMatching(".*(port|address|host).*");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "8080       | missing port in \"8080\"",
        ":99999     | invalid port \"99999\"",
        "host:abc   | invalid port \"abc\"",
        "::1:80     | IPv6 host must be in brackets",
    })
    void explainsWhatIsWrong(String text, String reason) {
        assertThatThrownBy(() -> BindAddress.parse(text)).hasMessageContaining(reason);
    }

    @org.junit.jupiter.api.Test
    void withPortKeepsTheHost() {
        assertThat(BindAddress.parse("127.0.0.1:0").withPort(41234)).hasToString("127.0.0.1:41234");
        assertThat(BindAddress.parse(":0").withPort(8080)).hasToString(":8080");
    }
}
