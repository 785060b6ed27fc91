package org.httpfstream.server.routing;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Map;
import org.httpfstream.durable.DurableStreamException;
import org.httpfstream.store.InsufficientStorageException;
import org.httpfstream.store.InvalidOffsetException;
import org.httpfstream.store.InvalidStreamPathException;
import org.httpfstream.store.NotAStreamException;
import org.httpfstream.store.OutsideRootException;
import org.httpfstream.store.StreamClosedException;
import org.httpfstream.store.StreamTooLargeException;
import org.httpfstream.store.WriterConflictException;

/**
 * The one map from a failure of the store or of the Durable Streams rules to the HTTP status that
 * answers it; every HTTP handler asks here ({@link HttpErrors#fail} writes the answer). WebSocket
 * close codes have their own map, {@link org.httpfstream.server.ws.CloseCodes#forFailure}.
 *
 * <table>
 *   <caption>failure, status</caption>
 *   <tr><td>{@link WriterConflictException}</td><td>403 (original protocol), 409 (Durable Streams)</td></tr>
 *   <tr><td>{@link StreamClosedException}</td><td>409</td></tr>
 *   <tr><td>{@link OutsideRootException}</td><td>403</td></tr>
 *   <tr><td>{@link InvalidStreamPathException}, {@link InvalidOffsetException}</td><td>400</td></tr>
 *   <tr><td>{@link NotAStreamException}</td><td>404 for a read, 409 for a write</td></tr>
 *   <tr><td>{@link NoSuchFileException}</td><td>404</td></tr>
 *   <tr><td>{@link StreamTooLargeException}</td><td>413</td></tr>
 *   <tr><td>{@link InsufficientStorageException}, or any write failing for a full disk</td><td>507</td></tr>
 *   <tr><td>{@link DurableStreamException}</td><td>by {@link DurableStreamException.Reason}: 400, 404,
 *       409, 403 (stale producer epoch), 410 (deleted while forks use it)</td></tr>
 *   <tr><td>anything else</td><td>none: 500, logged as an error</td></tr>
 * </table>
 *
 * <p>Thread safety: stateless.
 */
public final class FailureStatus {
    private FailureStatus() {}

    /** What the failed request was: it decides the few statuses that differ. */
    public enum Operation {
        /** A read of the original protocol (a plain {@code GET}, {@code ?follow}, a follower's upgrade). */
        READ,
        /** A WebSocket {@code APPEND} of the original protocol. */
        APPEND,
        /** A request of the Durable Streams protocol. */
        DURABLE
    }

    /**
     * The failures whose status is the same for every operation, tried in this order (a subclass before
     * its superclass: {@link OutsideRootException} is an {@link InvalidStreamPathException}).
     */
    private static final List<Map.Entry<Class<? extends Throwable>, HttpResponseStatus>> FIXED = List.of(
            Map.entry(StreamClosedException.class, HttpResponseStatus.CONFLICT),
            Map.entry(OutsideRootException.class, HttpResponseStatus.FORBIDDEN),
            Map.entry(InvalidStreamPathException.class, HttpResponseStatus.BAD_REQUEST),
            Map.entry(InvalidOffsetException.class, HttpResponseStatus.BAD_REQUEST),
            Map.entry(NoSuchFileException.class, HttpResponseStatus.NOT_FOUND),
            Map.entry(StreamTooLargeException.class, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE),
            Map.entry(InsufficientStorageException.class, HttpResponseStatus.INSUFFICIENT_STORAGE));

    /** The status that answers {@code t} in {@code operation}; null for an unexpected failure (a 500). */
    public static HttpResponseStatus of(Throwable t, Operation operation) {
        if (t instanceof DurableStreamException d) {
            return of(d.reason());
        }
        if (t instanceof WriterConflictException) {
            return operation == Operation.DURABLE ? HttpResponseStatus.CONFLICT : HttpResponseStatus.FORBIDDEN;
        }
        if (t instanceof NotAStreamException) {
            return operation == Operation.READ ? HttpResponseStatus.NOT_FOUND : HttpResponseStatus.CONFLICT;
        }
        for (Map.Entry<Class<? extends Throwable>, HttpResponseStatus> e : FIXED) {
            if (e.getKey().isInstance(t)) {
                return e.getValue();
            }
        }
        return diskFull(t) ? HttpResponseStatus.INSUFFICIENT_STORAGE : null;
    }

    /** The status of a Durable Streams refusal. */
    public static HttpResponseStatus of(DurableStreamException.Reason reason) {
        return switch (reason) {
            case BAD_REQUEST -> HttpResponseStatus.BAD_REQUEST;
            case NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
            case STALE_EPOCH -> HttpResponseStatus.FORBIDDEN;
            case GONE -> HttpResponseStatus.GONE;
            case CONFLICT, CLOSED, SEQUENCE_GAP, OFFSET_MISMATCH -> HttpResponseStatus.CONFLICT;
        };
    }

    /** The one-line message that goes with the status of {@link #of(Throwable, Operation)}. */
    public static String message(Throwable t) {
        if (t instanceof NoSuchFileException) {
            return "no such stream: " + ((NoSuchFileException) t).getFile();
        }
        if (!(t instanceof InsufficientStorageException) && diskFull(t)) {
            return "insufficient storage: no space left on device";
        }
        return t.getMessage();
    }

    /** True for a write that failed because the file system is full (metadata, a new folder). */
    static boolean diskFull(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = c.getMessage();
            if (c instanceof IOException && m != null
                    && (m.contains("No space left on device") || m.contains("Disk quota exceeded"))) {
                return true;
            }
        }
        return false;
    }
}
