package org.httpfstream.bench;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * HTTP/2 connections of the load generator ({@code --h2}) and the readers' streams on them: {@code
 * perConnection} readers share each connection (the last one may have fewer). Each connection is Netty's
 * client {@code Http2FrameCodec} and {@code Http2MultiplexHandler}, over TLS with {@code h2} by ALPN or
 * cleartext with prior knowledge, as {@link LoadClient#openH2} makes it. Flow control: every stream's
 * window is {@value #STREAM_WINDOW} bytes and the connection's {@value #STREAM_WINDOW} times its streams,
 * given back as the readers consume (Netty's child channels return the window as frames are read), so
 * the window is not what limits a fast reader on loopback. Frames are at most 16 KiB (the protocol's
 * default, which the client does not raise: as a browser).
 *
 * <p>Thread safety: {@link #open} and {@link #close} from one thread; the streams run on the connections'
 * event loops.
 */
final class H2Connections implements AutoCloseable {
    /** Each stream's receive window. */
    static final int STREAM_WINDOW = 4 << 20;
    /** The server's limit of concurrent streams per connection. */
    static final int MAX_STREAMS_PER_CONNECTION = 256;
    /** A connection's initial receive window (the protocol's), which a WINDOW_UPDATE on stream 0 raises. */
    private static final int CONNECTION_WINDOW = 65_535;

    private final LoadClient client;
    private final List<Channel> connections = new ArrayList<>();

    H2Connections(LoadClient client) {
        this.client = client;
    }

    /**
     * Opens the connections and, on each, the streams of its readers, each sending its GET; returns at
     * once. A reader whose connection or stream fails to open is finished with an error.
     */
    void open(List<H2Follower> readers, int perConnection) {
        if (perConnection < 1 || perConnection > MAX_STREAMS_PER_CONNECTION) {
            throw new IllegalArgumentException("perConnection not in [1, " + MAX_STREAMS_PER_CONNECTION + "]: "
                    + perConnection);
        }
        for (int from = 0; from < readers.size(); from += perConnection) {
            List<H2Follower> share = readers.subList(from, Math.min(readers.size(), from + perConnection));
            ChannelFuture f = client.openH2(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast("h2", Http2FrameCodecBuilder.forClient()
                            .initialSettings(Http2Settings.defaultSettings().pushEnabled(false)
                                    .initialWindowSize(STREAM_WINDOW))
                            .build());
                    ch.pipeline().addLast("h2-streams", new Http2MultiplexHandler(NoPush.INSTANCE));
                }
            });
            connections.add(f.channel());
            f.addListener(done -> {
                if (!done.isSuccess()) {
                    for (H2Follower r : share) {
                        r.openFailed(done.cause());
                    }
                    return;
                }
                Channel parent = f.channel();
                long extra = (long) STREAM_WINDOW * share.size() - CONNECTION_WINDOW;
                parent.writeAndFlush(new DefaultHttp2WindowUpdateFrame(
                        (int) Math.min(Integer.MAX_VALUE - CONNECTION_WINDOW, extra)));
                for (H2Follower r : share) {
                    new Http2StreamChannelBootstrap(parent).handler(r).open().addListener(opened -> {
                        if (!opened.isSuccess()) {
                            r.openFailed(opened.cause());
                            return;
                        }
                        Http2StreamChannel stream = (Http2StreamChannel) opened.getNow();
                        stream.writeAndFlush(new DefaultHttp2HeadersFrame(headers(r.path()), true));
                    });
                }
            });
        }
    }

    private Http2Headers headers(String path) {
        InetSocketAddress server = client.server();
        String host = server.getAddress().getHostAddress();
        Http2Headers h = new DefaultHttp2Headers().method("GET").path(path)
                .scheme(client.tls() ? "https" : "http")
                .authority((host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + server.getPort());
        String auth = RequestAuth.line();
        if (!auth.isEmpty()) { // "Authorization: Bearer T\r\n"
            h.add("authorization", auth.substring(auth.indexOf(':') + 1).trim());
        }
        return h;
    }

    /** Closes every connection. */
    @Override
    public void close() {
        for (Channel c : connections) {
            c.close();
        }
        connections.clear();
    }

    /** The handler of streams the server would open: none (push is off). */
    @Sharable
    private static final class NoPush extends ChannelInboundHandlerAdapter {
        static final NoPush INSTANCE = new NoPush();
    }
}
