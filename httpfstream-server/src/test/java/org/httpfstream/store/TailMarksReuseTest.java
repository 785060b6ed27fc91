package org.httpfstream.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tail marks across slot reuse and file replacement: a slot freed by a closed writer is taken again by
 * the next one (and still cuts after a kill); a mark is trusted only for the very file it was made for
 * (a file replaced under the same name is never cut); a path of the longest length a slot holds is
 * marked.
 */
class TailMarksReuseTest {
    @TempDir Path root;

    static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(UTF_8));
    }

    static void tear(Path file) throws Exception {
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            c.write(bytes("torn"));
        }
    }

    @Test
    void aFreedSlotIsTakenAgainAndAReplacedFileIsNeverCut() throws Exception {
        StreamStore killed = new StreamStore(root, false);
        AppendSession first = killed.startAppend("/first.log");
        first.append(bytes("1\n"));
        for (int i = 0; i < 3; i++) { // each takes the second slot, is closed and frees it
            AppendSession s = killed.startAppend("/gone" + i + ".log");
            s.append(bytes("g\n"));
            s.end();
            killed.discard(s.file());
        }
        AppendSession reused = killed.startAppend("/reused.log");
        reused.append(bytes("r\n"));
        AppendSession replaced = killed.startAppend("/replaced.log");
        replaced.append(bytes("old\n"));
        tear(root.resolve("first.log"));
        tear(root.resolve("reused.log"));
        Files.delete(root.resolve("replaced.log"));
        Files.writeString(root.resolve("replaced.log"), "a new file, longer than the mark\n");
        killed.crashForTests();

        try (StreamStore restarted = new StreamStore(root, false)) {
            assertThat(Files.readString(root.resolve("first.log"))).isEqualTo("1\n");
            assertThat(Files.readString(root.resolve("reused.log"))).isEqualTo("r\n");
            assertThat(Files.readString(root.resolve("replaced.log"))).isEqualTo("a new file, longer than the mark\n");
        }
    }

    @Test
    void aPathOfTheLongestLengthASlotHoldsIsMarked() throws Exception {
        String name = "a".repeat(200) + "/" + "b".repeat(200) + "/" + "c".repeat(78); // 480 bytes: a slot's room
        assertThat(name.length()).isEqualTo(TailMarks.SLOT - 32);
        StreamStore killed = new StreamStore(root, false);
        AppendSession s = killed.startAppend("/" + name);
        s.append(bytes("whole\n"));
        tear(root.resolve(name));
        killed.crashForTests();
        try (StreamStore restarted = new StreamStore(root, false)) {
            assertThat(Files.readString(root.resolve(name))).isEqualTo("whole\n");
        }
    }
}
