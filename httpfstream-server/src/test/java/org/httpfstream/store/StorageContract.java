package org.httpfstream.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.httpfstream.testing.StoredBytes.read;
import static org.httpfstream.testing.StoredBytes.readAll;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The contract of the storage seam ({@link Storage}, {@link StoredStream}, {@link Lease}), run against
 * every implementation by a subclass that says how to open one. A store that a later issue adds (a
 * replicated one) gets its own subclass and must pass the same tests.
 */
public abstract class StorageContract {
    /** Bytes the limited store ({@link #limited}) holds per stream. */
    static final long LIMIT = 16;
    static final Duration DEADLINE = Duration.ofSeconds(10);

    @TempDir Path dir;
    Storage storage;
    Storage limited;

    /** Opens a store of the kind under test in {@code dir} (empty), with {@code limits}. */
    protected abstract Storage open(Path dir, StoreLimits limits) throws IOException;

    /** True if this kind offers the zero-copy path ({@link StoredStream#openChannel()}). */
    protected abstract boolean zeroCopy();

    @BeforeEach
    void openStores() throws IOException {
        storage = open(dir.resolve("a"), StoreLimits.NONE);
        limited = open(dir.resolve("b"), new StoreLimits(LIMIT, 0));
    }

    @AfterEach
    void closeStores() {
        storage.close();
        limited.close();
    }

    /** The stream at {@code path}, made to hold {@code text} (appended and committed). */
    StoredStream holding(String path, String text) throws IOException {
        StoredStream s = storage.stream(path);
        append(s, text).join();
        return s;
    }

    static CompletableFuture<Long> append(StoredStream s, String text) throws IOException {
        return s.withLease(true, lease -> lease.append(ByteBuffer.wrap(text.getBytes(UTF_8))));
    }

    static boolean exists(StoredStream s) {
        try {
            return s.exists();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    @Nested
    class AMissingStream {
        @Test
        void doesNotExistAndHasNoLengthNorBytes() throws IOException {
            StoredStream s = storage.stream("/none.txt");
            assertThat(s.exists()).isFalse();
            assertThat(s.knownCommittedLength()).isEqualTo(-1);
            assertThatThrownBy(s::committedLength).isInstanceOf(NoSuchFileException.class);
            assertThatThrownBy(() -> s.read(0, ByteBuffer.allocate(1))).isInstanceOf(NoSuchFileException.class);
            assertThatThrownBy(s::openChannel).isInstanceOf(NoSuchFileException.class);
            assertThatThrownBy(() -> s.follow(() -> { }, () -> false)).isInstanceOf(NoSuchFileException.class);
            assertThat(s.metadata()).isEmpty();
        }

        @Test
        void refusesALeaseWithoutCreate() throws IOException {
            StoredStream s = storage.stream("/none.txt");
            AtomicBoolean ran = new AtomicBoolean();
            assertThatThrownBy(() -> s.withLease(false, lease -> ran.getAndSet(true)))
                    .isInstanceOf(NoSuchFileException.class);
            assertThat(ran).isFalse();
            assertThat(s.exists()).isFalse();
        }
    }

    @Nested
    class Paths {
        @ParameterizedTest
        @ValueSource(strings = {"/../x", "/a/../x", "/a/./b", "/a\\b", "/a\0b", "a/b", "/.httpfstream/x"})
        void thatCanNeverNameAStreamAreRefused(String path) {
            assertThatThrownBy(() -> storage.stream(path)).isInstanceOf(InvalidStreamPathException.class);
        }

        @Test
        void aStreamCannotBeAFolderNorLieBelowAStream() throws IOException {
            append(storage.stream("/d/a.txt"), "x").join();
            append(storage.stream("/f.txt"), "y").join();
            assertThatThrownBy(() -> append(storage.stream("/d"), "z")).isInstanceOf(NotAStreamException.class);
            assertThatThrownBy(() -> append(storage.stream("/f.txt/x"), "z")).isInstanceOf(NotAStreamException.class);
            assertThat(storage.stream("/d").exists()).isFalse();
        }

        @Test
        void equalPathsGiveEqualHandlesWithOneKey() throws IOException {
            append(storage.stream("/k/s.txt"), "x").join();
            StoredStream a = storage.stream("/k/s.txt");
            StoredStream b = storage.stream("/k//s.txt");
            assertThat(a).isEqualTo(b);
            assertThat(a.key()).isEqualTo(b.key());
            assertThat(a).isNotEqualTo(storage.stream("/k/t.txt"));
        }

        @Test
        void listingGivesTheStreamsUnderAPrefix() throws IOException {
            append(storage.stream("/l/a.txt"), "1").join();
            append(storage.stream("/l/b/c.txt"), "2").join();
            append(storage.stream("/m.txt"), "3").join();
            assertThat(storage.list("/l/")).containsExactlyInAnyOrder("/l/a.txt", "/l/b/c.txt");
            assertThat(storage.list("/")).containsExactlyInAnyOrder("/l/a.txt", "/l/b/c.txt", "/m.txt");
            assertThat(storage.list("/none/")).isEmpty();
        }
    }

    @Nested
    class Appends {
        @Test
        void giveTheirEndOffsetOnceCommittedAndReadBackExactly() throws IOException {
            StoredStream s = storage.stream("/s.txt");
            assertThat(append(s, "hello ").join()).isEqualTo(6);
            assertThat(s.withLease(false, lease -> {
                assertThat(lease.written()).isEqualTo(6);
                return lease.append(ByteBuffer.wrap("wor".getBytes(UTF_8)), ByteBuffer.wrap("ld".getBytes(UTF_8)));
            }).join()).isEqualTo(11);
            assertThat(s.exists()).isTrue();
            assertThat(s.committedLength()).isEqualTo(11);
            assertThat(s.writtenLength()).isEqualTo(11);
            assertThat(read(s, 0, 11)).isEqualTo("hello world");
            assertThat(read(s, 6, 9)).isEqualTo("wor");
            assertThat(s.read(11, ByteBuffer.allocate(4))).isEqualTo(-1);
            assertThat(s.durable(-1).join()).isNull();
            assertThat(storage.barrier().join()).isNull();
        }

        @Test
        void offerTheZeroCopyPathWhereTheStoreHasFiles() throws IOException {
            StoredStream s = holding("/z.txt", "abc");
            Optional<FileChannel> ch = s.openChannel();
            assertThat(ch.isPresent()).isEqualTo(zeroCopy());
            if (ch.isPresent()) {
                try (FileChannel c = ch.get()) {
                    ByteBuffer dst = ByteBuffer.allocate(3);
                    c.read(dst, 0);
                    assertThat(new String(dst.array(), UTF_8)).isEqualTo("abc");
                }
            }
        }

        @Test
        void pastTheSizeLimitAreRefusedWhole() throws IOException {
            StoredStream s = limited.stream("/big.txt");
            append(s, "0123456789").join();
            assertThatThrownBy(() -> append(s, "0123456789")).isInstanceOf(StreamTooLargeException.class);
            assertThat(s.committedLength()).isEqualTo(10);
            assertThat(append(s, "012345").join()).isEqualTo(LIMIT);
        }

        @Test
        void ofACreationAbandonedLeaveNothing() throws IOException {
            StoredStream s = storage.stream("/gone.txt");
            assertThatThrownBy(() -> s.withLease(true, lease -> {
                lease.append(ByteBuffer.wrap("x".getBytes(UTF_8)));
                lease.stageMetadata(StreamMetadata.defaults("text/plain"));
                lease.abandon();
                throw new IOException("refused");
            })).hasMessage("refused");
            assertThat(s.exists()).isFalse();
            assertThat(s.metadata()).isEmpty();
        }

        @Test
        void tellTheChangeListenersTheStreamsPath() throws IOException {
            List<String> changed = new java.util.concurrent.CopyOnWriteArrayList<>();
            storage.addChangeListener(changed::add);
            append(storage.stream("/c/x.txt"), "1").join();
            await("the change is told", () -> changed.contains("/c/x.txt"));
        }
    }

    @Nested
    class TheLease {
        @Test
        void admitsOneWriterAtATime() throws Exception {
            StoredStream s = holding("/lease.txt", "a");
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger inside = new AtomicInteger();
            AtomicInteger most = new AtomicInteger();
            Thread first = new Thread(() -> run(() -> s.withLease(false, lease -> {
                most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                held.countDown();
                awaitLatch(release);
                lease.append(ByteBuffer.wrap("b".getBytes(UTF_8)));
                inside.decrementAndGet();
                return null;
            })));
            first.start();
            assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
            Thread second = new Thread(() -> run(() -> s.withLease(false, lease -> {
                most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                lease.append(ByteBuffer.wrap("c".getBytes(UTF_8)));
                inside.decrementAndGet();
                return null;
            })));
            second.start();
            await("the second writer waits for the lease", () -> second.getState() == Thread.State.BLOCKED
                    || second.getState() == Thread.State.WAITING);
            assertThat(s.committedLength()).isEqualTo(1);
            release.countDown();
            first.join(10_000);
            second.join(10_000);
            assertThat(most).hasValue(1);
            assertThat(read(s, 0, 3)).isEqualTo("abc");
            assertThat(s.sessionActive()).isFalse();
        }

        private void awaitLatch(CountDownLatch latch) throws IOException {
            try {
                if (!latch.await(10, TimeUnit.SECONDS)) {
                    throw new IOException("not released in time");
                }
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
        }

        private void run(Callable action) {
            try {
                action.call();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
    }

    /** A task that may throw. */
    @FunctionalInterface
    interface Callable {
        Object call() throws Exception;
    }

    @Nested
    class Followers {
        @Test
        void manyFollowOneStreamEachAtItsOwnPace() throws IOException {
            StoredStream s = holding("/f.txt", "one ");
            AtomicInteger toldA = new AtomicInteger();
            AtomicInteger toldB = new AtomicInteger();
            AtomicBoolean closed = new AtomicBoolean();
            try (Follower a = s.follow(toldA::incrementAndGet, closed::get);
                    Follower b = s.follow(toldB::incrementAndGet, closed::get)) {
                assertThat(a.length()).isEqualTo(4);
                append(s, "two ").join();
                append(s, "three").join();
                await("both are told", () -> toldA.get() >= 1 && toldB.get() >= 1);
                await("both see every byte", () -> a.length() == 13 && b.length() == 13);
                assertThat(readAll(a)).isEqualTo("one two three");
                assertThat(readAll(b)).isEqualTo("one two three");
                assertThat(a.ended()).isFalse();
                closed.set(true);
                assertThat(a.ended()).isTrue();
            }
        }

        @Test
        void aClosedFollowerIsNoLongerToldNorReads() throws IOException {
            StoredStream s = holding("/g.txt", "x");
            AtomicInteger told = new AtomicInteger();
            Follower f = s.follow(told::incrementAndGet, () -> false);
            f.close();
            f.close(); // twice is safe
            append(s, "y").join();
            assertThat(told).hasValue(0);
            assertThatThrownBy(() -> f.read(0, ByteBuffer.allocate(1))).isInstanceOf(IOException.class);
        }

        @Test
        void oneWatcherLeavingKeepsTheOthers() throws IOException {
            StoredStream s = holding("/w.txt", "x");
            AtomicInteger a = new AtomicInteger();
            AtomicInteger b = new AtomicInteger();
            StreamListener la = a::incrementAndGet;
            StreamListener lb = b::incrementAndGet;
            s.watch(la);
            s.watch(lb);
            s.unwatch(la);
            append(s, "y").join();
            await("the remaining watcher is told", () -> b.get() >= 1);
            assertThat(a).hasValue(0);
            s.changed();
            await("changed() tells it too", () -> b.get() >= 2);
            s.unwatch(lb);
        }

        @Test
        void aStreamDeletedWhileFollowedEndsAndCanBeMadeAgain() throws IOException {
            StoredStream s = holding("/del.txt", "before");
            try (Follower f = s.follow(() -> { }, () -> !exists(s))) {
                AtomicBoolean ran = new AtomicBoolean();
                s.delete(() -> ran.set(true));
                assertThat(ran).isTrue();
                assertThat(s.exists()).isFalse();
                assertThat(f.ended()).isTrue();
                assertThat(readAll(f)).isEqualTo("before"); // what it had stays readable
            }
            assertThatThrownBy(() -> s.withLease(false, lease -> null)).isInstanceOf(NoSuchFileException.class);
            assertThat(append(s, "new").join()).isEqualTo(3);
            assertThat(read(s, 0, 3)).isEqualTo("new");
        }

        @Test
        void aDiscardedStreamIsGone() throws IOException {
            StoredStream s = holding("/disc.txt", "x");
            s.discard();
            assertThat(s.exists()).isFalse();
            assertThat(s.knownCommittedLength()).isEqualTo(-1);
            s.discard(); // twice is safe
        }
    }

    @Nested
    class Metadata {
        final StreamMetadata plain = StreamMetadata.defaults("text/plain");

        @Test
        void isStoredReplacedAndRemoved() throws IOException {
            StoredStream s = holding("/m.txt", "x");
            s.putMetadata(plain);
            storage.barrier().join();
            assertThat(s.metadata()).contains(plain);
            assertThat(s.publishedMetadata()).contains(plain);
            StreamMetadata closed = plain.withClosed(null);
            s.withLease(false, lease -> {
                lease.stageMetadata(closed);
                return null;
            });
            assertThat(s.metadata()).contains(closed);
            s.flushMetadata();
            storage.barrier().join();
            assertThat(s.publishedMetadata()).contains(closed);
            s.removeMetadata();
            assertThat(s.metadata()).isEmpty();
            assertThat(s.publishedMetadata()).isEmpty();
        }

        @Test
        void updatesAreAtomic() throws Exception {
            StoredStream s = holding("/u.txt", "x");
            s.putMetadata(plain);
            int threads = 4;
            int each = 200;
            List<Thread> all = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Thread th = new Thread(() -> {
                    for (int i = 0; i < each; i++) {
                        try {
                            s.updateMetadata(m -> m.map(x -> x.withForkRefs(x.forkRefs() + 1)));
                        } catch (IOException e) {
                            throw new AssertionError(e);
                        }
                    }
                });
                all.add(th);
                th.start();
            }
            for (Thread th : all) {
                th.join(30_000);
            }
            assertThat(s.metadata().orElseThrow().forkRefs()).isEqualTo(threads * each);
            assertThat(s.updateMetadata(m -> Optional.empty())).isEmpty();
            assertThat(s.metadata()).isEmpty();
        }
    }

    /** Forks by reference ({@link Lease#reference}): no copy of the source's bytes. */
    @Nested
    class Forks {
        @Test
        void aForkReadsItsSourcesBytesBelowTheForkPointAndItsOwnAbove() throws IOException {
            StoredStream source = holding("/src", "0123456789");
            StoredStream fork = storage.stream("/fork");
            fork.putMetadata(new StreamMetadata("text/plain", null, null, null, false, null, java.util.Map.of(),
                    null, new StreamMetadata.Fork("/src", 6, 0, 6), 0, false));
            long end = fork.withLease(true, lease -> {
                lease.reference(source, 6);
                assertThat(lease.written()).isEqualTo(6);
                return lease.append(ByteBuffer.wrap("abc".getBytes(UTF_8)));
            }).join();
            append(source, "XYZ").join(); // the source goes on: the fork does not see it

            assertThat(end).isEqualTo(9);
            assertThat(fork.committedLength()).isEqualTo(9);
            assertThat(read(fork, 0, 9)).isEqualTo("012345abc");
            assertThat(read(fork, 4, 8)).isEqualTo("45ab");
            ByteBuffer across = ByteBuffer.allocate(5); // one read call stops at the fork point
            assertThat(fork.read(3, across)).isEqualTo(3);
            try (Follower f = fork.follow(() -> { }, () -> false)) {
                assertThat(readAll(f)).isEqualTo("012345abc");
            }
            assertThatThrownBy(() -> fork.withLease(false, lease -> {
                lease.reference(source, 2);
                return null;
            })).isInstanceOf(IllegalStateException.class);
        }
    }

    static ByteBuffer bytes(String text) {
        return ByteBuffer.wrap(text.getBytes(UTF_8));
    }

    /**
     * The long-held lease of an original-protocol append session ({@link StoredStream#startSession()},
     * {@link SessionLease}): one per stream, appends seen by followers once committed, followers that end
     * with the session.
     */
    @Nested
    class Sessions {
        @Test
        void holdOneStreamsLeaseAfterTheGuardPassedAndRefuseEveryOtherWriter() throws IOException {
            AtomicReference<String> guarded = new AtomicReference<>();
            storage.leaseGuard(s -> guarded.set(s.name()));
            StoredStream s = storage.stream("/ws.txt");
            SessionLease session = s.startSession();
            try {
                assertThat(guarded.get()).isEqualTo("/ws.txt");
                assertThat(s.exists()).isTrue(); // created, empty
                assertThat(s.committedLength()).isZero();
                assertThat(s.session()).containsSame(session);
                assertThat(storage.stream("/ws.txt").sessionActive()).isTrue();
                assertThatThrownBy(s::startSession).isInstanceOf(WriterConflictException.class)
                        .hasMessage(WriterConflictException.MESSAGE);
                assertThatThrownBy(() -> s.withLease(false, lease -> null)).isInstanceOf(WriterConflictException.class);
                assertThatThrownBy(() -> s.delete(() -> { })).isInstanceOf(WriterConflictException.class);
            } finally {
                session.end().join();
            }
            assertThat(s.session()).isEmpty();
            assertThat(s.sessionActive()).isFalse();
            SessionLease next = s.startSession(); // released: the next appender may start
            next.end().join();
        }

        @Test
        void areRefusedByAGuardThatThrowsAndLeaveTheLeaseFree() throws IOException {
            storage.leaseGuard(s -> {
                throw new StreamClosedException();
            });
            StoredStream s = storage.stream("/closed.txt");
            assertThatThrownBy(s::startSession).isInstanceOf(StreamClosedException.class);
            assertThat(s.session()).isEmpty();
            storage.leaseGuard(x -> { });
            s.startSession().end().join();
        }

        @Test
        void cannotStartOnAFolderNorBelowAStream() throws IOException {
            append(storage.stream("/d/a.txt"), "x").join();
            assertThatThrownBy(() -> storage.stream("/d").startSession()).isInstanceOf(NotAStreamException.class);
            assertThat(storage.stream("/d").folder()).isTrue();
            assertThat(storage.stream("/d/a.txt").folder()).isFalse();
            assertThatThrownBy(() -> storage.stream("/d/a.txt/x").startSession())
                    .isInstanceOf(NotAStreamException.class);
        }

        @Test
        void appendAtTheEndAndTheirFollowersSeeEveryCommittedByteThenTheEnd() throws IOException {
            StoredStream s = storage.stream("/live.txt");
            append(s, "ab").join();
            SessionLease session = s.startSession();
            AtomicInteger told = new AtomicInteger();
            AtomicInteger watched = new AtomicInteger();
            StreamListener watcher = watched::incrementAndGet;
            s.watch(watcher);
            try (Follower f = session.follow(2, told::incrementAndGet)) {
                assertThat(f).isNotNull();
                session.append(bytes("cd"), bytes("ef")); // one gathering append
                session.append(bytes("g"));
                await("the follower sees every byte", () -> f.length() == 7);
                assertThat(readAll(f)).isEqualTo("abcdefg");
                assertThat(told.get()).isPositive();
                assertThat(watched.get()).isPositive(); // the one notification path: stream watchers too
                assertThat(f.ended()).isFalse();
                assertThat(session.appended()).isEqualTo(5);

                int before = told.get();
                session.end().join();
                await("the follower is told of the end", () -> told.get() > before);
                assertThat(f.ended()).isTrue();
                assertThat(f.length()).isEqualTo(7);
                assertThat(session.ended()).isTrue();

                SessionLease next = s.startSession(); // a later writer: the ended follower stays at the end
                next.append(bytes("h"));
                next.end().join();
                assertThat(f.length()).isEqualTo(7);
                assertThat(session.length()).isEqualTo(7);
                assertThat(s.committedLength()).isEqualTo(8);
            } finally {
                s.unwatch(watcher);
            }
            assertThat(read(s, 0, 8)).isEqualTo("abcdefgh");
        }

        @Test
        void refuseAppendsAfterTheirEndAndEndTwiceSafely() throws IOException {
            StoredStream s = storage.stream("/end.txt");
            SessionLease session = s.startSession();
            session.append(bytes("x"));
            session.end().join();
            session.end().join();
            assertThatThrownBy(() -> session.append(bytes("y"))).isInstanceOf(ClosedChannelException.class);
            assertThat(s.committedLength()).isEqualTo(1);
            Follower late = session.follow(0, () -> { });
            if (late != null) { // a store may still offer an ended follower of an ended session
                try (late) {
                    assertThat(late.ended()).isTrue();
                    assertThat(readAll(late)).isEqualTo("x");
                }
            }
            assertThatThrownBy(() -> session.follow(-1, () -> { })).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void refuseAnAppendPastTheSizeLimitWholeAndKeepTheBytesBefore() throws IOException {
            List<IOException> refusals = new java.util.concurrent.CopyOnWriteArrayList<>();
            limited.addRefusalListener(refusals::add);
            StoredStream s = limited.stream("/big.txt");
            SessionLease session = s.startSession();
            session.append(bytes("0123456789"));
            assertThatThrownBy(() -> session.append(bytes("0123456789"))).isInstanceOf(StreamTooLargeException.class);
            assertThat(refusals).singleElement().isInstanceOf(StreamTooLargeException.class); // counted once
            session.end().join();
            assertThat(s.committedLength()).isEqualTo(10);
            assertThat(read(s, 0, 10)).isEqualTo("0123456789");
        }

        @Test
        void endWhenTheStorageCloses() throws IOException {
            SessionLease session = storage.stream("/close.txt").startSession();
            session.append(bytes("kept"));
            storage.close();
            await("the session ends", session::ended);
            assertThat(session.length()).isEqualTo(4);
        }
    }
}
