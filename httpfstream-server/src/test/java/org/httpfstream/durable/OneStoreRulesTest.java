package org.httpfstream.durable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.httpfstream.durable.Rules.assertRefused;

import java.io.IOException;
import org.httpfstream.durable.DurableStreamException.Reason;
import org.httpfstream.store.StoreLimits;
import org.httpfstream.testing.StoreExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The rules that show on one store only: what the file store keeps across new rules over the same files
 * (the last {@code Stream-Seq}, the producers' state), that a folder of the file store is no stream, and
 * the producer limit of the memory store. The rules that hold alike on both stores are in the subclasses
 * of {@link OnBothStores}.
 */
class OneStoreRulesTest {
    @RegisterExtension
    final StoreExtension stores = new StoreExtension();

    Rules withStream(Rules.Store kind, String path) throws IOException {
        Rules r = Rules.on(kind, stores);
        r.create(path, "text/plain", "");
        return r;
    }

    @Test
    void theLastStreamSeqOutlivesTheRulesOverTheSameFiles() throws IOException {
        Rules r = withStream(Rules.Store.FILE, "/t");
        r.append("/t", AppendingTest.seq("5", "1"));
        assertThat(AppendingTest.refused(Rules.on(Rules.Store.FILE, stores), "/t", AppendingTest.seq("5", "x"))
                .reason()).isEqualTo(Reason.CONFLICT);
    }

    @Test
    void aFolderIsNotAStream() throws IOException {
        Rules r = withStream(Rules.Store.FILE, "/dir/s");
        assertRefused(CreationTest.refused(r, "/dir", Rules.create("text/plain", "x")),
                Reason.CONFLICT, "/dir is a folder, not a stream");
        assertThat(r.streams.managed("/dir")).isFalse();
    }

    @Test
    void theStateOfProducersOutlivesTheRulesOverTheSameFiles() throws IOException {
        Rules r = withStream(Rules.Store.FILE, "/p");
        r.append("/p", Rules.produce("a", 3, 0, "a"));
        r.append("/p", Rules.produce("a", 3, 1, "b"));
        Rules again = Rules.on(Rules.Store.FILE, stores);
        assertThat(again.append("/p", Rules.produce("a", 3, 1, "b")).duplicate()).isTrue();
        assertThat(ProducersTest.refused(again, Rules.produce("a", 2, 0, "x")).details().producerEpoch()).isEqualTo(3);
        assertThat(again.append("/p", Rules.produce("a", 3, 2, "c")).tail()).isEqualTo(3);
    }

    @Test
    void pastTheLimitTheLeastRecentlyUsedProducerIsForgotten() throws IOException {
        Rules r = Rules.on(Rules.Store.MEMORY, stores, new StoreLimits(0, 2));
        r.create("/p", "text/plain", "");
        r.append("/p", Rules.produce("a", 0, 0, "a"));
        r.append("/p", Rules.produce("b", 0, 0, "b"));
        r.append("/p", Rules.produce("b", 0, 1, "b"));
        r.append("/p", Rules.produce("c", 0, 0, "c"));
        // "a" is forgotten: its next number is a gap from a new producer's 0
        assertThat(ProducersTest.refused(r, Rules.produce("a", 0, 1, "x")).details().expectedSeq()).isZero();
        assertThat(r.append("/p", Rules.produce("b", 0, 1, "b")).duplicate()).isTrue();
    }
}
