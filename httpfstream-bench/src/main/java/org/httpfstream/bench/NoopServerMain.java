package org.httpfstream.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.InputStream;
import java.net.InetSocketAddress;

/**
 * The limit of Durable Streams request handling (issue 16): a minimal Netty HTTP/1.1 server, run in its
 * own JVM as {@link ServerMain} runs ours, that reads each request through Netty's HTTP codec, drops its
 * body and answers every POST with 204 (a PUT with 201, anything else with 200), no body, keeping the
 * connection alive. Same transport, event loops and socket options as our server's listener, and the
 * same protocol with the benchmark ({@code LISTENING <base-uri> <pid>}, then serving until standard
 * input ends). Nothing is stored, so nothing can be read back.
 *
 * <p>Thread safety: a program entry point; its handler is per channel, confined to the channel's event loop.
 */
public final class NoopServerMain {
    private NoopServerMain() {}

    public static void main(String[] args) throws Exception {
        String host = "127.0.0.1";
        int port = 0;
        for (String a : args) {
            String arg = a.startsWith("--") ? a.substring(1) : a;
            if (arg.startsWith("-http=")) {
                String hp = arg.substring(6);
                int colon = hp.lastIndexOf(':');
                if (colon < 0) {
                    throw new IllegalArgumentException("-http is not [host]:port: " + hp);
                }
                host = hp.substring(0, colon);
                port = Integer.parseInt(hp.substring(colon + 1));
            } else {
                throw new IllegalArgumentException("unknown argument: " + a);
            }
        }
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, io);
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(io);
        Class<? extends ServerChannel> type = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        try {
            Channel server = new ServerBootstrap().group(boss, workers).channel(type)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(64, 2048, 256 * 1024))
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new Answer());
                        }
                    })
                    .bind(new InetSocketAddress(host, port)).sync().channel();
            InetSocketAddress bound = (InetSocketAddress) server.localAddress();
            System.out.println("LISTENING http://" + bound.getHostString() + ":" + bound.getPort() + "/ "
                    + ProcessHandle.current().pid());
            System.out.flush();
            InputStream in = System.in;
            byte[] buf = new byte[256];
            while (in.read(buf) >= 0) {
                // Serve until the benchmark closes our standard input.
            }
            server.close().sync();
        } finally {
            boss.shutdownGracefully();
            workers.shutdownGracefully();
        }
        System.exit(0);
    }

    /** Answers each request once its last content has come; drops every part of it. */
    private static final class Answer extends ChannelInboundHandlerAdapter {
        private HttpResponseStatus status;
        private boolean keepAlive;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest req) {
                    status = req.method().equals(HttpMethod.POST) ? HttpResponseStatus.NO_CONTENT
                            : req.method().equals(HttpMethod.PUT) ? HttpResponseStatus.CREATED : HttpResponseStatus.OK;
                    keepAlive = HttpUtil.isKeepAlive(req);
                }
                if (msg instanceof LastHttpContent) {
                    DefaultFullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status);
                    if (status != HttpResponseStatus.NO_CONTENT) {
                        resp.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
                    }
                    if (keepAlive) {
                        ctx.writeAndFlush(resp);
                    } else {
                        resp.headers().set(HttpHeaderNames.CONNECTION, "close");
                        ctx.writeAndFlush(resp).addListener(f -> ctx.close());
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
    }
}
