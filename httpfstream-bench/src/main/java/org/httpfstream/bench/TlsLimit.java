package org.httpfstream.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.handler.stream.ChunkedNioFile;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The raw limit of a catch-up read over TLS: {@code senders} connections each send the same file through
 * Netty's {@code SslHandler} (the engine the server uses: OpenSSL where netty-tcnative loads, else the
 * JDK's; the same certificate kind and the default cipher choice, TLS 1.3 AES-GCM) in 64 KiB pieces, as
 * the server's TLS catch-up does, to sinks that decrypt and discard. No HTTP, no store: what encrypting
 * and decrypting the file on this machine costs.
 *
 * <p>Thread safety: stateless; each call has its own event loops.
 */
final class TlsLimit {
    private TlsLimit() {}

    /** Bytes per second of {@code senders} TLS copies of {@code file} over loopback, with {@code pem}. */
    static double fileToTlsSocket(Path file, int senders, SelfSignedCertificate.Pem pem) throws Exception {
        long size = Files.size(file);
        SslContext server = SslContextBuilder.forServer(pem.certificate().toFile(), pem.key().toFile()).build();
        SslContext client = SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE)
                .endpointIdentificationAlgorithm(null).build();
        EventLoopGroup sinks = new MultiThreadIoEventLoopGroup(senders, NioIoHandler.newFactory());
        EventLoopGroup sources = new MultiThreadIoEventLoopGroup(senders, NioIoHandler.newFactory());
        List<CompletableFuture<Long>> received = new ArrayList<>();
        for (int i = 0; i < senders; i++) {
            received.add(new CompletableFuture<>());
        }
        try {
            Channel listener = listen(sinks, server, received);
            List<FileChannel> files = new ArrayList<>();
            List<Channel> outs = new ArrayList<>();
            for (int i = 0; i < senders; i++) {
                FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
                files.add(in);
                outs.add(connect(sources, client, listener.localAddress()));
            }
            long start = System.nanoTime();
            for (int i = 0; i < senders; i++) {
                outs.get(i).writeAndFlush(new ChunkedNioFile(files.get(i), 0, size, 64 * 1024))
                        .addListener(ChannelFutureListener.CLOSE);
            }
            long total = 0;
            for (CompletableFuture<Long> r : received) {
                total += r.get(10, TimeUnit.MINUTES);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            for (FileChannel f : files) {
                f.close();
            }
            listener.close().sync();
            if (total != size * senders) {
                throw new IOException("the TLS sinks got " + total + " of " + size * senders + " bytes");
            }
            return total / seconds;
        } finally {
            sinks.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            sources.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /** Listens on loopback; the i-th accepted connection decrypts, counts and completes {@code received[i]}. */
    private static Channel listen(EventLoopGroup sinks, SslContext server, List<CompletableFuture<Long>> received)
            throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        return new ServerBootstrap().group(sinks).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(server.newHandler(ch.alloc()));
                        ch.pipeline().addLast(new CountingSink(received.get(next.getAndIncrement())));
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    /** A TLS sender connected to {@code to}, ready for a {@link ChunkedNioFile}. */
    private static Channel connect(EventLoopGroup sources, SslContext client, SocketAddress to)
            throws InterruptedException {
        return new Bootstrap().group(sources).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(client.newHandler(ch.alloc(), "127.0.0.1", 0));
                        ch.pipeline().addLast(new ChunkedWriteHandler());
                    }
                }).connect(to).sync().channel();
    }

    /**
     * Counts and discards the decrypted bytes; completes {@code done} with the count when the connection
     * closes. Per-channel (not sharable): {@code total} is confined to the channel's event loop.
     */
    private static final class CountingSink extends ChannelInboundHandlerAdapter {
        private final CompletableFuture<Long> done;
        /** Only the channel's event loop may access this. */
        private long total;

        CountingSink(CompletableFuture<Long> done) {
            this.done = done;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            total += ((ByteBuf) msg).readableBytes();
            ((ByteBuf) msg).release();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            done.complete(total);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            done.completeExceptionally(cause);
            ctx.close();
        }
    }
}
