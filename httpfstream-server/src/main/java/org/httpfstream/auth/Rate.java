package org.httpfstream.auth;

/**
 * How fast one token may go: requests per second and appended bytes per second, each a token bucket
 * holding one second's worth. {@code 0} means no limit; {@code -1} (only in a grant line's override)
 * means the server's default.
 *
 * @param requestsPerSecond requests (HTTP requests and WebSocket upgrades) per second
 * @param bytesPerSecond appended bytes per second (request bodies; WebSocket appends as received)
 */
public record Rate(long requestsPerSecond, long bytesPerSecond) {
    /** No limit. */
    public static final Rate UNLIMITED = new Rate(0, 0);

    public Rate {
        if (requestsPerSecond < -1) {
            throw new IllegalArgumentException("requestsPerSecond < 0: " + requestsPerSecond);
        }
        if (bytesPerSecond < -1) {
            throw new IllegalArgumentException("bytesPerSecond < 0: " + bytesPerSecond);
        }
    }

    /** This rate with each {@code -1} replaced by the value of {@code defaults}. */
    public Rate orElse(Rate defaults) {
        return new Rate(requestsPerSecond < 0 ? defaults.requestsPerSecond : requestsPerSecond,
                bytesPerSecond < 0 ? defaults.bytesPerSecond : bytesPerSecond);
    }
}
