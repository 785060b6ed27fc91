package org.httpfstream.store;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.httpfstream.store.GatedStoreTest.typed;
import static org.httpfstream.store.MetadataStoreFormatTest.closedBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Without a group commit: the writers' view and the readers' view of metadata, the deferred write of
 * {@link MetadataStore#putLater} and its {@link MetadataStore#flush}, removal, and the move of the first
 * layout's files when a store opens, also where its streams' names collided.
 */
class MetadataStoreViewsTest {
    @TempDir Path root;

    Path meta(MetadataStore store, Path file) {
        return store.metaFile(file);
    }

    /** Asserts that neither view of {@code store} nor the disk holds metadata of {@code file}. */
    void assertForgotten(MetadataStore store, Path file) throws IOException {
        assertThat(meta(store, file)).doesNotExist();
        assertThat(store.get(file)).isEmpty();
        assertThat(store.published(file)).isEmpty();
    }

    @Nested
    class PutLaterAndFlush {
        @Test
        void aLaterPutIsSeenByWritersAtOnceAndByReadersAndTheDiskOnlyAfterTheFlush() throws IOException {
            MetadataStore store = new MetadataStore(root);
            Path file = root.resolve("s.txt");
            store.put(file, typed("text/first"));
            store.putLater(file, typed("text/second"));
            assertThat(store.get(file)).contains(typed("text/second"));
            assertThat(store.published(file)).contains(typed("text/first"));
            assertThat(new MetadataStore(root).get(file)).contains(typed("text/first"));
            store.flush(file);
            assertThat(store.published(file)).contains(typed("text/second"));
            assertThat(new MetadataStore(root).get(file)).contains(typed("text/second"));
            Files.delete(meta(store, file));
            store.flush(file); // nothing left to write: the file stays as it is
            assertThat(meta(store, file)).doesNotExist();
        }

        @Test
        void withFsyncALaterPutIsWrittenAtOnce() throws IOException {
            MetadataStore store = new MetadataStore(root, true);
            Path file = root.resolve("d/f.txt");
            store.putLater(file, typed("text/now"));
            assertThat(store.published(file)).contains(typed("text/now"));
            assertThat(Files.readString(meta(store, file), ISO_8859_1)).contains("contentType=text/now");
        }

        @Test
        void aFlushOfARemovedStreamWritesNothing() throws IOException {
            MetadataStore store = new MetadataStore(root);
            Path file = root.resolve("r.txt");
            store.putLater(file, typed("text/x"));
            store.remove(file);
            store.flush(file);
            assertForgotten(store, file);
        }
    }

    @Nested
    class Views {
        /** A store without fsync on the root, opened before each test. */
        MetadataStore store;

        @BeforeEach
        void open() {
            store = new MetadataStore(root);
        }

        @Test
        void aStreamWithoutMetadataIsRememberedAsHavingNone() throws IOException {
            Path file = root.resolve("plain.log");
            Files.writeString(file, "bytes");
            assertThat(store.get(file)).isEmpty();
            store.put(file, typed("text/later"));
            assertThat(store.get(file)).contains(typed("text/later"));
            assertThat(store.published(root)).as("the root is never a stream").isEmpty();
            assertThat(store.get(root)).isEmpty();
        }

        @Test
        void removingForgetsBothViewsAndTheFile() throws IOException {
            Path file = root.resolve("gone.txt");
            store.put(file, typed("text/x"));
            assertThat(meta(store, file)).exists();
            store.remove(file);
            assertForgotten(store, file);
        }
    }

    @Nested
    class FirstLayout {
        Path old(String name) {
            return root.resolve(MetadataStore.FOLDER).resolve(MetadataStore.OLD_LAYOUT).resolve(name);
        }

        void writeOld(String name, StreamMetadata m) throws IOException {
            Files.createDirectories(old(name).getParent());
            Files.write(old(name), MetadataStore.serialize(m));
        }

        @Test
        void itsFilesAreMovedAndItsFolderRemoved() throws IOException {
            writeOld("a/b.log.meta", typed("text/moved"));
            writeOld("a/b.log.meta.tmp", typed("text/torn"));
            MetadataStore store = new MetadataStore(root, true);
            assertThat(store.get(root.resolve("a/b.log"))).isEqualTo(Optional.of(typed("text/moved")));
            assertThat(root.resolve(MetadataStore.FOLDER).resolve(MetadataStore.OLD_LAYOUT)).doesNotExist();
            assertThat(new MetadataStore(root).get(root.resolve("a/b.log"))).contains(typed("text/moved"));
        }

        @Test
        void whereBothLayoutsHoldAStreamTheCurrentOneWins() throws IOException {
            MetadataStore current = new MetadataStore(root);
            current.put(root.resolve("x.log"), typed("text/current"));
            writeOld("x.log.meta", typed("text/old"));
            MetadataStore store = new MetadataStore(root);
            assertThat(store.get(root.resolve("x.log"))).contains(typed("text/current"));
            assertThat(old("x.log.meta")).doesNotExist();
        }

        @ParameterizedTest
        @ValueSource(booleans = {false, true})
        void aFolderNamedLikeAMetadataFileIsNoStreamsMetadata(boolean fsync) throws IOException {
            writeOld("x.meta/y.meta", closedBy("y")); // the stream /x.meta/y: a folder named like a file
            writeOld("z.meta", closedBy("z"));
            MetadataStore store = new MetadataStore(root, fsync);
            assertThat(store.get(root.resolve("x"))).isEmpty();
            assertThat(store.get(root.resolve("z"))).isEqualTo(Optional.of(closedBy("z")));
            assertThat(store.get(root.resolve("x.meta/y"))).isEqualTo(Optional.of(closedBy("y")));
            assertThat(root.resolve(MetadataStore.FOLDER).resolve(MetadataStore.OLD_LAYOUT)).doesNotExist();
        }
    }
}
