package org.httpfstream.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without fsync, a change of producers or {@code Stream-Seq} alone is appended to the metadata file as
 * lines that override earlier ones (issue 16: a producer's append no longer rewrites every producer of
 * its stream); any other change, a forgotten producer, or a file grown past its compaction size rewrites
 * it whole. Whatever was flushed comes back from the file, producers in their order.
 */
class MetadataJournalTest {
    @TempDir Path root;

    private Path meta(String name) {
        return root.resolve(MetadataStore.FOLDER).resolve(MetadataStore.LAYOUT).resolve(name + ".meta");
    }

    /** The metadata read back by a new store, as a fresh process would, with its producer ids in order. */
    private StreamMetadata reread(Path file) throws Exception {
        return new MetadataStore(root, false).get(file).orElseThrow();
    }

    private static List<String> order(StreamMetadata m) {
        return new ArrayList<>(m.producers().keySet());
    }

    @Test
    void aProducersChangeIsOneAppendedLineAndReadsBackInOrder() throws Exception {
        Path file = root.resolve("j.txt");
        MetadataStore store = new MetadataStore(root, false);
        StreamMetadata m = StreamMetadata.defaults("text/plain");
        for (int i = 0; i < 10; i++) {
            m = m.withProducer("p" + i, new StreamMetadata.Producer(0, 0));
        }
        store.put(file, m);
        String whole = Files.readString(meta("j.txt"), StandardCharsets.ISO_8859_1);

        m = m.withProducer("p3", new StreamMetadata.Producer(0, 1)).withLastSeq("0007");
        store.putLater(file, m);
        store.flush(file);

        assertThat(Files.readString(meta("j.txt"), StandardCharsets.ISO_8859_1))
                .isEqualTo(whole + "producer.p3=0 1\nlastSeq=0007\n");
        StreamMetadata back = reread(file);
        assertThat(back).isEqualTo(m);
        assertThat(order(back)).isEqualTo(order(m)).endsWith("p3");
    }

    @Test
    void changesFlushedTogetherKeepTheirOrder() throws Exception {
        Path file = root.resolve("o.txt");
        MetadataStore store = new MetadataStore(root, false);
        StreamMetadata m = StreamMetadata.defaults("text/plain")
                .withProducer("a", new StreamMetadata.Producer(0, 0))
                .withProducer("b", new StreamMetadata.Producer(0, 0))
                .withProducer("c", new StreamMetadata.Producer(0, 0));
        store.put(file, m);
        m = m.withProducer("c", new StreamMetadata.Producer(0, 1))
                .withProducer("a", new StreamMetadata.Producer(0, 1))
                .withProducer("new one", new StreamMetadata.Producer(2, 0));
        store.putLater(file, m);
        store.putLater(file, m);
        store.flush(file);
        StreamMetadata back = reread(file);
        assertThat(back).isEqualTo(m);
        assertThat(order(back)).containsExactly("b", "c", "a", "new one");
    }

    @Test
    void theFileIsRewrittenWholeOnceItGrowsPastItsCompactionSize() throws Exception {
        Path file = root.resolve("c.txt");
        MetadataStore store = new MetadataStore(root, false);
        StreamMetadata m = StreamMetadata.defaults("text/plain");
        for (int i = 0; i < 4; i++) {
            m = m.withProducer("p" + i, new StreamMetadata.Producer(0, 0));
        }
        store.put(file, m);
        long limit = MetadataStore.compactAt(m);
        long largest = 0;
        boolean compacted = false;
        for (int seq = 1; seq <= 2000; seq++) {
            m = m.withProducer("p" + seq % 4, new StreamMetadata.Producer(0, seq));
            store.putLater(file, m);
            store.flush(file);
            long size = Files.size(meta("c.txt"));
            compacted |= size < largest;
            largest = Math.max(largest, size);
        }
        assertThat(largest).isLessThanOrEqualTo(limit);
        assertThat(compacted).as("rewritten whole at least once").isTrue();
        StreamMetadata back = reread(file);
        assertThat(back).isEqualTo(m);
        assertThat(order(back)).isEqualTo(order(m));
    }

    @Test
    void aForgottenProducerOrAnotherFieldRewritesTheFile() throws Exception {
        Path file = root.resolve("f.txt");
        MetadataStore store = new MetadataStore(root, false);
        StreamMetadata m = StreamMetadata.defaults("text/plain")
                .withProducer("a", new StreamMetadata.Producer(0, 0))
                .withProducer("b", new StreamMetadata.Producer(0, 0));
        store.put(file, m);
        m = m.withProducer("c", new StreamMetadata.Producer(0, 0), 2); // forgets "a"
        store.putLater(file, m);
        store.flush(file);
        assertThat(Files.readString(meta("f.txt"), StandardCharsets.ISO_8859_1))
                .isEqualTo(new String(MetadataStore.serialize(m), StandardCharsets.ISO_8859_1));
        assertThat(reread(file).producers()).containsOnlyKeys("b", "c");

        m = m.withProducer("b", new StreamMetadata.Producer(0, 1)).withClosed("b 0 1");
        store.putLater(file, m);
        store.flush(file);
        assertThat(Files.readString(meta("f.txt"), StandardCharsets.ISO_8859_1))
                .isEqualTo(new String(MetadataStore.serialize(m), StandardCharsets.ISO_8859_1));
        assertThat(reread(file)).isEqualTo(m);
    }
}
