package org.httpfstream.auth;

/**
 * The answer to one request: allowed, or refused and why.
 *
 * @param outcome allowed, or which refusal
 * @param message one readable line for the response body (never the token)
 * @param principal who asked, safe to log: {@code token:<fingerprint>}, {@code link:<fingerprint of the
 *     signature>}, or {@code anonymous}
 * @param retryAfterSeconds for {@link Outcome#RATE}, when to try again; else 0
 * @param bytes the appending token's byte bucket for a WebSocket append, or null if unlimited
 */
public record Decision(Outcome outcome, String message, String principal, long retryAfterSeconds,
        TokenBucket bytes) {
    /** How a request was decided. */
    public enum Outcome {
        /** Go ahead. */
        ALLOW,
        /** No token, or an unknown one: {@code 401}. */
        MISSING,
        /** A token without the permission or outside its paths: {@code 403}. */
        FORBIDDEN,
        /** An expired, altered or misused signed link: {@code 403}. */
        SIGNED_LINK,
        /** Past the token's request or byte rate: {@code 429} with {@code Retry-After}. */
        RATE
    }

    public boolean allowed() {
        return outcome == Outcome.ALLOW;
    }
}
