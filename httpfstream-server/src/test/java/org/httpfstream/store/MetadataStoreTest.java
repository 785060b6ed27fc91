package org.httpfstream.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the metadata files hold comes back as it was put, whatever the strings in it. */
class MetadataStoreTest {
    @TempDir Path root;

    /** Producer ids and Stream-Seq values are any strings a client sends. */
    static StreamMetadata awkward() {
        StreamMetadata m = StreamMetadata.defaults("text/plain; charset=utf-8").withLastSeq(" a b=c:d#e!f\\g ");
        String[] ids = {"plain", "with space", "eq=ual", "co:lon", "#hash", "!bang", "back\\slash", "tab\there",
            "new\nline", "cr\rhere", "form\ffeed", "caf\u00e9", "snow\u2603man", "\u0001ctl", " lead", "trail "};
        for (int i = 0; i < ids.length; i++) {
            m = m.withProducer(ids[i], new StreamMetadata.Producer(i, 1000L * i));
        }
        for (int i = 0; i < 60; i++) {
            m = m.withProducer("p" + i, new StreamMetadata.Producer(1, i));
        }
        return m;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void metadataComesBackFromTheFileAsItWasPut(boolean fsync) throws Exception {
        Path file = root.resolve("a/b.txt");
        StreamMetadata m = awkward();
        new MetadataStore(root, fsync).put(file, m);
        assertThat(new MetadataStore(root, fsync).get(file)).isEqualTo(Optional.of(m));
    }

    /**
     * Without fsync a file is rewritten in place: a shorter state is padded with blank lines in the same
     * write, never leaving old lines, then the file is cut back to the shorter state.
     */
    @Test
    void aShorterStateRewrittenInPlaceReadsBackAlone() throws Exception {
        Path file = root.resolve("s.txt");
        MetadataStore store = new MetadataStore(root, false);
        store.put(file, awkward());
        Path meta = root.resolve(MetadataStore.FOLDER).resolve(MetadataStore.LAYOUT).resolve("s.txt.meta");
        long longLength = Files.size(meta);
        StreamMetadata shorter = StreamMetadata.defaults("text/plain").withClosed(null);
        store.put(file, shorter);
        assertThat(Files.size(meta)).isLessThan(longLength).isEqualTo(MetadataStore.serialize(shorter).length);
        assertThat(new MetadataStore(root, false).get(file)).isEqualTo(Optional.of(shorter));
        StreamMetadata longer = awkward().withProducer("one-more", new StreamMetadata.Producer(7, 8));
        store.put(file, longer);
        assertThat(new MetadataStore(root, false).get(file)).isEqualTo(Optional.of(longer));
    }
}
