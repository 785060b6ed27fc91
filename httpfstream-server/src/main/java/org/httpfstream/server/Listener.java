package org.httpfstream.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;

/**
 * The I/O threads and the listening socket of a server: epoll where it is available, else NIO; one
 * acceptor thread and Netty's default number of workers; the socket options every connection gets.
 *
 * <p>Thread safety: created, bound and shut down by the server under its lock; the fields are final.
 */
final class Listener {
    /** Socket read sizes: Netty's adaptive sizes, growing to {@code MAX_READ} while reads come full. */
    static final int MIN_READ = 64, INITIAL_READ = 2048, MAX_READ = 256 * 1024;

    final boolean epoll = Epoll.isAvailable();
    final EventLoopGroup boss;
    final EventLoopGroup workers;
    final Class<? extends ServerChannel> channelType;

    Listener() {
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        boss = new MultiThreadIoEventLoopGroup(1, io);
        workers = new MultiThreadIoEventLoopGroup(io);
        channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /**
     * Listens on {@code host} (null or empty: every interface) and {@code port}; each accepted connection
     * joins {@code group} and gets {@code initializer}, unless {@code drain} has begun. Returns the bound
     * address; on failure the caller shuts the threads down.
     *
     * @throws IOException if the host is unknown or the address cannot be bound
     */
    InetSocketAddress bind(String host, int port, ChannelGroup group, Drain drain, ChannelHandler initializer)
            throws IOException {
        InetSocketAddress address = host == null || host.isEmpty()
                ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
        try {
            if (address.isUnresolved()) {
                throw new UnknownHostException("unknown host: " + host);
            }
            Channel serverChannel = bootstrap(group, drain, initializer).bind(address).syncUninterruptibly().channel();
            group.add(serverChannel);
            return (InetSocketAddress) serverChannel.localAddress();
        } catch (Exception e) {
            if (e instanceof IOException) {
                throw (IOException) e;
            }
            throw new IOException("cannot listen on " + address + ": " + e.getMessage(), e);
        }
    }

    private ServerBootstrap bootstrap(ChannelGroup group, Drain drain, ChannelHandler initializer) {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // Reads grow while they come full, up to 256 KiB rather than Netty's 64 KiB: an
                // appender at full speed then needs a quarter of the system calls and decoder passes,
                // and a read still fits the core's cache through the socket copy, the unmasking and
                // the file write (1 MiB measured no faster). Set here because a channel keeps the
                // read handle it made on its first read.
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(
                        MIN_READ, INITIAL_READ, MAX_READ))
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(32 * 1024, 64 * 1024))
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (drain.draining()) { // accepted just before the listener closed
                            ch.close();
                            return;
                        }
                        group.add(ch);
                        ch.pipeline().addLast(initializer);
                    }
                });
        if (epoll) { // find dead peers within minutes rather than hours
            bootstrap.childOption(EpollChannelOption.TCP_KEEPIDLE, 30)
                    .childOption(EpollChannelOption.TCP_KEEPINTVL, 10)
                    .childOption(EpollChannelOption.TCP_KEEPCNT, 3);
        }
        return bootstrap;
    }

    /** Stops the I/O threads and waits for them, at most 10 s each. */
    void shutdown() {
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
