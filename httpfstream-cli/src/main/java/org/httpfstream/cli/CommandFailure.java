package org.httpfstream.cli;

/**
 * A command failed in an expected way. Its message is the single line printed to stderr;
 * no stack trace is shown.
 */
final class CommandFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int exitCode;

    CommandFailure(String line) {
        this(line, 1);
    }

    CommandFailure(String line, int exitCode) {
        super(line, null, false, false);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
