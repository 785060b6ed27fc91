package org.httpfstream.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SigningKeysTest {
    @TempDir Path dir;

    @Test
    void aKeyFileKeepsTheKidAcrossInstancesAndIsWrittenOnFirstUseOnly() {
        Path file = dir.resolve("meta/signing-key");
        SigningKeys first = SigningKeys.file(file);
        assertThat(file).doesNotExist();
        String kid = first.kid();
        assertThat(kid).matches("ds_[A-Za-z0-9_-]{16}");
        assertThat(file).exists();
        assertThat(SigningKeys.file(file).kid()).isEqualTo(kid);
        assertThat(SigningKeys.file(file).sign(5, "b")).isEqualTo(first.sign(5, "b")); // Ed25519 is deterministic
    }

    @Test
    void theJwkSetHoldsThePublicKeyOnly() {
        SigningKeys keys = SigningKeys.memory();
        Map<?, ?> jwk = (Map<?, ?>) ((List<?>) keys.jwks().get("keys")).get(0);
        assertThat(new java.util.ArrayList<Object>(jwk.keySet())).containsExactly("kty", "crv", "kid", "use", "alg", "x");
        assertThat(jwk.get("kty")).isEqualTo("OKP");
        assertThat(jwk.get("crv")).isEqualTo("Ed25519");
        assertThat(jwk.get("use")).isEqualTo("sig");
        assertThat(jwk.get("alg")).isEqualTo("EdDSA");
        assertThat(jwk.get("kid")).isEqualTo(keys.kid());
        assertThat((String) jwk.get("x")).matches("[A-Za-z0-9_-]{43}");
        assertThat(keys.sign(1700000000, "{}")).matches("t=1700000000,kid=" + keys.kid() + ",ed25519=[A-Za-z0-9_-]{86}");
        assertThat(SigningKeys.memory().kid()).isNotEqualTo(keys.kid());
    }

    @Test
    void anUnreadableKeyFileIsAnError() throws Exception {
        Path file = dir.resolve("signing-key");
        Files.createDirectory(file);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SigningKeys.file(file).kid())
                .isInstanceOf(java.io.UncheckedIOException.class).hasMessageContaining(file.toString());
    }
}
