package org.httpfstream.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BackoffTest {
    @Test
    void pausesDoubleFromOneSecondToAMinuteWithUpToAFifthAdded() {
        Backoff b = new Backoff();
        assertThat(b.next(0)).isEqualTo(1000);
        assertThat(b.next(0.5)).isEqualTo(2200);
        assertThat(b.next(0.999)).isEqualTo(4799);
        assertThat(b.next(0)).isEqualTo(8000);
        assertThat(b.next(0)).isEqualTo(16000);
        assertThat(b.next(0)).isEqualTo(32000);
        assertThat(b.next(0)).isEqualTo(60000);
        assertThat(b.next(1)).isEqualTo(72000);
        assertThat(b.next(0)).isEqualTo(60000);
    }

    @Test
    void aResetStartsOver() {
        Backoff b = new Backoff();
        b.next(0);
        b.next(0);
        b.reset();
        assertThat(b.next(0.25)).isEqualTo(1050);
    }
}
