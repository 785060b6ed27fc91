package org.httpfstream.subscriptions;

/** A subscription was created again with a configuration other than the one it has. */
public final class SubscriptionConflictException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SubscriptionConflictException(String id) {
        super("subscription " + id + " exists with a different configuration");
    }
}
