package org.httpfstream.auth;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How a server authenticates and authorises requests. Immutable.
 *
 * @param tokens the grant file (see {@link Grants}); with it every request needs a token or a signed
 *     link
 * @param linkKey the file holding the signed-link HMAC key, or null for {@code ROOT/.httpfstream/link.key},
 *     made on first start (32 random bytes, mode 0600)
 * @param rate the default rates of a token (a grant line may set its own); {@link Rate#UNLIMITED} by default
 * @param pollInterval how often the grant file is looked at for changes; {@link Duration#ZERO} only on
 *     {@code reloadTokens()} (SIGHUP)
 */
public record AuthConfig(Path tokens, Path linkKey, Rate rate, Duration pollInterval) {
    public AuthConfig {
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(rate, "rate");
        Objects.requireNonNull(pollInterval, "pollInterval");
        if (rate.requestsPerSecond() < 0 || rate.bytesPerSecond() < 0) {
            throw new IllegalArgumentException("rate < 0: " + rate);
        }
        if (pollInterval.isNegative()) {
            throw new IllegalArgumentException("pollInterval < 0: " + pollInterval);
        }
    }

    /** Grants from {@code tokens}, the key under the metadata folder, no rate limit, polled every second. */
    public static AuthConfig of(Path tokens) {
        return new AuthConfig(tokens, null, Rate.UNLIMITED, Duration.ofSeconds(1));
    }

    public AuthConfig withLinkKey(Path v) {
        return new AuthConfig(tokens, v, rate, pollInterval);
    }

    public AuthConfig withRate(Rate v) {
        return new AuthConfig(tokens, linkKey, v, pollInterval);
    }

    public AuthConfig withPollInterval(Duration v) {
        return new AuthConfig(tokens, linkKey, rate, v);
    }
}
