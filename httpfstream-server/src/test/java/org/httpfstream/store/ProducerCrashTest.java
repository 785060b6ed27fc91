package org.httpfstream.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import org.httpfstream.durable.DurableStreams;
import org.httpfstream.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fix (a) of issue 13: with fsync, an append and the producer state it changes become durable
 * together. A crash after an append's bytes reached the disk but before its producer state did must
 * not admit the client's retry of it a second time.
 */
class ProducerCrashTest {
    @TempDir Path root;

    static DurableStreams.AppendRequest producer(long seq, String body) {
        return new DurableStreams.AppendRequest("text/plain", null, new DurableStreams.ProducerRequest("w", 1, seq),
                false, body.getBytes(UTF_8));
    }

    static DurableStreams.AppendRequest plain(String body) {
        return new DurableStreams.AppendRequest("text/plain", null, null, false, body.getBytes(UTF_8));
    }

    static DurableStreams open(StreamStore store) throws IOException {
        DurableStreams streams = new DurableStreams(store, Clock.systemUTC());
        return streams;
    }

    @Test
    void aRetriedBatchWhoseStateDidNotBecomeDurableIsAdmittedOnce() throws Exception {
        StreamStore killed = new StreamStore(root, true);
        DurableStreams streams = open(killed);
        streams.create("/p.txt", new DurableStreams.CreateRequest("text/plain", null, null, null, false,
                new byte[0], null)).join();
        assertThat(streams.append("/p.txt", producer(0, "a")).join().duplicate()).isFalse();
        Path file = root.resolve("p.txt");
        killed.syncHook(new StreamStore.SyncHook() {
            @Override
            public void beforeSync() {
            }

            @Override
            public void beforeMetadataWrite(Path stream) throws IOException {
                throw new IOException("the crash comes first"); // the bytes are synced, the state never written
            }
        });
        CompletableFuture<DurableStreams.Appended> lost = streams.append("/p.txt", producer(1, "b"));
        Await.until("the bytes synced", () -> killed.committedLength(file) == 2);
        assertThat(lost.isDone() && !lost.isCompletedExceptionally()).as("answered").isFalse(); // the state failed
        killed.crashForTests();

        try (StreamStore restarted = new StreamStore(root, true)) {
            DurableStreams again = open(restarted);
            DurableStreams.Appended retry = again.append("/p.txt", producer(1, "b")).join();
            assertThat(retry.duplicate()).isFalse();
            assertThat(again.append("/p.txt", producer(1, "b")).join().duplicate()).isTrue();
            assertThat(Files.readString(file)).isEqualTo("ab");
        }
    }

    @Test
    void answeredAppendsAfterAProducersAreKeptAcrossACrash() throws Exception {
        StreamStore killed = new StreamStore(root, true);
        DurableStreams streams = open(killed);
        streams.create("/p.txt", new DurableStreams.CreateRequest("text/plain", null, null, null, false,
                "x".getBytes(UTF_8), null)).join();
        streams.append("/p.txt", producer(0, "a")).join();
        streams.append("/p.txt", plain("c")).join();
        killed.crashForTests();

        try (StreamStore restarted = new StreamStore(root, true)) {
            DurableStreams again = open(restarted);
            assertThat(again.head("/p.txt").tail()).isEqualTo(3);
            assertThat(again.append("/p.txt", producer(0, "a")).join().duplicate()).isTrue();
            assertThat(Files.readString(root.resolve("p.txt"))).isEqualTo("xac");
        }
    }
}
