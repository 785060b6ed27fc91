package org.httpfstream.store;

/**
 * The limits a {@link StreamStore} enforces itself, whichever protocol writes. Immutable.
 *
 * @param maxStreamBytes largest size of one stream in bytes, 0 for no limit: an append that would pass
 *     it is refused whole ({@link StreamTooLargeException}) and nothing of it is kept
 * @param maxProducersPerStream idempotent producer ids kept per Durable Streams stream, 0 for no
 *     limit: past it the least recently used producer's state is forgotten (its next append must
 *     start a new epoch or sequence at 0, as a new producer's)
 */
public record StoreLimits(long maxStreamBytes, int maxProducersPerStream) {
    /** No limit. */
    public static final StoreLimits NONE = new StoreLimits(0, 0);

    public StoreLimits {
        if (maxStreamBytes < 0) {
            throw new IllegalArgumentException("maxStreamBytes < 0: " + maxStreamBytes);
        }
        if (maxProducersPerStream < 0) {
            throw new IllegalArgumentException("maxProducersPerStream < 0: " + maxProducersPerStream);
        }
    }
}
