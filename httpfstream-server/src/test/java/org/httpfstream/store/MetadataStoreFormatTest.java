package org.httpfstream.store;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metadata file's exact bytes (each character the properties format gives a meaning escaped, the
 * rest copied), values that read back only if escaped, the padding of a state rewritten shorter in
 * place, and the caches of a store that did not write the files itself.
 */
class MetadataStoreFormatTest {
    @TempDir Path root;

    static StreamMetadata closedBy(String who) {
        return StreamMetadata.defaults("text/plain").withClosed(who);
    }

    /** The line {@code closedBy=...} of {@code m}'s file. */
    static String closedByLine(StreamMetadata m) {
        String text = new String(MetadataStore.serialize(m), ISO_8859_1);
        return text.lines().filter(l -> l.startsWith("closedBy=")).findFirst().orElseThrow();
    }

    @Nested
    class Escaping {
        @Test
        void eachSpecialCharacterIsEscapedAndTheOthersCopied() {
            assertThat(closedByLine(closedBy("plain~text"))).isEqualTo("closedBy=plain~text");
            assertThat(closedByLine(closedBy("a b"))).isEqualTo("closedBy=a b");
            assertThat(closedByLine(closedBy(" a b"))).isEqualTo("closedBy=\\ a b");
            assertThat(closedByLine(closedBy("~\\"))).isEqualTo("closedBy=~\\\\");
            assertThat(closedByLine(closedBy("=:#!"))).isEqualTo("closedBy=\\=\\:\\#\\!");
            for (String special : new String[] {"=", ":", "#", "!", "\\"}) { // alone: no other reason to escape
                assertThat(closedByLine(closedBy(special))).isEqualTo("closedBy=\\" + special);
            }
            assertThat(closedByLine(closedBy("\t\n\r\f"))).isEqualTo("closedBy=\\t\\n\\r\\f");
            assertThat(closedByLine(closedBy("\u0001\u007f\u00e9\u20ac")))
                    .isEqualTo("closedBy=\\u0001\\u007f\\u00e9\\u20ac");
            assertThat(closedByLine(closedBy("~\u0001"))).isEqualTo("closedBy=~\\u0001");
        }

        @Test
        void aProducerIdIsAKeyEveryOfWhoseSpacesIsEscaped() {
            StreamMetadata m = StreamMetadata.defaults("text/plain")
                    .withProducer("a b", new StreamMetadata.Producer(1, 2));
            String text = new String(MetadataStore.serialize(m), ISO_8859_1);
            assertThat(text).contains("\nproducer.a\\ b=1 2\n");
        }

        @ParameterizedTest
        @ValueSource(strings = {"\\\\", "=", ":", "#", "!", "\u20ac", "\t", "\n", " ", " x", "\u0001"})
        void aValueMadeOnlyOfOneSpecialCharacterReadsBackEqual(String value) throws IOException {
            MetadataStore store = new MetadataStore(root);
            Path file = root.resolve("v.log");
            Map<String, StreamMetadata.Producer> producers = new LinkedHashMap<>();
            producers.put(value, new StreamMetadata.Producer(3, 4));
            StreamMetadata m = new StreamMetadata(value, null, null, null, true, value, producers, value, null, 0,
                    false);
            store.put(file, m);
            assertThat(new MetadataStore(root).get(file)).contains(m);
        }

        @Test
        void aRecordedLengthOfZeroIsKept() throws IOException {
            MetadataStore store = new MetadataStore(root);
            Path file = root.resolve("z.log");
            StreamMetadata m = StreamMetadata.defaults("text/plain").withLength(0);
            store.put(file, m);
            assertThat(new String(MetadataStore.serialize(m), ISO_8859_1)).contains("\nlength=0\n");
            assertThat(new MetadataStore(root).get(file).orElseThrow().length()).isZero();
            assertThat(new String(MetadataStore.serialize(m.withLength(-1)), ISO_8859_1)).doesNotContain("length=");
        }
    }

    @Test
    void everyFieldReadsBackEqual() throws IOException {
        MetadataStore store = new MetadataStore(root);
        Path file = root.resolve("all.log");
        java.time.Instant at = java.time.Instant.parse("2026-02-03T04:05:06Z");
        Map<String, StreamMetadata.Producer> producers = new LinkedHashMap<>();
        producers.put("p2", new StreamMetadata.Producer(7, 8));
        producers.put("p1", new StreamMetadata.Producer(1, 2));
        StreamMetadata m = new StreamMetadata("application/json", 60L, "Tue, 03 Feb 2026 04:05:06 GMT", at, true,
                "seq-9", producers, "p1", new StreamMetadata.Fork("/src", 5, 2, 40), 3, true).withLength(41);
        store.put(file, m);
        StreamMetadata back = new MetadataStore(root).get(file).orElseThrow();
        assertThat(back).isEqualTo(m);
        assertThat(back.producers().keySet()).containsExactly("p2", "p1"); // least recent first
        assertThat(new String(MetadataStore.serialize(m), ISO_8859_1)).contains(
                "\nexpiresAt=Tue, 03 Feb 2026 04\\:05\\:06 GMT\nexpiresAtInstant=2026-02-03T04\\:05\\:06Z\n");
    }

    @Test
    void aShorterStateRewrittenInPlaceIsCutToItsContent() throws IOException {
        MetadataStore store = new MetadataStore(root);
        Path file = root.resolve("p.log");
        StreamMetadata longer = StreamMetadata.defaults("text/plain").withLastSeq("0123456789");
        StreamMetadata shorter = StreamMetadata.defaults("text/plain");
        store.put(file, longer);
        int before = MetadataStore.serialize(longer).length;
        store.put(file, shorter);
        byte[] content = MetadataStore.serialize(shorter);
        byte[] onDisk = Files.readAllBytes(store.metaFile(file));
        assertThat(content.length).isLessThan(before);
        // Written padded with line ends to the old length (one write), then cut back to the content.
        assertThat(new String(onDisk, ISO_8859_1)).isEqualTo(new String(content, ISO_8859_1));
        assertThat(new MetadataStore(root).get(file)).contains(shorter);
    }

    @Nested
    class Caches {
        @Test
        void readersSeeAStoredStateOnTheirFirstLookToo() throws IOException {
            Path file = root.resolve("r.log");
            new MetadataStore(root).put(file, closedBy("w"));
            MetadataStore fresh = new MetadataStore(root);
            assertThat(fresh.published(file)).contains(closedBy("w"));
            assertThat(fresh.get(file)).contains(closedBy("w"));
        }

        @Test
        void aPathOfNoStreamIsNotRememberedAsHavingNoMetadata() throws IOException {
            Path file = root.resolve("later.log");
            MetadataStore reader = new MetadataStore(root);
            assertThat(reader.get(file)).isEmpty();
            assertThat(reader.published(file)).isEmpty();
            new MetadataStore(root).put(file, closedBy("other")); // another store writes it meanwhile
            assertThat(reader.get(file)).contains(closedBy("other"));
            assertThat(reader.published(file)).contains(closedBy("other"));
        }

        @Test
        void aStreamWithoutMetadataIsRememberedAsHavingNone() throws IOException {
            Path file = root.resolve("plain.log");
            Files.writeString(file, "x");
            MetadataStore reader = new MetadataStore(root);
            assertThat(reader.published(file)).isEmpty();
            new MetadataStore(root).put(file, closedBy("other"));
            assertThat(reader.published(file)).isEmpty();
            assertThat(reader.get(file)).isEmpty();
        }
    }
}
