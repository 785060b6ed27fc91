package org.httpfstream.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The load generator's network side: a few event-loop threads (epoll when available) that carry every
 * benchmark connection. Connections to a loopback server are spread over several source addresses
 * (127.0.0.1, 127.0.0.2, ...) so that tens of thousands of them do not run out of ephemeral ports,
 * and at most {@code maxPendingConnects} handshakes are in flight at once so the server's accept
 * backlog never overflows.
 *
 * <p>With an {@code https} base URI every connection is TLS: Netty's {@code SslHandler} first in the
 * pipeline (OpenSSL where netty-tcnative loads, as in the server, else the JDK's engine), trusting any
 * certificate (the benchmark's server has a self-signed one), offering {@code http/1.1} by ALPN for the
 * WebSocket and HTTP/1.1 peers and {@code h2} for {@link #openH2}. Requests written before the handshake
 * is done wait in the {@code SslHandler}.
 *
 * <p>Thread safety: {@link #connect} may be called from any thread; {@link #close()} once, after use.
 */
public final class LoadClient implements AutoCloseable {
    private final InetSocketAddress server;
    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    private final InetAddress[] sources;
    private final AtomicInteger nextSource = new AtomicInteger();
    private final Semaphore pending;
    private final boolean epoll;
    /** TLS contexts offering http/1.1 and h2 by ALPN, or null for cleartext. */
    private final io.netty.handler.ssl.SslContext tls11;
    private final io.netty.handler.ssl.SslContext tls2;

    /**
     * @param base the server's base URI, {@code http://host:port/} or {@code https://host:port/}
     * @param threads event-loop threads
     * @param sourceAddresses number of loopback source addresses to spread connections over (ignored
     *     when the server is not on a loopback address)
     * @param maxPendingConnects handshakes in flight at most
     */
    @SuppressWarnings("deprecation") // RCVBUF_ALLOCATOR: the epoll transport of 4.2 still reads through it
    public LoadClient(URI base, int threads, int sourceAddresses, int maxPendingConnects)
            throws UnknownHostException {
        if (threads < 1) {
            throw new IllegalArgumentException("threads < 1: " + threads);
        }
        if (sourceAddresses < 1 || sourceAddresses > 250) {
            throw new IllegalArgumentException("sourceAddresses not in [1, 250]: " + sourceAddresses);
        }
        if (maxPendingConnects < 1) {
            throw new IllegalArgumentException("maxPendingConnects < 1: " + maxPendingConnects);
        }
        boolean secure = "https".equalsIgnoreCase(base.getScheme());
        int port = base.getPort() == -1 ? (secure ? 443 : 80) : base.getPort();
        try {
            this.tls11 = secure ? clientTls("http/1.1") : null;
            this.tls2 = secure ? clientTls("h2") : null;
        } catch (javax.net.ssl.SSLException e) {
            throw new IllegalStateException("no TLS client context: " + e, e);
        }
        this.server = new InetSocketAddress(InetAddress.getByName(base.getHost()), port);
        this.epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.group = new MultiThreadIoEventLoopGroup(threads, io);
        this.bootstrap = new Bootstrap()
                .group(group)
                .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
                // Reads of up to 256 KiB: fewer system calls for fast readers; idle ones hold nothing.
                .option(ChannelOption.RCVBUF_ALLOCATOR,
                        new AdaptiveRecvByteBufAllocator(512, 16 * 1024, 256 * 1024));
        if (server.getAddress().isLoopbackAddress() && server.getAddress().getAddress().length == 4) {
            sources = new InetAddress[sourceAddresses];
            for (int i = 0; i < sourceAddresses; i++) {
                sources[i] = InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (i + 1)});
            }
        } else {
            sources = null;
        }
        this.pending = new Semaphore(maxPendingConnects);
    }

    private static io.netty.handler.ssl.SslContext clientTls(String protocol) throws javax.net.ssl.SSLException {
        return io.netty.handler.ssl.SslContextBuilder.forClient()
                .trustManager(io.netty.handler.ssl.util.InsecureTrustManagerFactory.INSTANCE)
                .endpointIdentificationAlgorithm(null)
                .applicationProtocolConfig(new io.netty.handler.ssl.ApplicationProtocolConfig(
                        io.netty.handler.ssl.ApplicationProtocolConfig.Protocol.ALPN,
                        io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        protocol))
                .build();
    }

    /** True if connections are TLS. */
    boolean tls() {
        return tls11 != null;
    }

    /** {@code handler} alone in a cleartext connection, else after an {@code SslHandler} from {@code ctx}. */
    private ChannelHandler secured(ChannelHandler handler, io.netty.handler.ssl.SslContext ctx) {
        if (ctx == null) {
            return handler;
        }
        return new io.netty.channel.ChannelInitializer<io.netty.channel.Channel>() {
            @Override
            protected void initChannel(io.netty.channel.Channel ch) {
                ch.pipeline().addLast("tls", ctx.newHandler(ch.alloc(), server.getHostString(), server.getPort()));
                ch.pipeline().addLast(handler);
            }
        };
    }

    private final java.util.List<io.netty.util.concurrent.ScheduledFuture<?>> lagTasks =
            new java.util.ArrayList<>();
    private Histogram lag;

    /**
     * Starts measuring how late each event loop runs a task scheduled every millisecond: the load
     * generator's own delay, which latency figures include. Call from one thread, then {@link
     * #stopLagMonitor()}.
     */
    void startLagMonitor() {
        Histogram h = new Histogram();
        lag = h;
        long period = TimeUnit.MILLISECONDS.toNanos(1);
        for (io.netty.util.concurrent.EventExecutor loop : group) {
            long[] due = {System.nanoTime() + period};
            lagTasks.add(loop.scheduleAtFixedRate(() -> {
                long now = System.nanoTime();
                h.record(now - due[0]);
                due[0] = Math.max(due[0] + period, now - period); // re-based after a long stall
            }, period, period, TimeUnit.NANOSECONDS));
        }
    }

    /** Stops the lag monitor; returns the lateness of its ticks in nanoseconds. */
    Histogram stopLagMonitor() {
        for (io.netty.util.concurrent.ScheduledFuture<?> f : lagTasks) {
            f.cancel(false);
        }
        lagTasks.clear();
        Histogram h = lag;
        lag = null;
        return h;
    }

    /** True if the client uses epoll, false for NIO. */
    public boolean epoll() {
        return epoll;
    }

    /**
     * Opens a connection for {@code peer}, waiting first while too many handshakes are in flight.
     * Returns once the connection attempt has started; the peer's cohort says when it has opened.
     *
     * @throws TimeoutException if no handshake slot frees up before {@code deadlineNanos}
     */
    <P extends Peer> P connect(P peer, long deadlineNanos)
            throws InterruptedException, TimeoutException {
        if (!pending.tryAcquire(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS)) {
            peer.connectFailed(new TimeoutException("too many handshakes pending"));
            throw new TimeoutException("handshakes still pending at the deadline");
        }
        peer.onSettled(pending::release);
        Bootstrap b = bootstrap.clone().handler(secured(peer, tls11));
        peer.configure(b);
        ChannelFuture f = sources == null ? b.connect(server)
                : b.connect(server, new InetSocketAddress(
                        sources[Math.floorMod(nextSource.getAndIncrement(), sources.length)], 0));
        f.addListener(done -> {
            if (!done.isSuccess()) {
                peer.connectFailed(done.cause());
            }
        });
        return peer;
    }

    /**
     * Opens a connection whose only handler is {@code handler}, on event loop {@code loop} (null: the
     * group's next), without limiting handshakes in flight (for the few hundred connections of the
     * Durable Streams scenarios). Does not wait; the future says whether the connection was made.
     */
    ChannelFuture open(ChannelHandler handler, EventLoop loop) {
        Bootstrap b = (loop == null ? bootstrap.clone() : bootstrap.clone(loop)).handler(secured(handler, tls11));
        return sources == null ? b.connect(server)
                : b.connect(server, new InetSocketAddress(
                        sources[Math.floorMod(nextSource.getAndIncrement(), sources.length)], 0));
    }

    /**
     * Opens an HTTP/2 connection whose pipeline {@code init} sets up (the frame codec and the multiplexer):
     * over TLS with {@code h2} by ALPN if the base URI is {@code https}, else cleartext h2c with prior
     * knowledge. Does not wait, and does not limit handshakes in flight.
     */
    ChannelFuture openH2(ChannelHandler init) {
        Bootstrap b = bootstrap.clone().handler(secured(init, tls2));
        return sources == null ? b.connect(server)
                : b.connect(server, new InetSocketAddress(
                        sources[Math.floorMod(nextSource.getAndIncrement(), sources.length)], 0));
    }

    /** The server's address. */
    InetSocketAddress server() {
        return server;
    }

    /** Closes every connection and stops the threads; waits up to 10 s. */
    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
