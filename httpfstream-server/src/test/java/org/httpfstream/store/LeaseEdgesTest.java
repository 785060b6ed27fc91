package org.httpfstream.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A lease's cut and reference at the edges of their ranges: 0 and the written length are allowed. */
class LeaseEdgesTest extends GatedStoreTest {

    @Test
    void aCutToTheWrittenLengthOrToZeroIsAllowedAndOutsideThemRefused() throws IOException {
        FileStorage storage = new FileStorage(open(false));
        StoredStream s = storage.stream("/c.log");
        s.withLease(true, lease -> lease.append(ByteBuffer.wrap("abcdef".getBytes(UTF_8)))).join();
        s.withLease(false, lease -> {
            lease.cut(6);
            assertThat(lease.written()).isEqualTo(6);
            assertThatThrownBy(() -> lease.cut(7)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> lease.cut(-1)).isInstanceOf(IllegalArgumentException.class);
            lease.cut(0);
            assertThat(lease.written()).isZero();
            return null;
        });
        assertThat(s.committedLength()).isZero();
        assertThat(Files.size(root().resolve("c.log"))).isZero();
    }

    @Test
    void aReferenceOfZeroBytesLeavesTheStreamEmpty() throws IOException {
        FileStorage storage = new FileStorage(open(false));
        StoredStream source = storage.stream("/src");
        source.withLease(true, lease -> lease.append(ByteBuffer.wrap("xyz".getBytes(UTF_8)))).join();
        StoredStream fork = storage.stream("/fork");
        long end = fork.withLease(true, lease -> {
            lease.reference(source, 0);
            assertThat(lease.written()).isZero();
            return lease.append(ByteBuffer.wrap("own".getBytes(UTF_8)));
        }).join();
        assertThat(end).isEqualTo(3);
        assertThat(Files.readString(root().resolve("fork"))).isEqualTo("own");
    }
}
