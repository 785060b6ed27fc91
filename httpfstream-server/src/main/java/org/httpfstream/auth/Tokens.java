package org.httpfstream.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Digests and fingerprints of bearer tokens. A token itself is never logged nor kept longer than the
 * request that carried it: the server keeps its SHA-256 digest, compares digests in constant time and
 * shows a {@linkplain #fingerprint(String) fingerprint} wherever a token must be named.
 *
 * <p>Thread safety: stateless; safe for use by any thread.
 */
public final class Tokens {
    private Tokens() {}

    /** The SHA-256 digest of the UTF-8 bytes of {@code token}. */
    public static byte[] sha256(String token) {
        return sha256(token.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    /**
     * A short name of {@code token} that is safe to log: the first 8 hexadecimal digits of its SHA-256
     * digest (the same digits a grant file's {@code sha256:} form starts with).
     */
    public static String fingerprint(String token) {
        return fingerprint(sha256(token));
    }

    /** The fingerprint of a token's digest. */
    public static String fingerprint(byte[] digest) {
        return HexFormat.of().formatHex(digest, 0, 4);
    }

    /** Compares two digests in time independent of where they differ. */
    static boolean same(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }
}
