package org.httpfstream.subscriptions;

/**
 * An ack or release named a wake that is no longer current: its token, generation or wake id is stale
 * (a later wake was issued, its lease ran out, or the server restarted).
 */
public final class FencedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public FencedException() {
        super("stale wake: generation or wake id is not current");
    }
}
