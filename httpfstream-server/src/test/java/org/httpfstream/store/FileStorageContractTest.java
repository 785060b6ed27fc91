package org.httpfstream.store;

import java.io.IOException;
import java.nio.file.Path;

/** The seam's contract on the plain files of {@link FileStorage}. */
class FileStorageContractTest extends StorageContract {
    @Override
    protected Storage open(Path dir, StoreLimits limits) throws IOException {
        return new FileStorage(new StreamStore(dir, false, limits));
    }

    @Override
    protected boolean zeroCopy() {
        return true;
    }
}
