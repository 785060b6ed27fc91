package org.httpfstream.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A marks file damaged after a kill: a slot read back whose state, boot id or path length does not
 * match is skipped (its stream is left as it is), and the slots after it are still recovered; a marks
 * file of the wrong size (torn) is not read at all.
 */
class TailMarksCorruptTest {
    @TempDir Path root;

    /** Two streams torn by one kill: "first.log" in slot 0, "second.log" in slot 1. */
    private Path killWithTwoTornStreams() throws Exception {
        StreamStore killed = new StreamStore(root, false);
        killed.startAppend("/first.log").append(TailMarksReuseTest.bytes("1\n"));
        killed.startAppend("/second.log").append(TailMarksReuseTest.bytes("2\n"));
        TailMarksReuseTest.tear(root.resolve("first.log"));
        TailMarksReuseTest.tear(root.resolve("second.log"));
        killed.crashForTests();
        return root.resolve(MetadataStore.FOLDER).resolve(TailMarks.FILE);
    }

    private static void put(Path marks, long at, ByteBuffer value) throws Exception {
        try (FileChannel c = FileChannel.open(marks, StandardOpenOption.WRITE)) {
            while (value.hasRemaining()) {
                c.write(value, at + value.position());
            }
        }
    }

    /** Restarts a store on the root and asserts what "first.log" and "second.log" hold then. */
    private void assertRestartLeaves(String first, String second) throws Exception {
        try (StreamStore restarted = new StreamStore(root, false)) {
            assertThat(Files.readString(root.resolve("first.log"))).isEqualTo(first);
            assertThat(Files.readString(root.resolve("second.log"))).isEqualTo(second);
        }
    }

    /**
     * Tears two streams by a kill, writes {@code value} at {@code at} of the marks file (a field of slot 0),
     * and asserts that the restart skips that slot (the first stream is left torn) and still recovers slot 1.
     */
    private void assertSlot0SkippedAfterWriting(long at, ByteBuffer value) throws Exception {
        put(killWithTwoTornStreams(), at, value);
        assertRestartLeaves("1\ntorn", "2\n");
    }

    @Test
    void bothSlotsAreRecoveredWhenUntouched() throws Exception {
        killWithTwoTornStreams();
        assertRestartLeaves("1\n", "2\n");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 0x4f50454f, -1})
    void aSlotWhoseStateIsNotOpenIsSkipped(int state) throws Exception {
        assertSlot0SkippedAfterWriting(0, ByteBuffer.allocate(4).putInt(0, state));
    }

    @Test
    void aSlotOfAnotherBootIsSkipped() throws Exception {
        assertThat(TailMarks.BOOT_ID).as("this Linux system's boot id (marks are trusted within one boot)")
                .isNotZero();
        assertSlot0SkippedAfterWriting(8, ByteBuffer.allocate(8).putLong(0, TailMarks.BOOT_ID + 1));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, -480, TailMarks.SLOT - 32 + 1, TailMarks.SLOT, Integer.MAX_VALUE})
    void aSlotWithAPathLengthOutOfItsRoomIsSkipped(int n) throws Exception {
        assertSlot0SkippedAfterWriting(4, ByteBuffer.allocate(4).putInt(0, n));
    }

    @Test
    void aSlotWithAShorterPathLengthCutsThatPathsFileOnly() throws Exception {
        Path marks = killWithTwoTornStreams();
        // "first.log" read with 5 bytes is "first": no such file, nothing is cut there
        Files.writeString(root.resolve("first"), "1\ntorn");
        put(marks, 4, ByteBuffer.allocate(4).putInt(0, 5));
        assertRestartLeaves("1\ntorn", "2\n");
        assertThat(Files.readString(root.resolve("first"))).isEqualTo("1\ntorn");
    }

    @Test
    void aTornMarksFileIsNotRead() throws Exception {
        Path marks = killWithTwoTornStreams();
        try (FileChannel c = FileChannel.open(marks, StandardOpenOption.WRITE)) {
            c.truncate((long) TailMarks.SLOT * TailMarks.SLOTS - 1);
        }
        assertRestartLeaves("1\ntorn", "2\ntorn");
        // the marks work again after that start
        assertThat(Files.size(marks)).isEqualTo((long) TailMarks.SLOT * TailMarks.SLOTS);
    }

    @Test
    void aMarksFileLongerThanItsSlotsIsNotReadEither() throws Exception {
        Path marks = killWithTwoTornStreams();
        put(marks, (long) TailMarks.SLOT * TailMarks.SLOTS, ByteBuffer.wrap("x".getBytes(UTF_8)));
        assertRestartLeaves("1\ntorn", "2\ntorn");
    }

    @Test
    void aStoreClosedCleanlyLetsTheNextStoreOnTheRootKeepMarks() throws Exception {
        try (StreamStore first = new StreamStore(root, false)) { // its first writer opens the marks
            AppendSession s = first.startAppend("/before.log");
            s.append(TailMarksReuseTest.bytes("b\n"));
            s.end();
        }
        StreamStore killed = new StreamStore(root, false);
        killed.startAppend("/after.log").append(TailMarksReuseTest.bytes("a\n"));
        TailMarksReuseTest.tear(root.resolve("after.log"));
        killed.crashForTests();
        try (StreamStore restarted = new StreamStore(root, false)) {
            assertThat(Files.readString(root.resolve("after.log"))).isEqualTo("a\n");
        }
    }
}
