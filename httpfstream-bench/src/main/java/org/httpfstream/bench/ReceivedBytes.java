package org.httpfstream.bench;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * What a reader has received so far: the byte count and their CRC32C, computed in place on the received
 * buffers (no copy). One per {@link Receiver}.
 *
 * <p>Thread safety: none; updated on the reader's event loop, read once its cohort says it has finished.
 */
final class ReceivedBytes {
    private final CRC32C crc = new CRC32C();
    private long count;

    /** Adds {@code length} bytes of {@code buf} from {@code index}. */
    void add(ByteBuf buf, int index, int length) {
        if (buf.nioBufferCount() == 1) {
            crc.update(buf.internalNioBuffer(index, length));
        } else {
            for (ByteBuffer b : buf.nioBuffers(index, length)) {
                crc.update(b);
            }
        }
        count += length;
    }

    /** Bytes received. */
    long count() {
        return count;
    }

    /** CRC32C of the bytes received. */
    long crc() {
        return crc.getValue();
    }
}
