package org.httpfstream.store;

import java.io.IOException;

/**
 * An append refused because its bytes could not be stored: the disk is full, or the write (or with
 * fsync, the sync) failed. Nothing of it is kept: the stream's file was cut back to the end of the last
 * acknowledged append, so no reader ever sees a byte of it, and the next append goes there. Appends
 * work again once the cause (say, a full disk) is gone; reads go on meanwhile.
 */
public final class InsufficientStorageException extends IOException {
    private static final long serialVersionUID = 1L;

    public InsufficientStorageException(String what, IOException cause) {
        super(describe(what, cause), cause);
    }

    private static String describe(String what, IOException cause) {
        String reason = cause.getMessage() == null ? cause.getClass().getSimpleName()
                : cause.getMessage().replaceAll("[\\r\\n]+", " "); // one line
        boolean full = reason.contains("No space left on device") || reason.contains("Disk quota exceeded");
        return (full ? "insufficient storage: no space left on device; " : "insufficient storage: ")
                + what + " was refused and nothing of it was kept" + (full ? "" : " (" + reason + ")");
    }
}
