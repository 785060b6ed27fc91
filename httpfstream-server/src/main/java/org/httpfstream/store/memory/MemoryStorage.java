package org.httpfstream.store.memory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.httpfstream.store.AbstractStorage;
import org.httpfstream.store.InvalidStreamPathException;
import org.httpfstream.store.NotAStreamException;
import org.httpfstream.store.StoreLimits;
import org.httpfstream.store.StorePaths;
import org.httpfstream.store.StoredStream;
import org.httpfstream.store.StreamMetadata;

/**
 * Streams kept in memory only, for tests and throwaway servers ({@code -store=memory}): nothing
 * survives the process. Paths obey the file store's rules (no {@code .} or {@code ..} segments, no
 * backslash or NUL, the server's folder reserved, and a stream cannot also be a folder of streams), so
 * a client sees the same answers from both stores. Every append is committed at once, whether under a
 * one-operation lease or an original-protocol append session ({@link MemorySession}).
 *
 * <p>Written here rather than taken from a library: it is the seam's smallest honest implementation,
 * a growable byte array per stream, and no library offers the seam's lease and follower contract.
 *
 * <p>Thread safety: safe for use from any number of threads. Streams and metadata are concurrent maps
 * keyed by path (the watchers are the base class's); a stream's bytes are written under its monitor
 * (the lease) and read without it (see {@link MemoryStream}).
 */
public final class MemoryStorage extends AbstractStorage {
    /** The streams that exist, by path. */
    final ConcurrentHashMap<String, MemoryStream.Bytes> bytes = new ConcurrentHashMap<>();
    /** Metadata by path; it may outlive the bytes (a soft-deleted stream). */
    final ConcurrentHashMap<String, StreamMetadata> metadata = new ConcurrentHashMap<>();
    /** Serializes creations, so that a stream and a folder of the same name are never both made. */
    private final Object creations = new Object();

    /** An empty store whose appends obey {@code limits}. */
    public MemoryStorage(StoreLimits limits) {
        super(limits, false); // a change is committed when it is made
    }

    @Override
    public StoredStream stream(String path) throws IOException {
        return new MemoryStream(this, normalize(path));
    }

    /**
     * The path with empty segments dropped.
     *
     * @throws InvalidStreamPathException for what the file store refuses too, with its messages
     */
    static String normalize(String path) throws InvalidStreamPathException {
        return StorePaths.normalize(path);
    }

    /** The bytes of a new stream at {@code name}, or of the existing one. */
    MemoryStream.Bytes create(String name) throws IOException {
        MemoryStream.Bytes b = bytes.get(name);
        if (b != null) {
            return b;
        }
        synchronized (creations) {
            if (name.equals("/") || folder(name)) {
                throw new NotAStreamException(name + " is a folder, not a stream");
            }
            for (int i = name.indexOf('/', 1); i > 0; i = name.indexOf('/', i + 1)) {
                if (bytes.containsKey(name.substring(0, i))) {
                    throw new NotAStreamException("a parent of " + name + " is a file, not a folder");
                }
            }
            return bytes.computeIfAbsent(name, n -> new MemoryStream.Bytes());
        }
    }

    /** True if some stream lies below {@code name}. */
    boolean folder(String name) {
        String prefix = name + "/";
        for (String n : bytes.keySet()) {
            if (n.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public List<String> list(String prefix) {
        List<String> names = new ArrayList<>();
        for (String n : bytes.keySet()) {
            if (n.startsWith(prefix)) {
                names.add(n);
            }
        }
        return names;
    }

    /** Ends every append session and drops every stream; followers see them end. */
    @Override
    public void close() {
        markClosed();
        for (String name : new ArrayList<>(bytes.keySet())) {
            MemoryStream.Bytes b = bytes.remove(name);
            if (b != null) {
                MemorySession session = b.session();
                if (session != null) {
                    session.end();
                }
                b.discard();
            }
        }
        metadata.clear();
    }
}
