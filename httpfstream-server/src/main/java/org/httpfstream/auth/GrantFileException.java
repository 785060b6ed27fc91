package org.httpfstream.auth;

/** A grant file that cannot be used: its first bad line, by number, and why. */
public final class GrantFileException extends Exception {
    private final int line;

    public GrantFileException(String source, int line, String reason) {
        super(source + " line " + line + ": " + reason);
        this.line = line;
    }

    /** The number of the bad line, from 1; 0 if the file could not be read at all. */
    public int line() {
        return line;
    }
}
