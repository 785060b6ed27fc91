package org.httpfstream.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store's small values and refusals, exactly: the messages of a refused append (a full disk or
 * another failure, a cause with no message or with line breaks), the size limit, a path into the private
 * folder; a lookup's {@code live}; the metadata's retry state, media type and producer limit.
 */
class StoreValuesTest {
    @TempDir Path dir;

    @Test
    void aRefusedAppendSaysWhyInOneLine() {
        assertThat(new InsufficientStorageException("an append of 3 bytes", new IOException("No space left on device"))
                .getMessage()).isEqualTo("insufficient storage: no space left on device; an append of 3 bytes was"
                        + " refused and nothing of it was kept");
        assertThat(new InsufficientStorageException("an append", new IOException("Disk quota exceeded"))
                .getMessage()).isEqualTo("insufficient storage: no space left on device; an append was refused and"
                        + " nothing of it was kept");
        assertThat(new InsufficientStorageException("an append", new IOException("Input/output\r\nerror"))
                .getMessage()).isEqualTo("insufficient storage: an append was refused and nothing of it was kept"
                        + " (Input/output error)");
        IOException cause = new java.nio.channels.ClosedChannelException();
        InsufficientStorageException e = new InsufficientStorageException("an append", cause);
        assertThat(e.getMessage()).isEqualTo("insufficient storage: an append was refused and nothing of it was kept"
                + " (ClosedChannelException)");
        assertThat(e.getCause()).isSameAs(cause);
    }

    @Test
    void theSizeLimitAndThePrivateFolderAreNamed() {
        StreamTooLargeException big = new StreamTooLargeException(10, 7, 16);
        assertThat(big.limit()).isEqualTo(16);
        assertThat(big.getMessage()).isEqualTo("stream size limit: an append of 7 bytes to a stream of 10 bytes"
                + " would pass the limit of 16 bytes; nothing of it was stored");
        assertThat(OutsideRootException.intoPrivateFolder("\"/x\"").getMessage())
                .isEqualTo("path leads into the server's private folder (.httpfstream): \"/x\"");
        assertThat(StaleWriterException.INSTANCE.getStackTrace()).isEmpty();
    }

    @Test
    void aLookupIsLiveOnlyWhileAnAppenderHoldsTheStream() throws IOException {
        try (StreamStore store = new StreamStore(dir)) {
            AppendSession s = store.startAppend("/l.log");
            assertThat(store.lookup("/l.log").live()).isTrue();
            s.end();
            assertThat(store.lookup("/l.log").live()).isFalse();
        }
    }

    @Test
    void metadataKnowsItsRetryStateMediaTypeAndProducerLimit() {
        StreamMetadata plain = StreamMetadata.defaults("text/plain");
        assertThat(plain.retryState()).isFalse();
        assertThat(plain.withLastSeq("1").retryState()).isTrue();
        assertThat(plain.withProducer("p", new StreamMetadata.Producer(0, 0)).retryState()).isTrue();
        assertThat(StreamMetadata.mediaType(" Text/Plain ; charset=x")).isEqualTo("text/plain");
        assertThat(StreamMetadata.mediaType(";x")).isEmpty();
        assertThat(StreamMetadata.mediaType("Application/JSON")).isEqualTo("application/json");
        StreamMetadata three = plain.withProducer("a", new StreamMetadata.Producer(0, 1), 2)
                .withProducer("b", new StreamMetadata.Producer(0, 2), 2)
                .withProducer("c", new StreamMetadata.Producer(0, 3), 2);
        assertThat(three.producers()).isEqualTo(Map.of("b", new StreamMetadata.Producer(0, 2),
                "c", new StreamMetadata.Producer(0, 3)));
        StreamMetadata two = plain.withProducer("a", new StreamMetadata.Producer(0, 1), 2)
                .withProducer("b", new StreamMetadata.Producer(0, 2), 2);
        assertThat(two.producers().keySet()).containsExactly("a", "b"); // exactly at the limit: none forgotten
        assertThat(two.withProducer("a", new StreamMetadata.Producer(1, 0), 2).producers().keySet())
                .containsExactly("b", "a"); // used again: now the most recent
    }
}
