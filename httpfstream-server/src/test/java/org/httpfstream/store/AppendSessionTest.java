package org.httpfstream.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.httpfstream.store.GatedStoreTest.bytes;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One WebSocket append session's view of its stream: what it wrote, what is final once it ended. */
class AppendSessionTest {
    @TempDir Path dir;
    StreamStore store;

    @BeforeEach
    void open() throws IOException {
        store = new StreamStore(dir);
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void anEndedSessionsLengthAndCountStayFinalWhileLaterWritersAppend() throws IOException {
        Files.writeString(dir.resolve("s.log"), "0123");
        AppendSession first = store.startAppend("/s.log");
        first.append(new ByteBuffer[] {bytes("ab"), bytes(""), bytes("c")});
        first.end();
        AppendSession second = store.startAppend("/s.log");
        second.append(bytes("later"));
        assertThat(second.length()).isEqualTo(12);
        assertThat(first.length()).isEqualTo(7);
        assertThat(first.appended()).isEqualTo(3);
        assertThat(second.appended()).isEqualTo(5);
        assertThat(first.toString()).isEqualTo("AppendSession{/s.log, length=7, ended}");
        assertThat(second.toString()).isEqualTo("AppendSession{/s.log, length=12}");
        assertThat(second.name()).isEqualTo("/s.log");
        assertThat(second.file()).isEqualTo(store.root().resolve("s.log"));
        assertThat(store.activeSession(second.file())).isSameAs(second);
        assertThat(store.lookup("/s.log").session()).isSameAs(second);
        second.end();
        assertThat(store.activeSession(second.file())).isNull();
        assertThat(Files.readString(dir.resolve("s.log"))).isEqualTo("0123abclater");
    }

    @Test
    void anEmptyAppendWritesNothingAndTellsNobody() throws IOException {
        AppendSession s = store.startAppend("/e.log");
        AtomicInteger told = new AtomicInteger();
        Follower sub = s.follow(0, told::incrementAndGet);
        s.append(bytes(""));
        assertThat(told).hasValue(0);
        assertThat(s.length()).isZero();
        sub.close();
        s.end();
    }

    @Test
    void endingTwiceReturnsTheSameOutcomeAndAppendsAfterTheEndAreRefused() throws IOException {
        AppendSession s = store.startAppend("/t.log");
        var once = s.end();
        assertThat(s.end()).isSameAs(once);
        assertThat(once).isCompleted();
        assertThatThrownBy(() -> s.append(bytes("x"))).isInstanceOf(ClosedChannelException.class);
        assertThat(s.elapsedNanos()).isPositive();
    }

    @Test
    void aRefusedGuardReleasesTheLeaseAndStartsNoSession() throws IOException {
        store.appendGuard(file -> {
            throw new StreamClosedException();
        });
        assertThatThrownBy(() -> store.startAppend("/g.log")).isInstanceOf(StreamClosedException.class);
        assertThat(store.activeSessions()).isZero();
        store.appendGuard(file -> { });
        store.startAppend("/g.log").end();
    }

    @Test
    void theStoresCloseListenersRunWhenItCloses() {
        AtomicInteger closed = new AtomicInteger();
        store.addCloseListener(closed::incrementAndGet);
        store.close();
        assertThat(closed).hasValue(1);
    }

    @Test
    void aSessionThatEndsOnAnEmptyStreamStaysAtZeroWhileLaterWritersAppend() throws IOException {
        AppendSession empty = store.startAppend("/z.log");
        empty.end();
        AppendSession later = store.startAppend("/z.log");
        later.append(bytes("12345"));
        assertThat(empty.length()).isZero();
        assertThat(empty.appended()).isZero();
        assertThat(later.length()).isEqualTo(5);
        later.end();
    }
}
