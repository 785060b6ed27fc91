package org.httpfstream.server.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * A server test that depends on the streams being files under the root (it writes, reads or breaks them
 * there, or checks their folders): the run with the streams in memory ({@link ServerExtension}, {@code
 * -Dhttpfstream.test.store=memory}) leaves it out.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag(FilesOnDisk.TAG)
public @interface FilesOnDisk {
    /** The tag the memory run excludes. */
    String TAG = "files-on-disk";
}
