package org.httpfstream.subscriptions;

/** A claim found the subscription's current wake held by another worker. */
public final class AlreadyClaimedException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String holder;
    private final long generation;

    public AlreadyClaimedException(String holder, long generation) {
        super("claimed by " + holder + " at generation " + generation);
        this.holder = holder;
        this.generation = generation;
    }

    /** The worker that holds the wake. */
    public String holder() {
        return holder;
    }

    /** The generation of the wake it holds. */
    public long generation() {
        return generation;
    }
}
