package org.httpfstream.store;

import java.io.IOException;

/**
 * The {@link StreamWriter} a caller holds was closed meanwhile (idle, or the stream deleted): the
 * caller opens the current one and tries again. Never leaves the store package.
 */
public final class StaleWriterException extends IOException {
    private static final long serialVersionUID = 1L;

    static final StaleWriterException INSTANCE = new StaleWriterException();

    private StaleWriterException() {
        super("writer closed", null);
        setStackTrace(new StackTraceElement[0]);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
