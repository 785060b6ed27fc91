package org.httpfstream.server.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.httpfstream.server.guard.PlaceCounts.Outcome;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PlaceCountsTest {

    /**
     * Takes a place for each {@code key:OUTCOME} of {@code takes} in turn, asserting the outcome; then the
     * total and every key's count are the places taken, refused ones counting nowhere.
     */
    @ParameterizedTest(name = "total limit {0}, per key {1}: {2}")
    @CsvSource({
        "2, 0, a:TAKEN b:TAKEN c:TOTAL_FULL",
        "10, 1, a:TAKEN a:KEY_FULL b:TAKEN",
        "2, 1, a:TAKEN a:KEY_FULL b:TAKEN c:TOTAL_FULL a:TOTAL_FULL",
    })
    void takesInTurn(int maxTotal, int maxPerKey, String takes) {
        PlaceCounts<String> counts = new PlaceCounts<>("total", maxTotal, "perKey", maxPerKey);
        Map<String, Integer> taken = new HashMap<>();
        for (String take : takes.split(" ")) {
            String[] keyAndOutcome = take.split(":");
            String key = keyAndOutcome[0];
            assertThat(counts.take(key)).as(take).isEqualTo(Outcome.valueOf(keyAndOutcome[1]));
            taken.merge(key, keyAndOutcome[1].equals("TAKEN") ? 1 : 0, Integer::sum);
        }
        taken.forEach((key, n) -> assertThat(counts.of(key)).as(key).isEqualTo(n));
        assertThat(counts.total()).isEqualTo(taken.values().stream().mapToInt(Integer::intValue).sum());
    }

    @Nested
    class TheTotalLimit {
        @Test
        void holdsUnderThreadsTakingAtOnce() throws Exception {
            PlaceCounts<Integer> counts = new PlaceCounts<>("total", 5, "perKey", 0);
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Integer>> taken = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    int key = t;
                    taken.add(pool.submit(() -> {
                        go.await();
                        int n = 0;
                        for (int i = 0; i < 1000; i++) {
                            n += counts.take(key) == Outcome.TAKEN ? 1 : 0;
                        }
                        return n;
                    }));
                }
                go.countDown();
                int sum = 0;
                for (Future<Integer> f : taken) {
                    sum += f.get(30, TimeUnit.SECONDS);
                }
                assertThat(sum).isEqualTo(5);
                assertThat(counts.total()).isEqualTo(5);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Nested
    class TheLimitPerKey {
        @Test
        void freesTheKeyWhenItsLastPlaceIsGivenBack() {
            PlaceCounts<String> counts = new PlaceCounts<>("total", 0, "perKey", 2);
            counts.take("a");
            counts.take("a");
            counts.release("a");
            assertThat(counts.of("a")).isEqualTo(1);
            counts.release("a");
            assertThat(counts.of("a")).isZero();
            assertThat(counts.total()).isZero();
            assertThat(counts.take("a")).isEqualTo(Outcome.TAKEN);
        }
    }

    @Test
    void zeroLimitsLimitNothing() {
        PlaceCounts<String> counts = new PlaceCounts<>("total", 0, "perKey", 0);
        for (int i = 0; i < 1000; i++) {
            assertThat(counts.take("a")).isEqualTo(Outcome.TAKEN);
        }
        assertThat(counts.total()).isEqualTo(1000);
        assertThat(counts.of("a")).isEqualTo(1000);
    }

    @Test
    void aNegativeLimitIsRefusedByItsName() {
        assertThatThrownBy(() -> new PlaceCounts<>("maxConnections", -1, "maxPerAddress", 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxConnections < 0: -1");
        assertThatThrownBy(() -> new PlaceCounts<>("maxConnections", 0, "maxPerAddress", -2))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxPerAddress < 0: -2");
    }
}
