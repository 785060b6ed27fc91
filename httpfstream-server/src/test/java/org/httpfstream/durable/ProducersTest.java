package org.httpfstream.durable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.httpfstream.durable.Rules.assertRefused;

import java.io.IOException;
import org.httpfstream.durable.DurableStreamException.Reason;
import org.httpfstream.durable.DurableStreams.AppendRequest;
import org.httpfstream.durable.DurableStreams.Appended;
import org.httpfstream.durable.DurableStreams.ProducerRequest;
import org.httpfstream.store.StreamMetadata.Producer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The idempotent producers' epoch and sequence rules, through {@link DurableStreams#append}, on both stores. */
class ProducersTest extends OnBothStores {
    static DurableStreamException refused(Rules r, AppendRequest request) {
        return catchThrowableOfType(() -> r.append("/p", request), DurableStreamException.class);
    }

    /** Asserts that {@code e} refused a sequence gap: {@code expected} was due, {@code received} came. */
    static void assertGap(DurableStreamException e, long expected, long received) {
        assertThat(e.reason()).isEqualTo(Reason.SEQUENCE_GAP);
        assertThat(e.details().expectedSeq()).isEqualTo(expected);
        assertThat(e.details().receivedSeq()).isEqualTo(received);
        assertThat(e).hasMessage("producer sequence gap: expected " + expected + ", got " + received);
    }

    /** Producer "a" appends "ab" then "cd": epoch 0, sequence numbers 0 and 1. */
    void appendAbThenCd() throws IOException {
        r.append("/p", Rules.produce("a", 0, 0, "ab"));
        r.append("/p", Rules.produce("a", 0, 1, "cd"));
    }

    @BeforeEach
    void createTheStream() throws IOException {
        r.create("/p", "text/plain", "");
    }

    @Test
    void aNewProducerMustStartAtSequenceZero() throws IOException {
        assertGap(refused(r, Rules.produce("a", 0, 1, "x")), 0, 1);
        assertThat(r.text("/p")).isEmpty();
    }

    @Test
    void consecutiveSequenceNumbersAreWrittenAndReportTheirState() throws IOException {
        Appended first = r.append("/p", Rules.produce("a", 0, 0, "ab"));
        Appended second = r.append("/p", Rules.produce("a", 0, 1, "cd"));
        assertThat(first).isEqualTo(new Appended(2, false, false, new Producer(0, 0)));
        assertThat(second).isEqualTo(new Appended(4, false, false, new Producer(0, 1)));
        assertThat(r.text("/p")).isEqualTo("abcd");
    }

    @Test
    void aRepeatedOrOlderSequenceNumberIsADuplicateAndWritesNothing() throws IOException {
        appendAbThenCd();
        assertThat(r.append("/p", Rules.produce("a", 0, 1, "cd")))
                .isEqualTo(new Appended(4, false, true, new Producer(0, 1)));
        assertThat(r.append("/p", Rules.produce("a", 0, 0, "ab")))
                .isEqualTo(new Appended(4, false, true, new Producer(0, 1)));
        assertThat(r.text("/p")).isEqualTo("abcd");
        assertThat(r.append("/p", Rules.produce("a", 0, 2, "e")).tail()).isEqualTo(5);
    }

    @Test
    void aSkippedSequenceNumberIsAGap() throws IOException {
        appendAbThenCd();
        assertGap(refused(r, Rules.produce("a", 0, 3, "x")), 2, 3);
        assertThat(r.text("/p")).isEqualTo("abcd");
    }

    @Test
    void anOlderEpochIsStaleAndReportsTheCurrentOne() throws IOException {
        r.append("/p", Rules.produce("a", 2, 0, "ab"));
        DurableStreamException e = refused(r, Rules.produce("a", 1, 0, "x"));
        assertThat(e.reason()).isEqualTo(Reason.STALE_EPOCH);
        assertThat(e.details().producerEpoch()).isEqualTo(2);
        assertThat(e).hasMessage("stale producer epoch 1 (current 2)");
        assertThat(r.text("/p")).isEqualTo("ab");
    }

    @Test
    void aNewEpochRestartsTheSequenceAtZero() throws IOException {
        r.append("/p", Rules.produce("a", 0, 0, "a"));
        r.append("/p", Rules.produce("a", 0, 1, "b"));
        r.append("/p", Rules.produce("a", 0, 2, "c"));
        assertRefused(refused(r, Rules.produce("a", 1, 3, "x")),
                Reason.BAD_REQUEST, "a new producer epoch must start at sequence 0");
        assertThat(r.append("/p", Rules.produce("a", 1, 0, "d")))
                .isEqualTo(new Appended(4, false, false, new Producer(1, 0)));
        assertThat(r.append("/p", Rules.produce("a", 1, 1, "e")).producer()).isEqualTo(new Producer(1, 1));
        assertThat(refused(r, Rules.produce("a", 0, 3, "x")).reason()).isEqualTo(Reason.STALE_EPOCH);
        assertThat(r.text("/p")).isEqualTo("abcde");
    }

    @Test
    void producersAreIndependentOfEachOther() throws IOException {
        r.append("/p", Rules.produce("a", 5, 0, "a"));
        r.append("/p", Rules.produce("a", 5, 1, "b"));
        assertThat(r.append("/p", Rules.produce("b", 0, 0, "c")))
                .isEqualTo(new Appended(3, false, false, new Producer(0, 0)));
        assertThat(r.append("/p", Rules.produce("a", 5, 2, "d")).producer()).isEqualTo(new Producer(5, 2));
    }

    @Test
    void theLargestEpochIsAccepted() throws IOException {
        long max = (1L << 53) - 1;
        assertThat(r.append("/p", Rules.produce("a", max, 0, "a")).producer()).isEqualTo(new Producer(max, 0));
        assertThat(r.append("/p", Rules.produce("a", max, 0, "a")).duplicate()).isTrue();
        assertThat(refused(r, Rules.produce("a", max - 1, 0, "x")).details().producerEpoch()).isEqualTo(max);
    }

    @Test
    void aProducerThatClosedTheStreamGetsItsRetryAsADuplicate() throws IOException {
        AppendRequest close = new AppendRequest("text/plain", null, new ProducerRequest("a", 0, 0), true,
                "end".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(r.append("/p", close)).isEqualTo(new Appended(3, true, false, new Producer(0, 0)));
        assertThat(r.append("/p", close)).isEqualTo(new Appended(3, true, true, new Producer(0, 0)));
        DurableStreamException other = refused(r, Rules.produce("a", 0, 1, "x"));
        assertThat(other.reason()).isEqualTo(Reason.CLOSED);
        assertThat(other.details().nextOffset()).isEqualTo(3);
        assertThat(refused(r, Rules.produce("b", 0, 0, "x")).reason()).isEqualTo(Reason.CLOSED);
    }
}
