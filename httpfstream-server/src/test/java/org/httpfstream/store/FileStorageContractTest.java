package org.httpfstream.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The seam's contract on the plain files of {@link FileStorage}, and what only it has: sessions. */
class FileStorageContractTest extends StorageContract {
    @Override
    protected Storage open(Path dir, StoreLimits limits) throws IOException {
        return new FileStorage(new StreamStore(dir, false, limits));
    }

    @Override
    protected boolean zeroCopy() {
        return true;
    }

    @Test
    void anAppendSessionHoldsTheLeaseAndPassesTheGuardFirst() throws IOException {
        AtomicReference<String> guarded = new AtomicReference<>();
        storage.leaseGuard(s -> guarded.set(s.name()));
        StreamStore files = ((FileStorage) storage).files();
        AppendSession session = files.startAppend("/ws.txt");
        try {
            StoredStream s = storage.stream("/ws.txt");
            assertThat(guarded.get()).isEqualTo("/ws.txt");
            assertThat(s.sessionActive()).isTrue();
            assertThatThrownBy(() -> s.withLease(false, lease -> null)).isInstanceOf(WriterConflictException.class);
            assertThatThrownBy(() -> s.delete(() -> { })).isInstanceOf(WriterConflictException.class);
        } finally {
            session.end();
        }
        assertThat(storage.stream("/ws.txt").sessionActive()).isFalse();
    }

    @Test
    void aGuardThatThrowsRefusesTheSession() throws IOException {
        storage.leaseGuard(s -> {
            throw new StreamClosedException();
        });
        StreamStore files = ((FileStorage) storage).files();
        assertThatThrownBy(() -> files.startAppend("/closed.txt")).isInstanceOf(StreamClosedException.class);
    }
}
