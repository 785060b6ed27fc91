package org.httpfstream.store.memory;

import java.nio.file.Path;
import org.httpfstream.store.Storage;
import org.httpfstream.store.StorageContract;
import org.httpfstream.store.StoreLimits;

/** The seam's contract on {@link MemoryStorage}. */
class MemoryStorageContractTest extends StorageContract {
    @Override
    protected Storage open(Path dir, StoreLimits limits) {
        return new MemoryStorage(limits);
    }

    @Override
    protected boolean zeroCopy() {
        return false;
    }
}
