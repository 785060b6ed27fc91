package org.httpfstream.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TokenBucketTest {
    static final long SECOND = 1_000_000_000L;

    @Test
    void holdsOneSecondAndRefillsAtItsRate() {
        TokenBucket b = new TokenBucket(10, 0);
        for (int i = 0; i < 10; i++) {
            assertThat(b.tryTake(1, 0)).isZero();
        }
        assertThat(b.tryTake(1, 0)).isEqualTo(SECOND / 10);
        assertThat(b.tryTake(1, SECOND / 10)).isZero();
        assertThat(b.tryTake(1, 100 * SECOND)).isZero(); // never more than a second's worth
        assertThat(b.tryTake(10, 100 * SECOND)).isEqualTo(SECOND / 10);
    }

    @Test
    void aTakeLargerThanTheBucketPassesWhenFullAndLeavesDebt() {
        TokenBucket b = new TokenBucket(100, 0);
        assertThat(b.tryTake(250, 0)).isZero();
        assertThat(b.tryTake(1, SECOND)).isEqualTo(SECOND / 2 + SECOND / 100); // 150 owed, 100 repaid
        assertThat(b.take(50, 2 * SECOND)).isZero();
        assertThat(b.take(100, 2 * SECOND)).isEqualTo(SECOND);
    }
}
