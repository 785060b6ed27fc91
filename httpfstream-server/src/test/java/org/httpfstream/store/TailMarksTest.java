package org.httpfstream.store;

import org.httpfstream.durable.DurableStreams;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tail marks: a process killed in the middle of an append (simulated: part of the next append is
 * put into the file behind the store's back, then the store stops as a killed process does) leaves
 * nothing of it once the store is opened again; a store that stopped cleanly cuts nothing.
 */
class TailMarksTest {
    @TempDir Path root;

    static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(UTF_8));
    }

    static void tear(Path file, String part) throws Exception {
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            c.write(bytes(part));
        }
    }

    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(booleans = {false, true})
    void aHalfWrittenWebSocketAppendIsCutWhenTheStoreOpensAgain(boolean fsync) throws Exception {
        StreamStore killed = new StreamStore(root, fsync);
        AppendSession session = killed.startAppend("/logs/x.log");
        session.append(bytes("whole\n"));
        session.append(bytes("second whole\n"));
        tear(root.resolve("logs/x.log"), "torn by the ki");
        killed.crashForTests();

        try (StreamStore restarted = new StreamStore(root, fsync)) {
            assertThat(Files.readString(root.resolve("logs/x.log"))).isEqualTo("whole\nsecond whole\n");
            assertThat(restarted.committedLength(root.resolve("logs/x.log"))).isEqualTo(19);
        }
    }

    @Test
    void aHalfWrittenPostIsCutWhenTheStoreOpensAgain() throws Exception {
        StreamStore killed = new StreamStore(root, false);
        DurableStreams streams = new DurableStreams(killed, Clock.systemUTC());
        streams.create("/j.json", new DurableStreams.CreateRequest("application/json", null, null, null, false,
                "[1]".getBytes(UTF_8), null)).join();
        streams.append("/j.json", new DurableStreams.AppendRequest("application/json", null, null, false,
                "[2,3]".getBytes(UTF_8))).join();
        tear(root.resolve("j.json"), "{\"half\":");
        killed.crashForTests();

        try (StreamStore restarted = new StreamStore(root, false)) {
            DurableStreams again = new DurableStreams(restarted, Clock.systemUTC());
            assertThat(again.head("/j.json").tail()).isEqualTo(6);
            assertThat(Files.readString(root.resolve("j.json"))).isEqualTo("1\n2\n3\n");
            again.append("/j.json", new DurableStreams.AppendRequest("application/json", null, null, false,
                    "{\"after\":1}".getBytes(UTF_8))).join();
            assertThat(Files.readString(root.resolve("j.json"))).isEqualTo("1\n2\n3\n{\"after\":1}\n");
        }
    }

    @Test
    void aStoreThatStoppedCleanlyCutsNothing() throws Exception {
        try (StreamStore store = new StreamStore(root, false)) {
            AppendSession session = store.startAppend("/x.log");
            session.append(bytes("whole\n"));
            session.end().join();
        }
        tear(root.resolve("x.log"), "added by hand while the server was stopped\n");
        try (StreamStore store = new StreamStore(root, false)) {
            assertThat(Files.readString(root.resolve("x.log")))
                    .isEqualTo("whole\nadded by hand while the server was stopped\n");
        }
    }

    @Test
    void aSecondStoreOnTheSameRootKeepsNoMarksAndCutsNothing() throws Exception {
        try (StreamStore first = new StreamStore(root, false)) {
            AppendSession session = first.startAppend("/x.log");
            session.append(bytes("open\n"));
            tear(root.resolve("x.log"), "more\n");
            try (StreamStore second = new StreamStore(root, false)) {
                assertThat(second.tailMarks()).isNull();
                assertThat(Files.readString(root.resolve("x.log"))).isEqualTo("open\nmore\n");
            }
            session.end().join();
        }
    }
}
