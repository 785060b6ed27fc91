package org.httpfstream.subscriptions;

import java.io.IOException;

/** A webhook was not sent because its target is not allowed ({@link WebhookTargets}); the message says why. */
public final class RefusedTargetException extends IOException {
    private static final long serialVersionUID = 1L;

    public RefusedTargetException(String message) {
        super(message);
    }
}
