package org.httpfstream.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The single writer's lease on one stream, and the live tail that followers read.
 *
 * <p>The file is the log: {@link #append} writes bytes to the file first and only then publishes
 * the new {@link #length()}, so a follower never sees a byte that is not in the file. Followers are
 * cursors over the file ({@link Subscription}); the session keeps no per-follower buffer, so a
 * follower that stops reading costs nothing here and never slows the writer.
 *
 * <p>Thread safety: {@link #append} and {@link #end} are guarded by this object's monitor, so that an
 * {@code end()} from another thread (server shutdown) never interleaves with a write; only the writer
 * takes it in normal operation. {@code length} and {@code ended} are volatile and followers read the
 * file with positional reads, so followers never take the monitor. Listeners live in a concurrent
 * set. All methods may be called from any thread.
 */
public final class AppendSession {
    private final StreamStore store;
    private final String name;
    private final Path file;
    private final long startNanos = System.nanoTime();
    private final Set<StreamListener> listeners = ConcurrentHashMap.newKeySet();

    /** One reference for the writer plus one per open subscription; the file closes at zero. */
    private final AtomicInteger refs = new AtomicInteger(1);

    /** Set once by {@link #open()}; closed when the last reference goes. Positional I/O only. */
    private volatile FileChannel channel;

    private long startLength;

    /** Bytes committed to the file. Written only under this object's monitor. */
    private volatile long length;

    private volatile boolean ended;

    AppendSession(StreamStore store, String name, Path file) {
        this.store = store;
        this.name = name;
        this.file = file;
    }

    synchronized void open() throws IOException {
        boolean created = !java.nio.file.Files.exists(file, LinkOption.NOFOLLOW_LINKS);
        FileChannel c = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        startLength = c.size();
        length = startLength;
        if (created && store.fsync()) {
            try {
                StreamStore.syncDirectory(file.getParent());
            } catch (IOException e) {
                c.close();
                throw e;
            }
        }
        channel = c; // published after length: opened() implies length() is valid
    }

    /** True once the file is open and {@link #length()} is valid. */
    boolean opened() {
        return channel != null;
    }

    /** The request path this session was opened for, as the client gave it. */
    public String name() {
        return name;
    }

    /** The stream's file, inside the storage root. */
    public Path file() {
        return file;
    }

    /** Bytes committed to the file so far, including what it held before this session. */
    public long length() {
        return length;
    }

    /** Bytes this session has appended. */
    public long appended() {
        return length - startLength;
    }

    /** Nanoseconds since this session started. */
    public long elapsedNanos() {
        return System.nanoTime() - startNanos;
    }

    /** True once {@link #end()} has run: no byte will be added, {@link #length()} is final. */
    public boolean ended() {
        return ended;
    }

    /**
     * Writes every remaining byte of {@code src} to the end of the file, then publishes the new length
     * and tells the followers. Blocks while the file is written (page cache speed; with the store's
     * fsync, until the bytes are on stable storage).
     *
     * @throws ClosedChannelException if the session has ended
     * @throws IOException if the file cannot be written; the bytes already committed stay
     */
    public void append(ByteBuffer src) throws IOException {
        append(new ByteBuffer[] {src});
    }

    /**
     * Writes every remaining byte of {@code srcs}, in order, to the end of the file with gathering
     * writes, then publishes the new length and tells the followers once. A writer that has several
     * messages at hand (say, every frame of one socket read) saves a system call and a round of
     * notifications per message this way; with the store's fsync, they share one sync.
     *
     * @throws ClosedChannelException if the session has ended
     * @throws IOException if the file cannot be written; the bytes already committed stay
     */
    public synchronized void append(ByteBuffer[] srcs) throws IOException {
        if (ended) {
            throw new ClosedChannelException();
        }
        long remaining = 0;
        for (ByteBuffer b : srcs) {
            remaining += b.remaining();
        }
        if (remaining == 0) {
            return;
        }
        // Only the writer moves the channel's position; readers use positional reads.
        channel.position(length);
        long written = 0;
        while (written < remaining) {
            written += channel.write(srcs);
        }
        long position = length + written;
        if (store.fsync()) {
            channel.force(false); // durable before it counts as committed
        }
        length = position;
        notifyListeners();
    }

    /**
     * Ends the session: releases the writer lease, so a new appender may start on the path, and tells
     * followers that {@link #length()} is final. Idempotent; safe from any thread.
     */
    public void end() {
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
        }
        store.release(this);
        notifyListeners();
        releaseReference();
    }

    /**
     * Registers {@code listener} and returns a cursor source over this session's file, or {@code null}
     * if the session has ended and its file is already closed (read the file itself then). The
     * listener is called once right away if the session has already ended. The caller must {@linkplain
     * Subscription#close() close} the subscription.
     */
    public Subscription subscribe(StreamListener listener) {
        if (!retainReference()) {
            return null;
        }
        listeners.add(listener);
        if (ended) {
            listener.onChange();
        }
        return new Subscription(this, listener);
    }

    void unsubscribe(StreamListener listener) {
        listeners.remove(listener);
        releaseReference();
    }

    int read(long position, ByteBuffer dst) throws IOException {
        return channel.read(dst, position);
    }

    private void notifyListeners() {
        for (StreamListener listener : listeners) {
            listener.onChange();
        }
        store.changed(file);
    }

    private boolean retainReference() {
        for (;;) {
            int r = refs.get();
            if (r == 0) {
                return false;
            }
            if (refs.compareAndSet(r, r + 1)) {
                return true;
            }
        }
    }

    private void releaseReference() {
        if (refs.decrementAndGet() == 0) {
            FileChannel c = channel;
            if (c != null) {
                try {
                    c.close();
                } catch (IOException e) {
                    StreamStore.LOG.warn("closing {} failed", file, e);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "AppendSession{" + name + ", length=" + length + (ended ? ", ended" : "") + "}";
    }
}
