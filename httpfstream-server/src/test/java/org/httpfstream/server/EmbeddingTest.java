package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.httpfstream.store.StreamStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * httpfstream mounted into a Netty server of someone else's, the two ways the README gives: the whole
 * pipeline ({@code new HttpFStreamInitializer(store, settings)}) or only the router ({@code
 * ServerContext.of(store, settings).router()}) after the embedder's own codec and aggregator. Either
 * way the composition root builds the protocols over the one store handed in.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EmbeddingTest {
    @TempDir Path root;
    StreamStore store;
    EventLoopGroup group;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void openStore() throws IOException {
        store = new StreamStore(root);
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterEach
    void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        store.close();
    }

    /** Listens on a free loopback port with {@code handler} as each connection's child handler. */
    URI serve(ChannelHandler handler) {
        Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(handler).bind("127.0.0.1", 0).syncUninterruptibly().channel();
        return URI.create("http://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort());
    }

    @Test
    void theWholePipelineServesBothProtocolsOverTheStoreHandedIn() throws Exception {
        URI base = serve(new HttpFStreamInitializer(store, HttpFStreamSettings.defaults()));
        Files.writeString(root.resolve("plain.txt"), "written by hand");

        HttpResponse<String> plain = http.send(HttpRequest.newBuilder(base.resolve("/plain.txt")).build(),
                BodyHandlers.ofString());
        assertThat(plain.statusCode()).isEqualTo(200);
        assertThat(plain.body()).isEqualTo("written by hand");
        assertThat(plain.headers().firstValue("Stream-Next-Offset")).isPresent();

        assertThat(send(base, "PUT", "/ds.txt", "").statusCode()).isEqualTo(201);
        assertThat(send(base, "POST", "/ds.txt", "appended").statusCode()).isEqualTo(204);
        HttpResponse<String> read = send(base, "GET", "/ds.txt?offset=-1", null);
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.body()).isEqualTo("appended");
        assertThat(Files.readString(root.resolve("ds.txt"))).isEqualTo("appended");
    }

    @Test
    void theRouterAloneServesAfterTheEmbeddersOwnCodecAndAggregator() throws Exception {
        ChannelHandler router = ServerContext.of(store, HttpFStreamSettings.defaults()).router();
        URI base = serve(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), router);
            }
        });
        assertThat(send(base, "PUT", "/r.txt", "first").statusCode()).isEqualTo(201);
        HttpResponse<String> read = send(base, "GET", "/r.txt", null);
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.body()).isEqualTo("first");
        // A failure is answered through the one failure map: no such stream is a 404 with its line.
        HttpResponse<String> missing = send(base, "GET", "/missing.txt", null);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).isEqualTo("no such stream: /missing.txt\n");
    }

    private HttpResponse<String> send(URI base, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "text/plain");
        b.method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body, UTF_8));
        return http.send(b.build(), BodyHandlers.ofString());
    }
}
