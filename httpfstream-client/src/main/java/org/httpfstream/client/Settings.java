package org.httpfstream.client;

import javax.net.ssl.SSLSocketFactory;

/**
 * How a client reaches a server, as every request of it needs it: the token, the https socket factory and
 * the timeouts. One value, made once by {@link HttpFStreamClient}, instead of five arguments handed from the
 * client to {@link FollowInputStream} and {@link Handshake} one by one.
 *
 * <p>Thread safety: immutable (an {@link SSLSocketFactory} is safe to share).
 *
 * @param token the bearer token sent with every request, or null
 * @param tls makes https connections; null for the JDK's default, which trusts the JDK's CA certificates
 * @param connectTimeoutMillis the most time to connect (and make the TLS session); 0 means no limit
 * @param readTimeoutMillis the most time to wait for data from the server; 0 means no limit
 * @param resumeTimeoutNanos how long a followed stream tries to reconnect after a failure; 0 disables resuming
 */
record Settings(String token, SSLSocketFactory tls, int connectTimeoutMillis, int readTimeoutMillis,
        long resumeTimeoutNanos) {
}
