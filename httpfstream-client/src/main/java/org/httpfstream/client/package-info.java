/**
 * Java client for httpfstream servers.
 *
 * <p>An httpfstream server stores files under URL paths. One <em>appender</em> at a time streams bytes to
 * a path over a WebSocket ({@code X-Verb: APPEND}); any number of <em>followers</em>
 * ({@code X-Verb: FOLLOW}) receive everything already written and then every new byte as it arrives,
 * until the appender finishes. A follower of a path that has no active appender gets the stored file
 * as a plain HTTP {@code 200} response instead. A follower may start at an offset, and a
 * {@link org.httpfstream.client.FollowInputStream} reports the offset it has reached and resumes by itself
 * after a broken connection when the server supports offsets.
 *
 * <p>Entry points: {@link org.httpfstream.client.HttpFStream} (static methods using the default client)
 * and {@link org.httpfstream.client.HttpFStreamClient} (configurable timeouts). The client uses
 * nothing but the JDK and implements the HTTP/1.1 upgrade and RFC 6455 framing itself, so that message
 * payloads are carried as raw bytes (never decoded as UTF-8).
 */
package org.httpfstream.client;
