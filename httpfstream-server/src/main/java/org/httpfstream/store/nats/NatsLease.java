package org.httpfstream.store.nats;

import io.nats.client.JetStreamApiException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.httpfstream.store.InsufficientStorageException;
import org.httpfstream.store.Lease;
import org.httpfstream.store.StoredStream;
import org.httpfstream.store.StreamMetadata;
import org.httpfstream.store.StreamTooLargeException;

/**
 * The one-operation lease of a {@link NatsStream}, held by {@link NatsStream#withLease}: this node's
 * local lock on the stream and the stream's key in the lease bucket. Appends go through the node's
 * writer of the stream and complete when acknowledged.
 *
 * <p>Thread safety: not thread safe; used by the thread that holds the lease.
 */
final class NatsLease implements Lease {
    private final NatsStorage storage;
    private final NatsStream stream;
    private final NatsStorage.View view;
    /** True once the stream's entry changed ({@link #reference}, {@link #abandon}): the lease is not kept. */
    private boolean entryChanged;
    /** The last append's future, null before the first. */
    private CompletableFuture<Long> last;

    NatsLease(NatsStorage storage, NatsStream stream, NatsStorage.View view) {
        this.storage = storage;
        this.stream = stream;
        this.view = view;
    }

    /** The size check of every append of {@code storage}: its limit, and what one view can hold. */
    static NatsWriter.SizeCheck sizeCheck(NatsStorage storage) {
        return (length, append, max) -> {
            if (max > 0 && length + append > max) {
                throw storage.listeners().refused(new StreamTooLargeException(length, append, max));
            }
            if (length + append > NatsLog.MAX_BYTES) {
                throw storage.listeners().refused(new InsufficientStorageException("an append of " + append + " bytes",
                        new IOException("a front node's view of a stream holds at most " + NatsLog.MAX_BYTES + " bytes")));
            }
        };
    }

    /** True if the operation changed the stream's entry (a fork's reference, or the stream abandoned). */
    boolean entryChanged() {
        return entryChanged;
    }

    @Override
    public CompletableFuture<Long> append(ByteBuffer... srcs) throws IOException {
        last = view.writer().append(srcs, storage.limits().maxStreamBytes(), sizeCheck(storage));
        return last;
    }

    @Override
    public void reference(StoredStream source, long length) throws IOException {
        if (view.writer().written() != 0) {
            throw new IllegalStateException("reference on a stream of " + view.writer().written() + " bytes");
        }
        NatsStorage.Entry sourceEntry = storage.entry(source.name());
        NatsStorage.Entry e = storage.entry(stream.name());
        if (sourceEntry == null || e == null) {
            throw new java.nio.file.NoSuchFileException(sourceEntry == null ? source.name() : stream.name());
        }
        entryChanged = true;
        NatsStorage.Entry fork = new NatsStorage.Entry(e.generation(), source.name(), sourceEntry.generation(),
                length, 0);
        try {
            storage.streams.update(storage.names.key(stream.name()), fork.encode(), e.revision());
        } catch (JetStreamApiException ex) {
            throw new IOException(ex.getMessage(), ex);
        }
        view.log().reference(storage.view(source.name(), sourceEntry).log(), length);
        view.writer().startAt(length);
    }

    @Override
    public void cut(long length) throws IOException {
        if (length < 0 || length > written()) {
            throw new IllegalArgumentException("length out of range: " + length + " of " + written());
        }
        view.writer().cut(length);
    }

    @Override
    public long written() {
        return view.writer().written();
    }

    /**
     * Writes the metadata once the bytes appended under this lease are acknowledged, never before: a
     * producer's sequence or a closure is never committed for bytes that were not (a failed append
     * writes nothing, and its retry is not taken for a duplicate), and a node told of a closure finds
     * every byte before it on the cluster.
     */
    @Override
    public void stageMetadata(StreamMetadata metadata) throws IOException {
        if (last != null) {
            try {
                last.join();
            } catch (java.util.concurrent.CompletionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(String.valueOf(e.getCause()), e);
            }
        }
        stream.putMetadata(metadata);
    }

    @Override
    public void abandon() throws IOException {
        entryChanged = true;
        stream.removeMetadata();
        NatsStorage.Entry e = storage.entry(stream.name());
        if (e != null) {
            storage.remove(stream.name(), e);
        }
    }
}
