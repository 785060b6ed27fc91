package org.httpfstream.store;

/**
 * Told that a followed append session has changed: new bytes were committed, or the session ended.
 * The callback carries no data; the listener reads {@link Follower#length()} and {@link
 * Follower#ended()} itself, so a notification that is coalesced or arrives late loses nothing.
 */
@FunctionalInterface
public interface StreamListener {

    /**
     * Called on the appender's thread after bytes were committed to the file, or once after the session
     * ended. Must return quickly and must not block: typically it schedules work on the follower's own
     * thread.
     */
    void onChange();
}
