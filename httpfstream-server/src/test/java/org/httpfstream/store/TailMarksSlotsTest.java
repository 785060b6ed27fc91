package org.httpfstream.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tail marks of several streams at once, each in its own slot: a kill leaves every open stream torn,
 * and the next start cuts each back to its own last whole append (the other tests use one slot only).
 */
class TailMarksSlotsTest {
    @TempDir Path root;

    static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(UTF_8));
    }

    @Test
    void everyOpenStreamIsCutBackToItsOwnLastWholeAppend() throws Exception {
        StreamStore killed = new StreamStore(root, false);
        List<AppendSession> sessions = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            AppendSession s = killed.startAppend("/s" + i + "/stream-" + i + ".log");
            s.append(bytes("whole " + "x".repeat(i) + "\n"));
            sessions.add(s);
        }
        for (int i = 0; i < 4; i++) {
            try (FileChannel c = FileChannel.open(root.resolve("s" + i + "/stream-" + i + ".log"),
                    StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                c.write(bytes("torn " + i));
            }
        }
        killed.crashForTests();

        try (StreamStore restarted = new StreamStore(root, false)) {
            for (int i = 0; i < 4; i++) {
                Path f = root.resolve("s" + i + "/stream-" + i + ".log");
                assertThat(Files.readString(f)).as("stream %d", i).isEqualTo("whole " + "x".repeat(i) + "\n");
                assertThat(restarted.committedLength(f)).isEqualTo(7 + i);
            }
        }
    }
}
