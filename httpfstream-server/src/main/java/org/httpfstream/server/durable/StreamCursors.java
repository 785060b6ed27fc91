package org.httpfstream.server.durable;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Durable Streams cursors ({@code Stream-Cursor}): the number of 20-second intervals since
 * 2024-10-09T00:00:00Z. A cursor never goes backwards for a client: if the client's echoed cursor is
 * at or past the current interval, the answer is the client's cursor plus a random jitter of 1 to 180
 * intervals (20 s to one hour), so caches keyed by cursor eventually expire.
 *
 * <p>Thread safety: stateless.
 */
public final class StreamCursors {
    private static final long EPOCH_MILLIS = 1728432000000L; // 2024-10-09T00:00:00Z
    private static final long INTERVAL_MILLIS = 20_000;

    private StreamCursors() {}

    /** The cursor to return to a client that echoed {@code clientCursor} (null if none). */
    public static String next(String clientCursor, long nowMillis) {
        long current = (nowMillis - EPOCH_MILLIS) / INTERVAL_MILLIS;
        if (clientCursor != null) {
            try {
                long client = Long.parseLong(clientCursor.trim());
                if (client >= current) {
                    return Long.toString(client + ThreadLocalRandom.current().nextLong(1, 181));
                }
            } catch (NumberFormatException e) {
                // not one of ours: ignore it
            }
        }
        return Long.toString(current);
    }
}
