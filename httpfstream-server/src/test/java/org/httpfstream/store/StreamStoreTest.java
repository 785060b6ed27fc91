package org.httpfstream.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.httpfstream.testing.StoreExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StreamStoreTest {
    @RegisterExtension
    final StoreExtension stores = new StoreExtension();
    Path root;
    Path outside;
    StreamStore store;

    @BeforeEach
    void setUp() throws IOException {
        root = stores.root();
        outside = Files.createDirectories(stores.folder().resolve("outside")); // the root's sibling
        store = stores.store();
    }

    @Nested
    class Paths {
        @ParameterizedTest
        @ValueSource(strings = {"/../x", "/a/../../x", "/a/./b", "/..", "/a\\b", "/a\0b", "a/b", ""})
        void unsafePathsAreRefusedBeforeAnyFileIsTouched(String path) {
            assertThatThrownBy(() -> store.startAppend(path))
                    .isInstanceOf(InvalidStreamPathException.class);
            assertThatThrownBy(() -> store.lookup(path)).isInstanceOf(InvalidStreamPathException.class);
        }

        @Test
        void emptySegmentsCollapse() throws IOException {
            assertThat(store.resolve("//a///b/")).isEqualTo(store.root().resolve("a/b"));
        }

        @Test
        void aSymlinkLeadingOutsideTheRootIsRefused() throws IOException {
            Files.createSymbolicLink(root.resolve("escape"), outside);
            assertThatThrownBy(() -> store.startAppend("/escape/x.log"))
                    .isInstanceOf(OutsideRootException.class);
            assertThatThrownBy(() -> store.lookup("/escape/x.log"))
                    .isInstanceOf(OutsideRootException.class);
            Files.writeString(outside.resolve("secret"), "secret");
            assertThatThrownBy(() -> store.lookup("/escape/secret"))
                    .isInstanceOf(OutsideRootException.class);
            assertThat(outside).isDirectoryNotContaining("glob:**/x.log");
        }

        @Test
        void aDanglingSymlinkIsRefused() throws IOException {
            Files.createSymbolicLink(root.resolve("dangling"), outside.resolve("nothing-yet"));
            assertThatThrownBy(() -> store.startAppend("/dangling"))
                    .isInstanceOf(OutsideRootException.class);
            assertThat(outside.resolve("nothing-yet")).doesNotExist();
        }

        @Test
        void aSymlinkInsideTheRootIsFollowed() throws IOException {
            Files.createDirectories(root.resolve("real"));
            Files.createSymbolicLink(root.resolve("alias"), root.resolve("real"));
            AppendSession s = store.startAppend("/alias/x.log");
            s.append(ByteBuffer.wrap("hi".getBytes(UTF_8)));
            s.end();
            assertThat(root.resolve("real/x.log")).hasContent("hi");
        }

        @Test
        void aFolderIsNotAStream() throws IOException {
            Files.createDirectories(root.resolve("dir"));
            assertThatThrownBy(() -> store.startAppend("/dir")).isInstanceOf(NotAStreamException.class);
            assertThatThrownBy(() -> store.lookup("/dir")).isInstanceOf(NotAStreamException.class);
            assertThatThrownBy(() -> store.lookup("/")).isInstanceOf(NotAStreamException.class);
        }

        @Test
        void aPathBelowAFileIsNotAStream() throws IOException {
            Files.writeString(root.resolve("file"), "x");
            assertThatThrownBy(() -> store.startAppend("/file/below"))
                    .isInstanceOf(NotAStreamException.class);
            assertThat(store.activeSessions()).isZero();
        }

        @Test
        void aMissingStreamIsNoSuchFile() {
            assertThatThrownBy(() -> store.lookup("/never/written"))
                    .isInstanceOf(NoSuchFileException.class);
        }
    }

    @Nested
    class Lease {
        /** More WebSocket sessions than the writer cache holds: each new one opens at once (it once spun). */
        @Test
        @org.junit.jupiter.api.Timeout(60)
        void moreSessionsThanTheWriterCacheHoldsAllStartAndWrite() throws IOException {
            List<AppendSession> sessions = new ArrayList<>();
            try {
                for (int i = 0; i < StreamStore.MAX_OPEN_WRITERS + 20; i++) {
                    AppendSession s = store.startAppend("/many/" + i + ".log");
                    s.append(ByteBuffer.wrap(("stream " + i).getBytes(UTF_8)));
                    sessions.add(s);
                }
            } finally {
                sessions.forEach(AppendSession::end);
            }
            assertThat(sessions).hasSize(StreamStore.MAX_OPEN_WRITERS + 20);
            assertThat(root.resolve("many/" + StreamStore.MAX_OPEN_WRITERS + ".log"))
                    .hasContent("stream " + StreamStore.MAX_OPEN_WRITERS);
        }

        @Test
        void aSecondAppenderIsRefusedUntilTheFirstEnds() throws IOException {
            AppendSession first = store.startAppend("/a/b.log");
            assertThat(root.resolve("a/b.log")).exists();
            assertThatThrownBy(() -> store.startAppend("/a/b.log"))
                    .isInstanceOf(WriterConflictException.class)
                    .hasMessage("path already has an active writer");
            assertThatThrownBy(() -> store.startAppend("//a//b.log"))
                    .isInstanceOf(WriterConflictException.class);
            first.end();
            first.end(); // idempotent
            store.startAppend("/a/b.log").end();
        }

        @Test
        void closingTheStoreEndsEverySession() throws IOException {
            AppendSession a = store.startAppend("/a");
            AppendSession b = store.startAppend("/b");
            store.close();
            assertThat(a.ended()).isTrue();
            assertThat(b.ended()).isTrue();
            assertThat(store.activeSessions()).isZero();
        }

        @Test
        void appendsGoAfterWhatTheFileHeld() throws IOException {
            Files.writeString(root.resolve("x"), "old,");
            AppendSession s = store.startAppend("/x");
            assertThat(s.length()).isEqualTo(4);
            s.append(ByteBuffer.wrap("new".getBytes(UTF_8)));
            assertThat(s.appended()).isEqualTo(3);
            s.end();
            assertThat(root.resolve("x")).hasContent("old,new");
            assertThatThrownBy(() -> s.append(ByteBuffer.wrap(new byte[1])))
                    .isInstanceOf(IOException.class);
        }
    }

    @Nested
    class Followers {
        @Test
        void bytesAreInTheFileBeforeAFollowerIsTold() throws IOException {
            AppendSession s = store.startAppend("/f");
            List<Long> seen = new ArrayList<>();
            Follower sub = s.follow(0, () -> {
                try {
                    seen.add(Files.size(root.resolve("f")) - s.length()); // never negative
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
            s.append(ByteBuffer.wrap("abc".getBytes(UTF_8)));
            s.append(ByteBuffer.wrap("de".getBytes(UTF_8)));
            assertThat(seen).containsExactly(0L, 0L);
            ByteBuffer dst = ByteBuffer.allocate(5);
            assertThat(sub.read(0, dst)).isEqualTo(5);
            assertThat(new String(dst.array(), UTF_8)).isEqualTo("abcde");
            sub.close();
            s.end();
        }

        @Test
        void theEndIsToldOnceAndLateSubscribersLearnItAtOnce() throws IOException {
            AppendSession s = store.startAppend("/f");
            AtomicInteger calls = new AtomicInteger();
            Follower early = s.follow(0, calls::incrementAndGet);
            s.end();
            assertThat(calls).hasValue(1);
            AtomicInteger late = new AtomicInteger();
            Follower lateSub = s.follow(0, late::incrementAndGet); // the early one keeps the file open
            assertThat(lateSub).isNotNull();
            assertThat(late).hasValue(1);
            assertThat(lateSub.ended()).isTrue();
            lateSub.close();
            early.close();
            early.close(); // idempotent
            assertThat(s.follow(0, () -> {})).isNull(); // file closed: read the file itself
        }

        @Test
        void aSubscriptionKeepsTheFileReadableAfterTheEnd() throws IOException {
            AppendSession s = store.startAppend("/f");
            Follower sub = s.follow(0, () -> {});
            s.append(ByteBuffer.wrap("tail".getBytes(UTF_8)));
            s.end();
            ByteBuffer dst = ByteBuffer.allocate(4);
            sub.read(0, dst);
            assertThat(new String(dst.array(), UTF_8)).isEqualTo("tail");
            sub.close();
            assertThatThrownBy(() -> sub.read(0, ByteBuffer.allocate(1))).isInstanceOf(IOException.class);
        }
    }
}
