package org.httpfstream.server.connection;

import org.httpfstream.server.HttpFStreamInitializer;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;

/**
 * After the TLS handshake, puts the handlers of the protocol the client chose by ALPN behind the TLS
 * handler: HTTP/2 for {@code h2}, HTTP/1.1 (with WebSocket) for {@code http/1.1} and for clients that
 * offer no ALPN. A failed handshake closes the connection (Netty logs it at debug level).
 *
 * <p>Per channel, not sharable; it leaves the pipeline once the protocol is chosen.
 */
public final class AlpnSelector extends ApplicationProtocolNegotiationHandler {
    private final HttpFStreamInitializer initializer;

    public AlpnSelector(HttpFStreamInitializer initializer) {
        super(ApplicationProtocolNames.HTTP_1_1);
        this.initializer = initializer;
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
        if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
            initializer.addHttp2(ctx.pipeline());
        } else if (ApplicationProtocolNames.HTTP_1_1.equals(protocol)) {
            initializer.addHttp1(ctx.pipeline(), false);
        } else {
            throw new IllegalStateException("unknown ALPN protocol: " + protocol);
        }
    }

    @Override
    protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // a client that does not trust us, or speaks no TLS: nothing to answer
    }
}
