package org.httpfstream.store.nats;

import io.nats.client.Connection;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.httpfstream.store.Storage;
import org.httpfstream.store.StorageContract;
import org.httpfstream.store.StoreLimits;
import org.httpfstream.testing.NatsCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The seam's whole contract on {@link NatsStorage} over a real 3-node JetStream cluster (R3). Every
 * store a test opens gets its own namespace on the one cluster, so tests never see each other's streams.
 */
class NatsStorageContractTest extends StorageContract {
    @RegisterExtension
    static final NatsCluster nats = new NatsCluster();
    private static final AtomicInteger opened = new AtomicInteger();
    private static Connection connection;

    @Override
    protected Storage open(Path dir, StoreLimits limits) throws IOException {
        try {
            synchronized (NatsStorageContractTest.class) {
                if (connection == null) {
                    connection = nats.connect();
                }
            }
        } catch (InterruptedException e) {
            throw new java.io.InterruptedIOException();
        }
        return new NatsStorage(connection, false,
                NatsStorageTest.TEST_CONFIG.withNamespace("t" + opened.incrementAndGet()), limits);
    }

    @Override
    protected boolean zeroCopy() {
        return false;
    }

    @AfterAll
    static void closeConnection() throws InterruptedException {
        if (connection != null) {
            connection.close();
            connection = null;
        }
    }
}
