package org.httpfstream.store;

import java.io.IOException;

/**
 * One step of a {@link GroupCommit} batch (a write, a force, a directory sync) on item {@code i} of the
 * batch; the batch runs its steps on one thread or on its forcers in parallel.
 *
 * <p>Thread safety: an implementation may be run for different items on several threads at once.
 */
@FunctionalInterface
interface BatchStep {
    /** Runs this step on item {@code i} of the batch. */
    void run(int i) throws IOException;
}
