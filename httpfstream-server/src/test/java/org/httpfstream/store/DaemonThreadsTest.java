package org.httpfstream.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DaemonThreadsTest {

    @Test
    void namedThreadsAreDaemonsWithTheName() {
        Thread t = DaemonThreads.named("httpfstream-x").newThread(() -> { });
        assertThat(t.isDaemon()).isTrue();
        assertThat(t.getName()).isEqualTo("httpfstream-x");
    }

    @Test
    void numberedThreadsCountFromOne() {
        ThreadFactory f = DaemonThreads.numbered("httpfstream-y");
        assertThat(f.newThread(() -> { }).getName()).isEqualTo("httpfstream-y-1");
        Thread second = f.newThread(() -> { });
        assertThat(second.getName()).isEqualTo("httpfstream-y-2");
        assertThat(second.isDaemon()).isTrue();
    }

    @Test
    void aPoolEndsIdleThreadsAndRefusesPastItsQueue() throws Exception {
        ThreadPoolExecutor pool = DaemonThreads.pool(1, 1, DaemonThreads.named("httpfstream-z"));
        try {
            assertThat(pool.allowsCoreThreadTimeOut()).isTrue();
            assertThat(pool.getKeepAliveTime(TimeUnit.SECONDS)).isEqualTo(30);
            assertThat(pool.getMaximumPoolSize()).isEqualTo(1);
            CountDownLatch release = new CountDownLatch(1);
            pool.execute(() -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            pool.execute(() -> { }); // queued
            assertThatThrownBy(() -> pool.execute(() -> { })).isInstanceOf(RejectedExecutionException.class);
            release.countDown();
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void aPoolWithoutABoundQueuesEverything() {
        ThreadPoolExecutor pool = DaemonThreads.pool(2, 0, DaemonThreads.named("httpfstream-w"));
        try {
            assertThat(pool.getQueue().remainingCapacity()).isEqualTo(Integer.MAX_VALUE);
        } finally {
            pool.shutdownNow();
        }
    }
}
