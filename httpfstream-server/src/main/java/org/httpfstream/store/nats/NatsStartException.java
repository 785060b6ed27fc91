package org.httpfstream.store.nats;

import java.io.IOException;

/**
 * A front node cannot start on its NATS cluster: it cannot connect (wrong credentials, TLS, no server
 * answers), or the cluster's settings would lose acknowledged appends and {@code -nats-allow-unsafe} was
 * not given. The message is one line that names what failed and, for a refusal, the setting and the flag.
 */
public final class NatsStartException extends IOException {
    private static final long serialVersionUID = 1L;

    NatsStartException(String line) {
        super(line);
    }

    NatsStartException(String line, Throwable cause) {
        super(line, cause);
    }
}
