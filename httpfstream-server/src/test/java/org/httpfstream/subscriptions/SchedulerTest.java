package org.httpfstream.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SchedulerTest {
    @Test
    void tasksRunInOrderOnOneNamedThreadAndAThrowingTaskDoesNotStopIt() throws Exception {
        Scheduler s = Scheduler.singleThread("subs-test");
        try {
            StringBuilder order = new StringBuilder();
            CompletableFuture<String> thread = new CompletableFuture<>();
            s.execute(() -> order.append('a'));
            s.execute(() -> {
                throw new IllegalStateException("boom");
            });
            s.schedule(() -> {
                order.append('c');
                thread.complete(Thread.currentThread().getName());
            }, 20);
            s.execute(() -> order.append('b'));
            assertThat(thread.get(5, TimeUnit.SECONDS)).isEqualTo("subs-test");
            assertThat(order).hasToString("abc");
        } finally {
            s.shutdown();
        }
    }

    @Test
    void aCancelledTaskDoesNotRunAndNothingRunsAfterShutdown() throws Exception {
        Scheduler s = Scheduler.singleThread("subs-test");
        CountDownLatch ran = new CountDownLatch(1);
        Scheduler.Task t = s.schedule(ran::countDown, 50);
        t.cancel();
        CompletableFuture<Void> marker = new CompletableFuture<>();
        s.schedule(() -> marker.complete(null), 100);
        marker.get(5, TimeUnit.SECONDS);
        assertThat(ran.getCount()).isEqualTo(1);
        s.shutdown();
        s.shutdown();
        Scheduler.Task late = s.schedule(ran::countDown, 0);
        late.cancel();
        assertThat(ran.await(200, TimeUnit.MILLISECONDS)).isFalse();
    }
}
