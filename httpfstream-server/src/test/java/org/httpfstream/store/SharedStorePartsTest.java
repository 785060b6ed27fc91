package org.httpfstream.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.httpfstream.store.memory.MemoryStorage;
import org.junit.jupiter.api.Test;

/** The parts the memory and NATS stores share: the fork-aware read, buffer growth, the closed flag. */
class SharedStorePartsTest {
    @Test
    void aBufferGrowsToTwiceItsLengthOrWhatIsNeededButNeverPastTheMaximum() {
        byte[] data = {1, 2, 3, 4};
        byte[] doubled = ForkedBytes.grown(data, 3, 5, 100);
        assertThat(doubled).containsExactly(1, 2, 3, 0, 0, 0, 0, 0);
        assertThat(ForkedBytes.grown(data, 4, 10, 100)).hasSize(10).startsWith(1, 2, 3, 4);
        assertThat(ForkedBytes.grown(data, 4, 10, 6)).containsExactly(1, 2, 3, 4, 0, 0);
    }

    @Test
    void belowTheForkPointAReadTakesTheSourceUpToThatPointOnly() throws Exception {
        byte[] own = {'d', 'e', 'f'}; // bytes 4.. of the fork
        Follower.Reader source = (position, dst) -> {
            int n = 0;
            while (dst.hasRemaining()) {
                dst.put((byte) ('a' + position + n));
                n++;
            }
            return n;
        };
        ByteBuffer dst = ByteBuffer.allocate(10);
        assertThat(ForkedBytes.read(1, dst, 7, 4, own, source)).isEqualTo(3);
        assertThat(new String(dst.array(), 0, dst.position())).isEqualTo("bcd");
        assertThat(ForkedBytes.read(4, dst, 7, 4, own, source)).isEqualTo(3);
        assertThat(new String(dst.array(), 0, dst.position())).isEqualTo("bcddef");
        assertThat(ForkedBytes.read(7, dst, 7, 4, own, source)).isEqualTo(-1);
    }

    @Test
    void aMemoryStoreSaysItsWritesAreNotDurableAndThatItIsClosedOnceClosed() {
        MemoryStorage storage = new MemoryStorage(StoreLimits.NONE);
        assertThat(storage.durableWrites()).isFalse();
        assertThat(storage.closed()).isFalse();
        storage.close();
        assertThat(storage.closed()).isTrue();
        storage.close(); // a second close does nothing and throws nothing
        assertThat(storage.closed()).isTrue();
    }
}
