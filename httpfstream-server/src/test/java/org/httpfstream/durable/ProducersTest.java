package org.httpfstream.durable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import org.httpfstream.durable.DurableStreamException.Reason;
import org.httpfstream.durable.DurableStreams.Appended;
import org.httpfstream.durable.DurableStreams.AppendRequest;
import org.httpfstream.durable.DurableStreams.ProducerRequest;
import org.httpfstream.store.StoreLimits;
import org.httpfstream.store.StreamMetadata.Producer;
import org.httpfstream.testing.StoreExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The idempotent producers' epoch and sequence rules, through {@link DurableStreams#append}, on both stores. */
class ProducersTest {
    @RegisterExtension
    final StoreExtension stores = new StoreExtension();

    Rules rules(Rules.Store kind) throws IOException {
        Rules r = Rules.on(kind, stores);
        r.create("/p", "text/plain", "");
        return r;
    }

    static DurableStreamException refused(Rules r, AppendRequest request) {
        return catchThrowableOfType(() -> r.append("/p", request), DurableStreamException.class);
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void aNewProducerMustStartAtSequenceZero(Rules.Store kind) throws IOException {
        Rules r = rules(kind);
        DurableStreamException e = refused(r, Rules.produce("a", 0, 1, "x"));
        assertThat(e.reason()).isEqualTo(Reason.SEQUENCE_GAP);
        assertThat(e.expectedSeq()).isZero();
        assertThat(e.receivedSeq()).isEqualTo(1);
        assertThat(e).hasMessage("producer sequence gap: expected 0, got 1");
        assertThat(r.text("/p")).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void consecutiveSequenceNumbersAreWrittenAndReportTheirState(Rules.Store kind) throws IOException {
        Rules r = rules(kind);
        Appended first = r.append("/p", Rules.produce("a", 0, 0, "ab"));
        Appended second = r.append("/p", Rules.produce("a", 0, 1, "cd"));
        assertThat(first).isEqualTo(new Appended(2, false, false, new Producer(0, 0)));
        assertThat(second).isEqualTo(new Appended(4, false, false, new Producer(0, 1)));
        assertThat(r.text("/p")).isEqualTo("abcd");
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void aRepeatedOrOlderSequenceNumberIsADuplicateAndWritesNothing(Rules.Store kind) throws IOException {
        Rules r = rules(kind);
        r.append("/p", Rules.produce("a", 0, 0, "ab"));
        r.append("/p", Rules.produce("a", 0, 1, "cd"));
        assertThat(r.append("/p", Rules.produce("a", 0, 1, "cd")))
                .isEqualTo(new Appended(4, false, true, new Producer(0, 1)));
        assertThat(r.append("/p", Rules.produce("a", 0, 0, "ab")))
                .isEqualTo(new Appended(4, false, true, new Producer(0, 1)));
        assertThat(r.text("/p")).isEqualTo("abcd");
        assertThat(r.append("/p", Rules.produce("a", 0, 2, "e")).tail()).isEqualTo(5);
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void aSkippedSequenceNumberIsAGap(Rules.Store kind) throws IOException {
        Rules r = rules(kind);
        r.append("/p", Rules.produce("a", 0, 0, "ab"));
        r.append("/p", Rules.produce("a", 0, 1, "cd"));
        DurableStreamException e = refused(r, Rules.produce("a", 0, 3, "x"));
        assertThat(e.reason()).isEqualTo(Reason.SEQUENCE_GAP);
        assertThat(e.expectedSeq()).isEqualTo(2);
        assertThat(e.receivedSeq()).isEqualTo(3);
        assertThat(e).hasMessage("producer sequence gap: expected 2, got 3");
        assertThat(r.text("/p")).isEqualTo("abcd");
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void anOlderEpochIsStaleAndReportsTheCurrentOne(Rules.Store kind) throws IOException {
        Rules r = rules(kind);
        r.append("/p", Rules.produce("a", 2, 0, "ab"));
        DurableStreamException e = refused(r, Rules.produce("a", 1, 0, "x"));
        assertThat(e.reason()).isEqualTo(Reason.STALE_EPOCH);
        assertThat(e.producerEpoch()).isEqualTo(2);
        assertThat(e).hasMessage("stale producer epoch 1 (current 2)");
        assertThat(r.text("/p")).isEqualTo("ab");
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void aNewEpochRestartsTheSequenceAtZero(Rules.Store kind) throws IOException {
        Rules r = rules(kind);
        r.append("/p", Rules.produce("a", 0, 0, "a"));
        r.append("/p", Rules.produce("a", 0, 1, "b"));
        r.append("/p", Rules.produce("a", 0, 2, "c"));
        DurableStreamException e = refused(r, Rules.produce("a", 1, 3, "x"));
        assertThat(e.reason()).isEqualTo(Reason.BAD_REQUEST);
        assertThat(e).hasMessage("a new producer epoch must start at sequence 0");
        assertThat(r.append("/p", Rules.produce("a", 1, 0, "d")))
                .isEqualTo(new Appended(4, false, false, new Producer(1, 0)));
        assertThat(r.append("/p", Rules.produce("a", 1, 1, "e")).producer()).isEqualTo(new Producer(1, 1));
        assertThat(refused(r, Rules.produce("a", 0, 3, "x")).reason()).isEqualTo(Reason.STALE_EPOCH);
        assertThat(r.text("/p")).isEqualTo("abcde");
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void producersAreIndependentOfEachOther(Rules.Store kind) throws IOException {
        Rules r = rules(kind);
        r.append("/p", Rules.produce("a", 5, 0, "a"));
        r.append("/p", Rules.produce("a", 5, 1, "b"));
        assertThat(r.append("/p", Rules.produce("b", 0, 0, "c")))
                .isEqualTo(new Appended(3, false, false, new Producer(0, 0)));
        assertThat(r.append("/p", Rules.produce("a", 5, 2, "d")).producer()).isEqualTo(new Producer(5, 2));
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void theLargestEpochIsAccepted(Rules.Store kind) throws IOException {
        Rules r = rules(kind);
        long max = (1L << 53) - 1;
        assertThat(r.append("/p", Rules.produce("a", max, 0, "a")).producer()).isEqualTo(new Producer(max, 0));
        assertThat(r.append("/p", Rules.produce("a", max, 0, "a")).duplicate()).isTrue();
        assertThat(refused(r, Rules.produce("a", max - 1, 0, "x")).producerEpoch()).isEqualTo(max);
    }

    @ParameterizedTest
    @EnumSource(Rules.Store.class)
    void aProducerThatClosedTheStreamGetsItsRetryAsADuplicate(Rules.Store kind) throws IOException {
        Rules r = rules(kind);
        AppendRequest close = new AppendRequest("text/plain", null, new ProducerRequest("a", 0, 0), true,
                "end".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(r.append("/p", close)).isEqualTo(new Appended(3, true, false, new Producer(0, 0)));
        assertThat(r.append("/p", close)).isEqualTo(new Appended(3, true, true, new Producer(0, 0)));
        DurableStreamException other = refused(r, Rules.produce("a", 0, 1, "x"));
        assertThat(other.reason()).isEqualTo(Reason.CLOSED);
        assertThat(other.nextOffset()).isEqualTo(3);
        assertThat(refused(r, Rules.produce("b", 0, 0, "x")).reason()).isEqualTo(Reason.CLOSED);
    }

    @Test
    void theStateOfProducersOutlivesTheRulesOverTheSameFiles() throws IOException {
        Rules r = rules(Rules.Store.FILE);
        r.append("/p", Rules.produce("a", 3, 0, "a"));
        r.append("/p", Rules.produce("a", 3, 1, "b"));
        Rules again = Rules.on(Rules.Store.FILE, stores);
        assertThat(again.append("/p", Rules.produce("a", 3, 1, "b")).duplicate()).isTrue();
        assertThat(refused(again, Rules.produce("a", 2, 0, "x")).producerEpoch()).isEqualTo(3);
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
        assertThat(refused(r, Rules.produce("a", 0, 1, "x")).expectedSeq()).isZero();
        assertThat(r.append("/p", Rules.produce("b", 0, 1, "b")).duplicate()).isTrue();
    }
}
