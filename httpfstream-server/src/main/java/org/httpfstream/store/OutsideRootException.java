package org.httpfstream.store;

/**
 * A path that resolves, through a symbolic link, to a location outside the storage root, or into the
 * server's own folder under it ({@code ROOT/.httpfstream}). Nothing there is ever read or written
 * through a stream path.
 */
public final class OutsideRootException extends InvalidStreamPathException {
    private static final long serialVersionUID = 1L;

    public OutsideRootException(String path) {
        super("path leads outside the storage root: " + path);
    }

    private OutsideRootException(String message, boolean unused) {
        super(message);
    }

    /** A path that leads, through a symbolic link, into the server's own folder under the root. */
    public static OutsideRootException intoPrivateFolder(String path) {
        return new OutsideRootException("path leads into the server's private folder ("
                + MetadataStore.FOLDER + "): " + path, true);
    }
}
