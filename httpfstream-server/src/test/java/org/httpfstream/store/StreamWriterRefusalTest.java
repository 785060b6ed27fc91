package org.httpfstream.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.httpfstream.store.GatedStoreTest.bytes;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Appends the store refuses whole: past the size limit, or on a full disk. Nothing of them stays, the
 * refusal listeners hear of each, and the next append goes where the last whole one ended.
 */
class StreamWriterRefusalTest {
    @TempDir Path dir;
    StreamStore store;

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void anAppendPastTheSizeLimitIsRefusedWholeAndOneUpToItIsNot() throws IOException {
        store = new StreamStore(dir, false, new StoreLimits(5, 0));
        List<IOException> refused = new CopyOnWriteArrayList<>();
        store.addRefusalListener(refused::add);
        AppendSession s = store.startAppend("/l.log");
        s.append(bytes("abc"));
        assertThatThrownBy(() -> s.append(bytes("def"))).isInstanceOf(StreamTooLargeException.class);
        assertThat(refused).singleElement().isInstanceOf(StreamTooLargeException.class);
        s.append(bytes("de")); // exactly the limit
        assertThat(s.length()).isEqualTo(5);
        s.end();
        assertThat(Files.readString(s.file())).isEqualTo("abcde");
        assertThat(store.limits().maxStreamBytes()).isEqualTo(5);
    }

    @Test
    void aFailedWriteIsCutOffAndTheNextAppendGoesWhereTheLastWholeOneEnded() throws IOException {
        store = new StreamStore(dir);
        List<IOException> refused = new CopyOnWriteArrayList<>();
        store.addRefusalListener(refused::add);
        StoreFaults faults = StoreFaults.install(store);
        AppendSession s = store.startAppend("/full.log");
        s.append(bytes("whole"));
        faults.failWrites(true);
        assertThatThrownBy(() -> s.append(bytes("torn part"))).isInstanceOf(InsufficientStorageException.class);
        assertThat(refused).singleElement().isInstanceOf(InsufficientStorageException.class);
        assertThat(Files.readString(s.file())).isEqualTo("whole");
        assertThat(s.length()).isEqualTo(5);
        faults.failWrites(false);
        s.append(bytes(" next"));
        s.end();
        assertThat(Files.readString(s.file())).isEqualTo("whole next");
    }
}
