package org.httpfstream.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;

/**
 * Static shortcuts for {@link HttpFStreamClient#defaultClient()} (connect timeout 10 s, read timeout
 * 90 s, resume timeout 60 s). Thread safe.
 */
public final class HttpFStream {

    private HttpFStream() {
    }

    /**
     * Appends everything {@code in} produces to the file at {@code uri}, sending each chunk as soon as it
     * has been read, then closes the append cleanly. Blocks until done; does not close {@code in}. See
     * {@link HttpFStreamClient#append(URI, InputStream)}.
     *
     * @param uri the file's URI, {@code http} or {@code https}
     * @param in the bytes to append; the caller keeps ownership
     * @return the number of bytes appended
     * @throws NullPointerException if {@code uri} or {@code in} is null
     * @throws IllegalArgumentException if the URI's scheme is not http or https or it has no host
     * @throws WriterConflictException if another appender is writing to the path
     * @throws IOException if connecting, reading {@code in} or sending fails, or the server ends the append
     *     abnormally
     */
    public static long append(URI uri, InputStream in) throws IOException {
        return HttpFStreamClient.defaultClient().append(uri, in);
    }

    /**
     * Opens an append to the file at {@code uri}; every write is sent at once. The caller must close the
     * returned stream. See {@link HttpFStreamClient#openAppend(URI)}.
     *
     * @param uri the file's URI, {@code http} or {@code https}
     * @return the stream to write to, never null
     * @throws NullPointerException if {@code uri} is null
     * @throws IllegalArgumentException if the URI's scheme is not http or https or it has no host
     * @throws WriterConflictException if another appender is writing to the path
     * @throws IOException if connecting or the handshake fails
     */
    public static OutputStream openAppend(URI uri) throws IOException {
        return HttpFStreamClient.defaultClient().openAppend(uri);
    }

    /**
     * Follows the file at {@code uri}: its contents so far, then new bytes live until the appender closes.
     * The caller must close the returned stream. See {@link HttpFStreamClient#follow(URI)}.
     *
     * @param uri the file's URI, {@code http} or {@code https}
     * @return the stream to read from, never null
     * @throws NullPointerException if {@code uri} is null
     * @throws IllegalArgumentException if the URI's scheme is not http or https or it has no host
     * @throws java.nio.file.NoSuchFileException if the file does not exist
     * @throws IOException if connecting or the handshake fails
     */
    public static FollowInputStream follow(URI uri) throws IOException {
        return HttpFStreamClient.defaultClient().follow(uri);
    }

    /**
     * Follows the file at {@code uri} from {@code offset} (a value of {@link FollowInputStream#offset()},
     * {@code -1} for the start or {@code now} for the current end; null for the start), then new bytes live
     * until the appender closes; resumes automatically after a broken connection when the server supports
     * offsets. The caller must close the returned stream. See {@link HttpFStreamClient#follow(URI, String)}.
     *
     * @param uri the file's URI, {@code http} or {@code https}
     * @param offset where to start, or null for the start of the stream
     * @return the stream to read from, never null
     * @throws NullPointerException if {@code uri} is null
     * @throws IllegalArgumentException if the URI's scheme is not http or https or it has no host, or
     *     {@code offset} is empty
     * @throws java.nio.file.NoSuchFileException if the file does not exist
     * @throws IOException if connecting or the handshake fails, or the server refuses the offset
     */
    public static FollowInputStream follow(URI uri, String offset) throws IOException {
        return HttpFStreamClient.defaultClient().follow(uri, offset);
    }
}
