package org.httpfstream.store;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A refused path is quoted in its error printable and short: controls escaped, at most 200 characters. */
class StreamPathMessagesTest {
    @TempDir Path root;
    StreamStore store;

    @BeforeEach
    void open() throws IOException {
        store = new StreamStore(root);
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void controlsAreEscapedAndOtherCharactersKept() {
        assertThatThrownBy(() -> store.resolve("a\u001f \u007f~\u00e9"))
                .isInstanceOf(InvalidStreamPathException.class)
                .hasMessage("path must start with '/': \"a\\x1f \\x7f~\u00e9\"");
    }

    @Test
    void aPathOfTwoHundredCharactersIsQuotedWholeAndALongerOneCut() {
        String exact = "b".repeat(200);
        assertThatThrownBy(() -> store.resolve(exact))
                .hasMessage("path must start with '/': \"" + exact + "\"");
        assertThatThrownBy(() -> store.resolve(exact + "c"))
                .hasMessage("path must start with '/': \"" + exact + "…\"");
    }

    @Test
    void theServersOwnFolderIsRefusedOnlyAtTheRoot() throws IOException {
        assertThatThrownBy(() -> store.resolve("/" + MetadataStore.FOLDER + "/keys"))
                .isInstanceOf(InvalidStreamPathException.class)
                .hasMessage("path \"/.httpfstream/keys\" is reserved for the server");
        org.assertj.core.api.Assertions.assertThat(store.resolve("/a/" + MetadataStore.FOLDER))
                .isEqualTo(store.root().resolve("a").resolve(MetadataStore.FOLDER));
    }
}
