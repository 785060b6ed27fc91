package org.httpfstream.durable;

import static org.httpfstream.durable.DurableStreamException.Reason.BAD_REQUEST;
import static org.httpfstream.durable.DurableStreamException.Reason.SEQUENCE_GAP;
import static org.httpfstream.durable.DurableStreamException.Reason.STALE_EPOCH;

import org.httpfstream.durable.DurableStreamException.Details;
import org.httpfstream.durable.DurableStreams.ProducerRequest;
import org.httpfstream.store.StreamMetadata;

/**
 * The idempotent producers' rule: per producer id, an epoch that only grows and, within an epoch,
 * sequence numbers without gaps; a request already applied is a duplicate (answered, not written).
 *
 * <p>Thread safety: stateless.
 */
final class Producers {
    private Producers() {
    }

    /** What a producer's request may do. */
    record Verdict(boolean duplicate, StreamMetadata.Producer state) {}

    /**
     * Checks {@code producer}'s request against the stream's metadata {@code m}: a duplicate (with the
     * current state), or the state to store once the append is written.
     *
     * @throws DurableStreamException for a stale epoch, a gap, or a new epoch not starting at 0
     */
    static Verdict check(StreamMetadata m, ProducerRequest producer) throws DurableStreamException {
        StreamMetadata.Producer current = m.producers().get(producer.id());
        if (current != null && producer.epoch() < current.epoch()) {
            throw new DurableStreamException(STALE_EPOCH, "stale producer epoch " + producer.epoch()
                    + " (current " + current.epoch() + ")", Details.currentEpoch(current.epoch()));
        }
        if (current == null || producer.epoch() > current.epoch()) {
            if (producer.seq() != 0) {
                if (current == null) {
                    throw new DurableStreamException(SEQUENCE_GAP, "producer sequence gap: expected 0, got "
                            + producer.seq(), Details.gap(0, producer.seq()));
                }
                throw new DurableStreamException(BAD_REQUEST, "a new producer epoch must start at sequence 0");
            }
        } else if (producer.seq() <= current.seq()) {
            return new Verdict(true, current);
        } else if (producer.seq() > current.seq() + 1) {
            throw new DurableStreamException(SEQUENCE_GAP, "producer sequence gap: expected "
                    + (current.seq() + 1) + ", got " + producer.seq(),
                    Details.gap(current.seq() + 1, producer.seq()));
        }
        return new Verdict(false, new StreamMetadata.Producer(producer.epoch(), producer.seq()));
    }
}
