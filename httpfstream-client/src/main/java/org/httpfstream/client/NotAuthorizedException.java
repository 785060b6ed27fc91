package org.httpfstream.client;

import java.io.IOException;

/**
 * Thrown when the server refused a request for want of authorisation: HTTP {@code 401} (no token, or
 * one the server does not know) or {@code 403} with a {@code WWW-Authenticate} challenge (the token may
 * not do this on this path, or a signed link expired or was altered). Its message is one line starting
 * with {@code "not authorised: "}, with the server's reason when it gave one. Immutable.
 */
public class NotAuthorizedException extends IOException {

    private static final long serialVersionUID = 1L;

    private final int status;

    /**
     * @param status the HTTP status, 401 or 403
     * @param message the line to show, starting with {@code "not authorised: "}
     */
    public NotAuthorizedException(int status, String message) {
        super(message);
        this.status = status;
    }

    /**
     * Returns the HTTP status of the refusal.
     *
     * @return 401 (authentication missing or unknown) or 403 (not allowed)
     */
    public int status() {
        return status;
    }
}
