package org.httpfstream.server.http;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.httpfstream.store.AppendSession;
import org.httpfstream.store.StreamStore;
import org.httpfstream.store.Follower;
import org.httpfstream.testing.StoreExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Followers at the same bytes share one read; a lagging one neither shares nor evicts. */
class TailBlocksTest {
    private static final PooledByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    @RegisterExtension
    final StoreExtension stores = new StoreExtension();
    StreamStore store;
    AppendSession session;
    Follower subscription;

    @BeforeEach
    void open() throws IOException {
        store = stores.store();
        session = store.startAppend("/tail");
        subscription = session.follow(0, () -> { });
    }

    @AfterEach
    void close() {
        TailBlocks.forget(session);
        subscription.close();
        session.end(); // the extension closes the store after
    }

    private void append(String text) throws IOException {
        session.append(ByteBuffer.wrap(text.getBytes(US_ASCII)));
    }

    @Test
    void theNewestBlockIsReadOnceAndSlicedForEveryReaderAtItsBytes() throws IOException {
        append("0123456789");
        ByteBuf first = TailBlocks.read(subscription, true, ALLOC, 0, 10);
        ByteBuf second = TailBlocks.read(subscription, true, ALLOC, 0, 10);
        ByteBuf inside = TailBlocks.read(subscription, true, ALLOC, 4, 10);
        assertThat(first.toString(US_ASCII)).isEqualTo("0123456789");
        assertThat(second.toString(US_ASCII)).isEqualTo("0123456789");
        assertThat(inside.toString(US_ASCII)).isEqualTo("456789"); // what the block holds, not more
        // The same memory, not a second read into a second buffer.
        assertThat(second.memoryAddress()).isEqualTo(first.memoryAddress());
        assertThat(inside.memoryAddress()).isEqualTo(first.memoryAddress() + 4);
        assertThat(TailBlocks.held()).isEqualTo(1);
        first.release();
        second.release();
        inside.release();
        TailBlocks.forget(session);
        assertThat(TailBlocks.held()).isZero();
        assertThat(first.refCnt()).isZero(); // nothing is left holding the block
    }

    @Test
    void aLaggingReaderReadsOnItsOwnAndLeavesTheNewestBlockInPlace() throws IOException {
        append("old bytes;");
        append("new bytes!");
        ByteBuf newest = TailBlocks.read(subscription, true, ALLOC, 10, 10);
        ByteBuf lagging = TailBlocks.read(subscription, true, ALLOC, 0, 20);
        assertThat(lagging.toString(US_ASCII)).isEqualTo("old bytes;new bytes!");
        assertThat(lagging.memoryAddress()).isNotEqualTo(newest.memoryAddress() - 10);
        ByteBuf again = TailBlocks.read(subscription, true, ALLOC, 10, 10);
        assertThat(again.memoryAddress()).isEqualTo(newest.memoryAddress());
        assertThat(again.toString(US_ASCII)).isEqualTo("new bytes!");
        // Newer bytes replace the block, and the old one is released once its readers are done.
        append("newer");
        ByteBuf newer = TailBlocks.read(subscription, true, ALLOC, 20, 5);
        assertThat(newer.toString(US_ASCII)).isEqualTo("newer");
        newest.release();
        again.release();
        lagging.release();
        assertThat(newest.refCnt()).isZero();
        ByteBuf newerAgain = TailBlocks.read(subscription, true, ALLOC, 20, 5);
        assertThat(newerAgain.memoryAddress()).isEqualTo(newer.memoryAddress());
        newer.release();
        newerAgain.release();
    }

    @Test
    void unsharedReadsAreExactAndPrivate() throws IOException {
        append("0123456789");
        ByteBuf shared = TailBlocks.read(subscription, true, ALLOC, 0, 10);
        ByteBuf own = TailBlocks.read(subscription, false, ALLOC, 2, 8);
        assertThat(own.toString(US_ASCII)).isEqualTo("23456789");
        assertThat(own.memoryAddress()).isNotEqualTo(shared.memoryAddress() + 2);
        shared.release();
        own.release();
    }
}
