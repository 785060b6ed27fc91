package org.httpfstream.server.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.httpfstream.store.DaemonThreads;

/**
 * The admin listener: a second, small HTTP/1.1 server channel on the stream server's own event loops,
 * serving {@code /metrics}, {@code /healthz} and {@code /readyz} ({@link AdminHandler}) and nothing
 * else. Its connections are not counted in the stream port's metrics or limits.
 *
 * <p>Thread safety: {@link #start} once; {@link #close} from any thread, idempotent. The scrapes and
 * probes run on one thread of its own, made when needed.
 */
public final class AdminServer implements AutoCloseable {
    /** The largest admin request accepted (they have no body). */
    static final int MAX_REQUEST = 8192;
    /** Admin connections idle this long are closed. */
    static final int IDLE_SECONDS = 120;

    /** The scrapes and readiness probes: one thread, made when needed. */
    private final ExecutorService work = DaemonThreads.pool(1, 256, DaemonThreads.named("httpfstream-admin"));
    /** The admin connections and the listening channel, apart from the stream port's. */
    private final ChannelGroup channels = new DefaultChannelGroup("httpfstream-admin", GlobalEventExecutor.INSTANCE);
    private final Channel serverChannel;

    /**
     * Binds the admin listener on {@code config}'s address, its connections on {@code workers} and in a
     * channel group of its own, apart from the stream port's: a drain of the stream port leaves {@code
     * /readyz} answering (503) until {@link #close()}.
     *
     * @throws AdminBindException if the address cannot be bound (in use, unknown host)
     */
    public static AdminServer start(AdminConfig config, EventLoopGroup boss, EventLoopGroup workers,
            Class<? extends ServerChannel> channelType, ServerMetrics metrics, Readiness readiness)
            throws IOException {
        return new AdminServer(Objects.requireNonNull(config, "config"), boss, workers, channelType, metrics,
                readiness);
    }

    private AdminServer(AdminConfig config, EventLoopGroup boss, EventLoopGroup workers,
            Class<? extends ServerChannel> channelType, ServerMetrics metrics, Readiness readiness)
            throws IOException {
        AdminHandler handler = new AdminHandler(metrics, readiness, work);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 64)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        channels.add(ch);
                        ChannelPipeline p = ch.pipeline();
                        p.addLast("idle", new IdleStateHandler(true, 0, 0, IDLE_SECONDS, TimeUnit.SECONDS) {
                            @Override
                            protected void channelIdle(io.netty.channel.ChannelHandlerContext ctx,
                                    io.netty.handler.timeout.IdleStateEvent evt) {
                                ctx.close();
                            }
                        });
                        p.addLast("http", new HttpServerCodec());
                        p.addLast("aggregator", new HttpObjectAggregator(MAX_REQUEST));
                        p.addLast("admin", handler);
                    }
                });
        InetSocketAddress address = config.socketAddress();
        try {
            if (address.isUnresolved()) {
                throw new UnknownHostException("unknown host: " + config.host());
            }
            Channel ch = bootstrap.bind(address).syncUninterruptibly().channel();
            channels.add(ch);
            serverChannel = ch;
        } catch (Exception e) {
            work.shutdownNow();
            throw new AdminBindException(config, e);
        }
    }

    /** The admin listener could not listen on its address; the cause says why. */
    public static final class AdminBindException extends IOException {
        private static final long serialVersionUID = 1L;

        AdminBindException(AdminConfig config, Throwable cause) {
            super("admin listener: cannot listen on " + config + ": " + cause.getMessage(), cause);
        }
    }

    /** The address the admin listener listens on; the real port when port 0 was asked for. */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** Stops listening and stops the scrape thread; the connections close with the server's. */
    @Override
    public void close() {
        serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        work.shutdownNow();
    }
}
