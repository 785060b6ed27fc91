package org.httpfstream.durable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.httpfstream.durable.DurableStreamException.Reason;
import org.httpfstream.durable.DurableStreams.Appended;
import org.httpfstream.durable.DurableStreams.CreateRequest;
import org.httpfstream.durable.DurableStreams.ForkRequest;
import org.httpfstream.testing.StoreExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * With durable writes (a store with fsync) every operation answers through its future, once what it
 * reports is committed; a refusal fails the future rather than being thrown.
 */
@Timeout(30)
class DurabilityTest {
    @RegisterExtension
    final StoreExtension stores = new StoreExtension(true);

    static Reason reasonOf(CompletableFuture<?> f) {
        Throwable t = catchThrowable(f::join);
        assertThat(t).isInstanceOf(CompletionException.class);
        assertThat(t.getCause()).isInstanceOf(DurableStreamException.class);
        return ((DurableStreamException) t.getCause()).reason();
    }

    @Test
    void anAppendIsCommittedWhenItsFutureCompletes() throws IOException {
        Rules r = Rules.on(Rules.Store.FILE, stores);
        assertThat(r.create("/d", "text/plain", "ab").snapshot().tail()).isEqualTo(2);
        assertThat(r.streams.head("/d").stream().committedLength()).isEqualTo(2);
        Appended a = r.append("/d", Rules.produce("p", 0, 0, "cd"));
        assertThat(a.tail()).isEqualTo(4);
        assertThat(r.streams.head("/d").stream().committedLength()).isEqualTo(4);
        assertThat(r.streams.head("/d").metadata().producers()).containsKey("p");
        assertThat(r.append("/d", Rules.produce("p", 0, 0, "cd")).duplicate()).isTrue();
        assertThat(r.text("/d")).isEqualTo("abcd");
    }

    @Test
    void anEmptyCreateAndAnEmptyCloseComplete() throws IOException {
        Rules r = Rules.on(Rules.Store.FILE, stores);
        assertThat(r.create("/e", "text/plain", "").created()).isTrue();
        assertThat(r.streams.append("/e", new DurableStreams.AppendRequest(null, null, null, true, new byte[0]))
                .join().closed()).isTrue();
        assertThat(r.streams.head("/e").closed()).isTrue();
        assertThat(r.create("/e2", "text/plain", "x").created()).isTrue();
        assertThat(r.streams.create("/e2", Rules.create("text/plain", "")).join().created()).isFalse();
    }

    @Test
    void refusalsFailTheFutureInsteadOfBeingThrown() throws IOException {
        Rules r = Rules.on(Rules.Store.FILE, stores);
        r.create("/d", "text/plain", "ab");
        assertThat(reasonOf(r.streams.append("/d", Rules.produce("p", 0, 1, "x")))).isEqualTo(Reason.SEQUENCE_GAP);
        assertThat(reasonOf(r.streams.append("/nothing", Rules.append("text/plain", "x"))))
                .isEqualTo(Reason.NOT_FOUND);
        assertThat(reasonOf(r.streams.create("/d", Rules.create("text/html", "")))).isEqualTo(Reason.CONFLICT);
    }

    @Test
    void aForkAndDeletesCompleteOnceDurable() throws IOException {
        Rules r = Rules.on(Rules.Store.FILE, stores);
        r.create("/s", "text/plain", "abc");
        assertThat(r.streams.create("/f", new CreateRequest(null, null, null, null, false, new byte[0],
                new ForkRequest("/s", null, 0))).join().snapshot().tail()).isEqualTo(3);
        assertThat(r.streams.head("/s").metadata().forkRefs()).isEqualTo(1);
        assertThat(r.streams.delete("/s").join()).isNull();
        assertThat(catchThrowable(() -> r.streams.head("/s"))).isInstanceOf(DurableStreamException.class);
        r.streams.delete("/f").join();
        assertThat(r.streams.snapshot("/s")).isNull();
        assertThat(r.streams.snapshot("/f")).isNull();
    }
}
