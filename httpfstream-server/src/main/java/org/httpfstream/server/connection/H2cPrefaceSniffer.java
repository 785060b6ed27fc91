package org.httpfstream.server.connection;

import org.httpfstream.server.HttpFStreamInitializer;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import java.util.List;

/**
 * Tells cleartext HTTP/2 with prior knowledge (h2c, as proxies and {@code curl --http2-prior-knowledge}
 * speak it) from HTTP/1.1 by a connection's first bytes: the HTTP/2 connection preface {@code PRI *
 * HTTP/2.0\r\n\r\nSM\r\n\r\n} switches the connection to the HTTP/2 handlers ({@link
 * HttpFStreamInitializer#switchToHttp2}); the first byte that differs from it leaves the HTTP/1.1
 * handlers in place. Either way it then leaves the pipeline and hands on the bytes it held (at most the
 * 24 of the preface). An HTTP/1.1 request rarely starts with {@code P} ({@code PUT}, {@code POST}, {@code
 * PATCH}), and then it differs by the second or third byte.
 *
 * <p>Per channel, not sharable; confined to the channel's event loop.
 */
public final class H2cPrefaceSniffer extends ByteToMessageDecoder {
    private static final ByteBuf PREFACE = Http2CodecUtil.connectionPrefaceBuf();

    private final HttpFStreamInitializer initializer;

    public H2cPrefaceSniffer(HttpFStreamInitializer initializer) {
        this.initializer = initializer;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int n = Math.min(in.readableBytes(), PREFACE.readableBytes());
        for (int i = 0; i < n; i++) {
            if (in.getByte(in.readerIndex() + i) != PREFACE.getByte(PREFACE.readerIndex() + i)) {
                ctx.pipeline().remove(this); // HTTP/1.1: the held bytes go on to its codec
                return;
            }
        }
        if (n == PREFACE.readableBytes()) {
            initializer.switchToHttp2(ctx.pipeline());
            ctx.pipeline().remove(this); // the preface and what follows go on to the HTTP/2 codec
        }
    }
}
