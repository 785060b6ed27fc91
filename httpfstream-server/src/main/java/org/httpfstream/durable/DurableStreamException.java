package org.httpfstream.durable;

import java.io.IOException;
import java.util.Objects;

/**
 * A Durable Streams operation refused, with the reason the protocol distinguishes and the details its
 * response carries. A refusal that the store already names with its own type is that type instead:
 * a WebSocket appender holding the stream's lease is a {@link org.httpfstream.store.WriterConflictException}.
 * The transport maps each reason to one status ({@code org.httpfstream.server.routing.FailureStatus}).
 * Immutable.
 */
public final class DurableStreamException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Why an operation was refused. */
    public enum Reason {
        /** Malformed request (headers, body, offset). */
        BAD_REQUEST,
        /** No such stream. */
        NOT_FOUND,
        /** The request does not fit the stream (configuration, content type, sequence). */
        CONFLICT,
        /** The stream is closed; {@link Details#nextOffset()} is its final offset. */
        CLOSED,
        /** An idempotent producer's epoch is older than the stream's; {@link Details#producerEpoch()} is current. */
        STALE_EPOCH,
        /** An idempotent producer skipped sequence numbers; see {@link Details#expectedSeq()}. */
        SEQUENCE_GAP,
        /** The stream was deleted while forks still reference it (soft-deleted). */
        GONE,
        /**
         * The stream's length is not the {@code Stream-Expected-Offset} of a compare-and-append; {@link
         * Details#nextOffset()} is its length.
         */
        OFFSET_MISMATCH
    }

    /**
     * The numbers a refusal's response carries besides its reason, each -1 where the reason has none:
     * the stream's tail for {@link Reason#CLOSED}, the current producer epoch for {@link
     * Reason#STALE_EPOCH}, the sequence numbers expected and received for {@link Reason#SEQUENCE_GAP}.
     */
    public record Details(long nextOffset, long producerEpoch, long expectedSeq, long receivedSeq) {
        /** No numbers: every other refusal. */
        public static final Details NONE = new Details(-1, -1, -1, -1);

        /** A closed stream's final offset. */
        public static Details closedAt(long nextOffset) {
            return new Details(nextOffset, -1, -1, -1);
        }

        /** The stream's length, which a compare-and-append expected to be another. */
        public static Details lengthIs(long nextOffset) {
            return new Details(nextOffset, -1, -1, -1);
        }

        /** The stream's current producer epoch, newer than the one given. */
        public static Details currentEpoch(long producerEpoch) {
            return new Details(-1, producerEpoch, -1, -1);
        }

        /** The sequence number due and the one that came instead. */
        public static Details gap(long expectedSeq, long receivedSeq) {
            return new Details(-1, -1, expectedSeq, receivedSeq);
        }
    }

    private final Reason reason;
    private final Details details;

    public DurableStreamException(Reason reason, String message) {
        this(reason, message, Details.NONE);
    }

    public DurableStreamException(Reason reason, String message, Details details) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.details = Objects.requireNonNull(details, "details");
    }

    public Reason reason() {
        return reason;
    }

    /** The numbers the response carries ({@link Details#NONE} for most reasons). */
    public Details details() {
        return details;
    }
}
