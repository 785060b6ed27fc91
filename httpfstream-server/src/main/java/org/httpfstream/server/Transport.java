package org.httpfstream.server;

import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.SslHandler;

/**
 * What a request's channel is carried over, for the handlers that must know: a cleartext HTTP/1.1
 * connection, a TLS one, or an HTTP/2 stream (whose connection is its channel's parent).
 *
 * <p>Thread safety: stateless; the answers hold for a channel's life once its protocol is chosen.
 */
public final class Transport {
    private Transport() {}

    /**
     * True if a file's bytes may go out on {@code channel} as a {@link io.netty.channel.DefaultFileRegion}:
     * a cleartext HTTP/1.1 connection. TLS must encrypt them and HTTP/2 must frame them, so neither takes a
     * region.
     */
    public static boolean zeroCopy(Channel channel) {
        return !(channel instanceof Http2StreamChannel) && channel.pipeline().get(SslHandler.class) == null;
    }

    /** True if {@code channel} (a connection or an HTTP/2 stream) is encrypted: its URLs are {@code https}. */
    public static boolean secure(Channel channel) {
        Channel connection = channel instanceof Http2StreamChannel && channel.parent() != null
                ? channel.parent() : channel;
        return connection.pipeline().get(SslHandler.class) != null;
    }
}
