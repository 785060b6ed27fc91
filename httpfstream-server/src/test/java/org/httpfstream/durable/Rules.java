package org.httpfstream.durable;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.httpfstream.durable.DurableStreams.AppendRequest;
import org.httpfstream.durable.DurableStreams.Appended;
import org.httpfstream.durable.DurableStreams.CreateRequest;
import org.httpfstream.durable.DurableStreams.Created;
import org.httpfstream.durable.DurableStreams.ProducerRequest;
import org.httpfstream.store.StoreLimits;
import org.httpfstream.store.memory.MemoryStorage;
import org.httpfstream.testing.ManualClock;
import org.httpfstream.testing.StoreExtension;

/**
 * Test support for the Durable Streams rules' own tests: {@link DurableStreams} on either store (the
 * files of a {@link StoreExtension}, or a {@link MemoryStorage}) with a {@link ManualClock}, and short
 * forms of the requests the tests make and of the assertion on a refusal.
 *
 * <p>Thread safety: not thread safe; used from a test's thread.
 */
final class Rules {
    /** The storage under the rules. */
    enum Store { FILE, MEMORY }

    final DurableStreams streams;
    final ManualClock clock;

    private Rules(DurableStreams streams, ManualClock clock) {
        this.streams = streams;
        this.clock = clock;
    }

    /** The rules over {@code kind} of storage, without a producer limit, on a manual clock. */
    static Rules on(Store kind, StoreExtension stores) {
        return on(kind, stores, StoreLimits.NONE);
    }

    /** The rules over {@code kind} of storage with {@code limits} (memory only), on a manual clock. */
    static Rules on(Store kind, StoreExtension stores, StoreLimits limits) {
        ManualClock clock = new ManualClock();
        DurableStreams streams = kind == Store.FILE ? new DurableStreams(stores.store(), clock)
                : new DurableStreams(new MemoryStorage(limits), stores.store(), clock);
        return new Rules(streams, clock);
    }

    /** A plain create of {@code type} with {@code body}. */
    static CreateRequest create(String type, String body) {
        return new CreateRequest(type, null, null, null, false, body.getBytes(UTF_8), null);
    }

    /** Creates {@code path} as {@code type} holding {@code body}. */
    Created create(String path, String type, String body) throws IOException {
        return streams.create(path, create(type, body)).join();
    }

    /** An append of {@code body} as {@code type}. */
    static AppendRequest append(String type, String body) {
        return new AppendRequest(type, null, null, false, body.getBytes(UTF_8));
    }

    /** An append of {@code body} as text/plain by a producer. */
    static AppendRequest produce(String id, long epoch, long seq, String body) {
        return new AppendRequest("text/plain", null, new ProducerRequest(id, epoch, seq), false, body.getBytes(UTF_8));
    }

    /** Asserts that {@code e} refused with {@code reason} and exactly {@code message}. */
    static void assertRefused(DurableStreamException e, DurableStreamException.Reason reason, String message) {
        assertThat(e.reason()).isEqualTo(reason);
        assertThat(e).hasMessage(message);
    }

    /** Appends and waits. */
    Appended append(String path, AppendRequest request) throws IOException {
        return streams.append(path, request).join();
    }

    /** Every committed byte of the stream at {@code path}, as text. */
    String text(String path) throws IOException {
        return read(streams.openRead(streams.head(path), 0, 0));
    }

    /** Every byte of {@code e}, as text; closes it. */
    static String read(DurableStreams.Extent e) throws IOException {
        try {
            ByteBuffer b = ByteBuffer.allocate((int) e.length());
            while (b.hasRemaining()) {
                if (e.read(e.from() + b.position(), b) < 0) {
                    throw new IOException("short read");
                }
            }
            return new String(b.array(), UTF_8);
        } finally {
            e.close();
        }
    }
}
