package org.httpfstream.subscriptions;

/** A request named a subscription that does not exist (under that stream root). */
public final class NoSuchSubscriptionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NoSuchSubscriptionException(String id) {
        super("no such subscription: " + id);
    }
}
