package org.httpfstream.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
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
import java.util.zip.CRC32C;
import org.httpfstream.server.ws.AppendFrameDecoder;

/**
 * The limits of the same data path as a scenario (issue 16), where {@link Limits} measures one
 * resource alone: the raw append pipeline (loopback TCP into a file, what a WebSocket append does
 * without WebSocket), the RFC 6455 unmasking pass alone (our server's own decoder, no socket), the
 * catch-up copy with the readers' per-byte work (CRC32C, as {@link ReceivedBytes}), and that work
 * alone. Each returns bytes per second; the bench takes the best of three, as for the other probes.
 *
 * <p>Thread safety: stateless; each call uses its own sockets, files, channels and threads.
 */
final class PathLimits {
    /**
     * The receiver's read size: what our server's reads grow to on a busy connection (its listener's
     * largest adaptive read), so the probe's receiver reads and writes as the server does.
     */
    static final int READ_SIZE = 256 * 1024;
    private static final int SINK_BUFFER = 256 * 1024;
    /** Bytes of frames decoded between refills of the unmasking probe's input. */
    private static final int UNMASK_ROUND = 64 << 20;
    /** The mask of the unmasking probe's frames: fixed and non-zero, as the load generator's. */
    private static final int MASK = 0x1F2E3D4C;

    /** The last checksum computed, kept so the compiler cannot drop the work. */
    @SuppressWarnings("unused")
    private static volatile long checksum;

    private PathLimits() {}

    /**
     * Bytes per second through the raw append pipeline: a sender writes {@code bytes} in {@code chunk}-byte
     * writes over 127.0.0.1 to a receiver that reads {@value #READ_SIZE} bytes at a time and writes
     * each read to a new file in {@code dir} (positional writes, no fsync, as the server's store). Timed
     * from the first write to the last byte in the file; the file is deleted. Starts from {@linkplain
     * Limits#recycleMemory recycled memory}, as the append scenarios do.
     */
    static double pipeline(Path dir, int chunk, long bytes) throws Exception {
        if (chunk < 1 || bytes < 1) {
            throw new IllegalArgumentException("chunk and bytes must be positive: " + chunk + ", " + bytes);
        }
        Limits.recycleMemory(dir, bytes);
        Path file = Files.createTempFile(dir, "raw-pipeline-", ".bin");
        ExecutorService receivers = Executors.newSingleThreadExecutor();
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress("127.0.0.1", 0));
            Future<Long> received = receivers.submit(() -> receiveToFile(listener, file));
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
                    throw new IOException("the receiver wrote " + got + " of " + bytes + " bytes");
                }
            }
            return bytes / seconds(start);
        } finally {
            receivers.shutdownNow();
            Files.deleteIfExists(file);
        }
    }

    private static long receiveToFile(ServerSocketChannel listener, Path file) throws IOException {
        try (SocketChannel in = listener.accept();
                FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(READ_SIZE);
            long position = 0;
            for (int n; (n = in.read(buf.clear())) >= 0; ) {
                buf.flip();
                while (buf.hasRemaining()) {
                    position += ch.write(buf, position);
                }
            }
            return position;
        }
    }

    /**
     * Bytes of payload per second that our server's RFC 6455 decoder ({@link AppendFrameDecoder}, the
     * one on every APPEND connection) unmasks, on one thread, with no socket: masked TEXT frames of
     * {@code chunk} bytes, cut into {@value #READ_SIZE}-byte direct buffers as socket reads bring them,
     * decoded in place and passed to a handler that releases them. The input is refilled between rounds
     * of {@value #UNMASK_ROUND} bytes, outside the timing; only decoding is timed.
     */
    static double unmask(int chunk, long bytes) {
        if (chunk < 1 || bytes < 1) {
            throw new IllegalArgumentException("chunk and bytes must be positive: " + chunk + ", " + bytes);
        }
        byte[] stream = maskedFrames(chunk, Math.max(1, UNMASK_ROUND / (chunk + 14)));
        long payloadPerRound = (long) (stream.length / frameLength(chunk)) * chunk;
        List<ByteBuf> reads = new ArrayList<>();
        for (int off = 0; off < stream.length; off += READ_SIZE) {
            reads.add(Unpooled.directBuffer(Math.min(READ_SIZE, stream.length - off)));
        }
        long[] delivered = new long[1];
        EmbeddedChannel ch = new EmbeddedChannel(new AppendFrameDecoder(Math.max(chunk, 1 << 20)),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ByteBuf b = (ByteBuf) msg;
                        delivered[0] += b.readableBytes();
                        b.release();
                    }
                });
        long nanos = 0;
        long done = 0;
        try {
            while (done < bytes) {
                for (int i = 0, off = 0; i < reads.size(); i++, off += READ_SIZE) {
                    ByteBuf b = reads.get(i);
                    b.clear().writeBytes(stream, off, b.capacity());
                }
                long start = System.nanoTime();
                for (ByteBuf b : reads) {
                    ch.writeInbound(b.retain()); // the decoder releases what it is given
                }
                nanos += System.nanoTime() - start;
                done += payloadPerRound;
            }
        } finally {
            ch.finishAndReleaseAll();
            reads.forEach(ByteBuf::release);
        }
        if (delivered[0] != done) {
            throw new IllegalStateException("the decoder passed on " + delivered[0] + " of " + done + " bytes");
        }
        return done / (Math.max(1, nanos) / 1e9);
    }

    private static int frameLength(int chunk) {
        return chunk + (chunk < 126 ? 2 : chunk < 65536 ? 4 : 10) + 4;
    }

    /** {@code frames} masked, final TEXT frames of {@code chunk} bytes each, back to back. */
    private static byte[] maskedFrames(int chunk, int frames) {
        int len = frameLength(chunk);
        byte[] out = new byte[len * frames];
        byte[] mask = {(byte) (MASK >>> 24), (byte) (MASK >>> 16), (byte) (MASK >>> 8), (byte) MASK};
        for (int f = 0; f < frames; f++) {
            int p = f * len;
            out[p++] = (byte) 0x81;
            if (chunk < 126) {
                out[p++] = (byte) (0x80 | chunk);
            } else if (chunk < 65536) {
                out[p++] = (byte) (0x80 | 126);
                out[p++] = (byte) (chunk >>> 8);
                out[p++] = (byte) chunk;
            } else {
                out[p++] = (byte) (0x80 | 127);
                for (int s = 56; s >= 0; s -= 8) {
                    out[p++] = (byte) ((long) chunk >>> s);
                }
            }
            System.arraycopy(mask, 0, out, p, 4);
            p += 4;
            for (int i = 0; i < chunk; i++) {
                out[p + i] = (byte) ((' ' + (i * 31 + f) % 95) ^ mask[i & 3]);
            }
        }
        return out;
    }

    /**
     * As {@link Limits#fileToSocket}, with the readers' per-byte work: each sink computes the CRC32C
     * of what it receives, in place over its read buffer, as every follower of the load generator does
     * ({@link ReceivedBytes}). The load generator carries its readers on its event loops (2 by
     * default), where this probe gives each sink its own thread: with more readers than cores both are
     * bounded by the cores.
     */
    static double fileToSocketChecked(Path file, int senders) throws Exception {
        return Limits.fileToSocket(file, senders, PathLimits::checkingSink);
    }

    private static long checkingSink(ServerSocketChannel listener) throws IOException {
        try (SocketChannel in = listener.accept()) {
            ByteBuffer buf = ByteBuffer.allocateDirect(SINK_BUFFER);
            CRC32C crc = new CRC32C();
            long total = 0;
            for (int n; (n = in.read(buf.clear())) >= 0; ) {
                crc.update(buf.flip());
                total += n;
            }
            checksum = crc.getValue();
            return total;
        }
    }

    /**
     * The readers' per-byte work alone: bytes per second of CRC32C over {@code bytes} in 256 KiB direct
     * buffers on one thread, no socket. The load generator's event loops can receive at most about
     * this many times their number.
     */
    static double crc32c(long bytes) {
        ByteBuffer buf = filled(SINK_BUFFER);
        CRC32C crc = new CRC32C();
        long start = System.nanoTime();
        long done = 0;
        while (done < bytes) {
            crc.update(buf.clear());
            done += SINK_BUFFER;
        }
        double s = seconds(start);
        checksum = crc.getValue();
        return done / s;
    }

    private static ByteBuffer filled(int size) {
        ByteBuffer b = ByteBuffer.allocateDirect(size);
        for (int i = 0; i < size; i++) {
            b.put((byte) (i * 31 + 7));
        }
        return b.flip();
    }

    private static double seconds(long startNanos) {
        return Math.max(1, System.nanoTime() - startNanos) / 1e9;
    }
}
