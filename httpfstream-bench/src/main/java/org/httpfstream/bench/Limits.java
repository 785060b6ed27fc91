package org.httpfstream.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The physical limits the server is measured against, with the same chunk sizes and the same disk: raw
 * loopback TCP (a blocking socket writing chunks to a sink that discards them), raw sequential file
 * append ({@link FileChannel#write}, chunk by chunk, no fsync, as the server does), and raw
 * file-to-socket transfer ({@link FileChannel#transferTo}, by one or several senders at once). Each
 * returns bytes per second.
 *
 * <p>Thread safety: stateless; each call uses its own sockets, files and threads.
 */
public final class Limits {
    private static final int SINK_BUFFER = 256 * 1024;

    private Limits() {}

    /** Bytes per second from one socket to another over 127.0.0.1, written {@code chunk} bytes at a time. */
    public static double loopbackTcp(int chunk, long bytes) throws Exception {
        checkSizes(chunk, bytes);
        ExecutorService sinks = Executors.newSingleThreadExecutor();
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress("127.0.0.1", 0));
            Future<Long> received = sinks.submit(() -> sink(listener));
            ByteBuffer buf = filled(chunk);
            long start = System.nanoTime();
            try (SocketChannel out = SocketChannel.open(listener.getLocalAddress())) {
                out.socket().setTcpNoDelay(true);
                for (long sent = 0; sent < bytes; ) {
                    buf.clear().limit((int) Math.min(chunk, bytes - sent));
                    while (buf.hasRemaining()) {
                        sent += out.write(buf);
                    }
                }
                out.shutdownOutput();
                long got = received.get(10, TimeUnit.MINUTES);
                if (got != bytes) {
                    throw new IOException("the sink got " + got + " of " + bytes + " bytes");
                }
            }
            return bytes / seconds(start);
        } finally {
            sinks.shutdownNow();
        }
    }

    /**
     * Bytes per second appended to a new file in {@code dir}, {@code chunk} bytes per write; the file is
     * deleted. Starts from {@linkplain #recycleMemory recycled memory}, as the append scenarios do.
     */
    public static double fileAppend(Path dir, int chunk, long bytes) throws IOException {
        checkSizes(chunk, bytes);
        recycleMemory(dir, bytes);
        Path file = Files.createTempFile(dir, "raw-append-", ".bin");
        try {
            ByteBuffer buf = filled(chunk);
            long start = System.nanoTime();
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                long position = 0;
                while (position < bytes) {
                    buf.clear().limit((int) Math.min(chunk, bytes - position));
                    while (buf.hasRemaining()) { // positional writes, as the server's store does
                        position += ch.write(buf, position);
                    }
                }
            }
            return bytes / seconds(start);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * Writes a file of {@code bytes} bytes in {@code dir} and deletes it, so that a write of as many
     * bytes into the page cache right after this lands in memory that was in use moments before.
     *
     * <p>This machine is a virtual machine whose hypervisor takes back guest memory that stays free for
     * a second or two (virtio-balloon free page reporting). The first write into such memory costs a
     * page fault on the host per page: appending 512 MiB to a new file then runs at about 0.5 GB/s
     * instead of 4.5 GB/s. Which of the two a measurement gets depends on what the run did just before
     * (the raw probe's second and third runs reuse the memory of the first; a scenario that follows a
     * pause does not), so every measured write starts from memory freed just now.
     */
    public static void recycleMemory(Path dir, long bytes) throws IOException {
        if (bytes < 1) {
            throw new IllegalArgumentException("bytes < 1: " + bytes);
        }
        Files.createDirectories(dir);
        Path file = Files.createTempFile(dir, "recycle-", ".bin");
        try {
            ByteBuffer buf = filled(1 << 20);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                for (long p = 0; p < bytes; ) {
                    buf.clear().limit((int) Math.min(buf.capacity(), bytes - p));
                    p += ch.write(buf, p);
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Creates (or keeps, if it has that size) a file of {@code bytes} bytes, for {@link #fileToSocket}. */
    public static Path sourceFile(Path dir, long bytes) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("raw-source-" + bytes + ".bin");
        if (Files.exists(file) && Files.size(file) == bytes) {
            return file;
        }
        ByteBuffer buf = filled(1 << 20);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            for (long p = 0; p < bytes; ) {
                buf.clear().limit((int) Math.min(buf.capacity(), bytes - p));
                p += ch.write(buf, p);
            }
        }
        return file;
    }

    /**
     * Aggregate bytes per second of {@code senders} concurrent {@link FileChannel#transferTo} copies
     * of the whole {@code file}, each to its own loopback socket read by its own sink.
     */
    public static double fileToSocket(Path file, int senders) throws Exception {
        return fileToSocket(file, senders, Limits::sink);
    }

    /** What a probe's receiving end does with one accepted connection: the bytes it read. */
    interface Sink {
        long drain(ServerSocketChannel listener) throws IOException;
    }

    /** As {@link #fileToSocket(Path, int)}, each connection read by {@code sink}. */
    static double fileToSocket(Path file, int senders, Sink sink) throws Exception {
        if (senders < 1) {
            throw new IllegalArgumentException("senders < 1: " + senders);
        }
        long size = Files.size(file);
        ExecutorService pool = Executors.newFixedThreadPool(2 * senders);
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress("127.0.0.1", 0), senders);
            List<Future<Long>> sinks = new ArrayList<>();
            for (int i = 0; i < senders; i++) {
                sinks.add(pool.submit(() -> sink.drain(listener)));
            }
            List<SocketChannel> outs = new ArrayList<>();
            for (int i = 0; i < senders; i++) {
                outs.add(SocketChannel.open(listener.getLocalAddress()));
            }
            long start = System.nanoTime();
            List<Future<Long>> sends = new ArrayList<>();
            for (SocketChannel out : outs) {
                sends.add(pool.submit(() -> {
                    try (out; FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
                        long p = 0;
                        while (p < size) {
                            p += in.transferTo(p, size - p, out);
                        }
                        out.shutdownOutput();
                        return p;
                    }
                }));
            }
            long total = 0;
            for (Future<Long> s : sinks) {
                total += s.get(10, TimeUnit.MINUTES);
            }
            for (Future<Long> s : sends) {
                s.get(10, TimeUnit.MINUTES);
            }
            if (total != size * senders) {
                throw new IOException("the sinks got " + total + " of " + size * senders + " bytes");
            }
            return total / seconds(start);
        } finally {
            pool.shutdownNow();
        }
    }

    private static long sink(ServerSocketChannel listener) throws IOException {
        try (SocketChannel in = listener.accept()) {
            ByteBuffer buf = ByteBuffer.allocateDirect(SINK_BUFFER);
            long total = 0;
            for (int n; (n = in.read(buf.clear())) >= 0; ) {
                total += n;
            }
            return total;
        }
    }

    private static ByteBuffer filled(int size) {
        ByteBuffer b = ByteBuffer.allocateDirect(size);
        for (int i = 0; i < size; i++) {
            b.put((byte) (i * 31 + 7));
        }
        return b.flip();
    }

    private static void checkSizes(int chunk, long bytes) {
        if (chunk < 1) {
            throw new IllegalArgumentException("chunk < 1: " + chunk);
        }
        if (bytes < 1) {
            throw new IllegalArgumentException("bytes < 1: " + bytes);
        }
    }

    private static double seconds(long startNanos) {
        return Math.max(1, System.nanoTime() - startNanos) / 1e9;
    }
}
