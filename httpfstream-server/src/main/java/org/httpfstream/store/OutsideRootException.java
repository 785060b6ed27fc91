package org.httpfstream.store;

/**
 * A path that resolves, through a symbolic link, to a location outside the storage root. Nothing
 * outside the root is ever read or written.
 */
public final class OutsideRootException extends InvalidStreamPathException {
    private static final long serialVersionUID = 1L;

    public OutsideRootException(String path) {
        super("path leads outside the storage root: " + path);
    }
}
