package org.httpfstream.store;

import java.nio.file.Path;

/**
 * What a reader found at a path: the stream's file and, while an appender is active, its session.
 *
 * @param name the request path
 * @param file the stream's file inside the root
 * @param session the active append session, or null if nobody is appending
 */
public record StreamInfo(String name, Path file, AppendSession session) {

    /** True if an appender was active at the time of the lookup. */
    public boolean live() {
        return session != null;
    }
}
