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
        /** The stream is closed; {@link #nextOffset()} is its final offset. */
        CLOSED,
        /** An idempotent producer's epoch is older than the stream's; {@link #producerEpoch()} is current. */
        STALE_EPOCH,
        /** An idempotent producer skipped sequence numbers; see {@link #expectedSeq()}. */
        SEQUENCE_GAP,
        /** The stream was deleted while forks still reference it (soft-deleted). */
        GONE
    }

    private final Reason reason;
    private final long nextOffset;
    private final long producerEpoch;
    private final long expectedSeq;
    private final long receivedSeq;

    public DurableStreamException(Reason reason, String message) {
        this(reason, message, -1, -1, -1, -1);
    }

    public DurableStreamException(Reason reason, String message, long nextOffset, long producerEpoch,
            long expectedSeq, long receivedSeq) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.nextOffset = nextOffset;
        this.producerEpoch = producerEpoch;
        this.expectedSeq = expectedSeq;
        this.receivedSeq = receivedSeq;
    }

    public Reason reason() {
        return reason;
    }

    /** The stream's tail (for {@link Reason#CLOSED}), or -1. */
    public long nextOffset() {
        return nextOffset;
    }

    /** The stream's current producer epoch (for {@link Reason#STALE_EPOCH}), or -1. */
    public long producerEpoch() {
        return producerEpoch;
    }

    /** The sequence number expected (for {@link Reason#SEQUENCE_GAP}), or -1. */
    public long expectedSeq() {
        return expectedSeq;
    }

    /** The sequence number received (for {@link Reason#SEQUENCE_GAP}), or -1. */
    public long receivedSeq() {
        return receivedSeq;
    }
}
