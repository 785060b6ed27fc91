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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the store leaves on disk and where it reads lengths from: the tail marks made by the first
 * writer only ({@link LazyTailMarks}), the lengths of a stream with and without an open writer ({@link
 * WriterCache}), a delete of a stream never written, and the folders a new stream's path creates
 * ({@link StorePaths#createParents}).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StoreFilesTest extends GatedStoreTest {

    static ByteBuffer[] buffers(String s) {
        return new ByteBuffer[] {ByteBuffer.wrap(s.getBytes(UTF_8))};
    }

    static void write(StreamWriter w, String s) throws IOException {
        w.exclusive(writer -> {
            writer.write(buffers(s));
            return null;
        });
    }

    @Test
    void aStoreOnlyReadFromCreatesNoTailMarksAndTheFirstWriterMakesThem() throws Exception {
        Files.writeString(root().resolve("old.txt"), "kept");
        Path marks = root().resolve(MetadataStore.FOLDER).resolve(TailMarks.FILE);
        StreamStore store = open(false);
        StreamInfo info = store.lookup("/old.txt");
        assertThat(store.committedLength(info.file())).isEqualTo(4);
        try (Follower f = store.follow(info.file(), () -> { }, () -> true)) {
            assertThat(f.length()).isEqualTo(4);
        }
        assertThat(marks).doesNotExist();
        assertThat(store.tailMarks()).isNotNull();
        assertThat(marks).isRegularFile();
        store.close();
        StreamStore again = open(false); // opened at once: the root has them
        write(again.writer("/old.txt", false), "!");
        assertThat(Files.readString(root().resolve("old.txt"))).isEqualTo("kept!");
    }

    @Test
    void lengthsComeFromTheOpenWriterElseFromTheFile() throws Exception {
        StreamStore store = open(true);
        SyncGate gate = this.gate;
        StreamWriter w = store.writer("/l.log", true);
        Path file = w.file();
        write(w, "abc");
        store.durable(file, -1).get(20, TimeUnit.SECONDS);
        gate.holdRounds();
        write(w, "de");
        assertThat(store.committedLength(file)).isEqualTo(3);
        assertThat(store.writtenLength(file)).isEqualTo(5);
        try (var ch = java.nio.channels.FileChannel.open(file)) {
            assertThat(store.committedLength(file, ch)).isEqualTo(3);
        }
        gate.releaseRounds();
        store.durable(file, -1).get(20, TimeUnit.SECONDS);
        store.discard(file);
        assertThat(store.openWriterOf(file)).isNull();
        Files.writeString(file, "xyz", java.nio.file.StandardOpenOption.APPEND); // another program
        assertThat(store.committedLength(file)).isEqualTo(8);
        assertThat(store.writtenLength(file)).isEqualTo(8);
        try (var ch = java.nio.channels.FileChannel.open(file)) {
            assertThat(store.committedLength(file, ch)).isEqualTo(8);
        }
        Path missing = store.root().resolve("missing.log");
        assertThatThrownBy(() -> store.committedLength(missing)).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> store.writtenLength(missing)).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void deletingAStreamNeverWrittenRunsTheActionWithoutAWriter() throws Exception {
        StreamStore store = open(false);
        Path file = store.root().resolve("never.log");
        List<String> ran = new ArrayList<>();
        store.delete(file, () -> ran.add("deleted"));
        assertThat(ran).containsExactly("deleted");
        assertThat(store.openWriters()).isZero();
        StreamWriter w = store.writer("/x.log", true);
        store.delete(w.file(), () -> {
            ran.add("x");
            Files.delete(w.file());
        });
        assertThat(ran).containsExactly("deleted", "x");
        assertThat(w.isOpen()).isFalse();
        assertThat(store.openWriters()).isZero();
        assertThat(store.cachedWriter("/x.log")).isNull();
    }

    @Test
    void aNewStreamsPathCreatesEachMissingFolderAndTellsTheGroupCommitOfEveryNewEntry() throws Exception {
        StreamStore store = open(true);
        SyncGate gate = this.gate;
        store.barrier().get(20, TimeUnit.SECONDS);
        long forces = store.syncCalls();
        gate.holdBatches();
        AppendSession s = store.startAppend("/a/b/c/d.log");
        assertThat(root().resolve("a/b/c/d.log")).isRegularFile();
        var barrier = store.barrier();
        assertThat(barrier).isNotDone(); // the new folders' entries are pending
        gate.releaseBatches();
        barrier.get(20, TimeUnit.SECONDS);
        // the new entries of the root (a), a (b), a/b (c) and a/b/c (the file): one force each
        assertThat(store.syncCalls() - forces).isEqualTo(4);
        s.end().get(20, TimeUnit.SECONDS);
        Files.writeString(root().resolve("file"), "x");
        assertThatThrownBy(() -> store.startAppend("/file/below.log")).isInstanceOf(NotAStreamException.class);
    }
}
