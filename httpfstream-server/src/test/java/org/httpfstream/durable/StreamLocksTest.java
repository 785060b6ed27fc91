package org.httpfstream.durable;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.httpfstream.durable.DurableStreams.CreateRequest;
import org.httpfstream.durable.DurableStreams.ForkRequest;
import org.httpfstream.testing.StoreExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Two streams' locks are taken in one order whatever the request: crosswise fork creates do not deadlock. */
class StreamLocksTest {
    static final int TIMES = 20_000;

    @RegisterExtension
    final StoreExtension stores = new StoreExtension();

    static CreateRequest forkOf(String source) {
        return new CreateRequest(null, null, null, null, false, new byte[0], new ForkRequest(source, null, 0));
    }

    /** Creates {@code path} as a fork of {@code source} {@code times} times (each refused: the path exists). */
    static int crosswise(Rules r, String path, String source, int times, CyclicBarrier start) throws Exception {
        start.await(20, TimeUnit.SECONDS);
        int refused = 0;
        for (int i = 0; i < times; i++) {
            try {
                r.streams.create(path, forkOf(source)).join();
            } catch (IOException e) {
                refused++;
            }
        }
        return refused;
    }

    @Test
    void crosswiseForkCreatesFinish() throws Exception {
        Rules r = Rules.on(Rules.Store.MEMORY, stores);
        List<String> paths = List.of("/a", "/b", "/c", "/d");
        for (String p : paths) {
            r.create(p, "text/plain", "x");
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i + 1 < paths.size(); i++) {
                String a = paths.get(i);
                String b = paths.get(i + 1);
                CyclicBarrier start = new CyclicBarrier(2);
                Future<Integer> one = pool.submit(() -> crosswise(r, a, b, TIMES, start));
                Future<Integer> other = pool.submit(() -> crosswise(r, b, a, TIMES, start));
                assertThat(one.get(30, TimeUnit.SECONDS)).isEqualTo(TIMES);
                assertThat(other.get(30, TimeUnit.SECONDS)).isEqualTo(TIMES);
            }
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        }
    }
}
