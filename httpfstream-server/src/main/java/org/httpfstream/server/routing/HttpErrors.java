package org.httpfstream.server.routing;

import static io.netty.handler.codec.http.HttpHeaderNames.CONNECTION;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_LENGTH;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_TYPE;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import org.httpfstream.durable.DurableStreamException;
import org.httpfstream.server.Headers;
import org.httpfstream.store.Offsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes plain-text error responses, and answers a failed request with the status of {@link
 * FailureStatus} (the one map of failures to statuses).
 *
 * <p>Thread safety: stateless.
 */
public final class HttpErrors {
    private static final Logger LOG = LoggerFactory.getLogger(HttpErrors.class);

    private HttpErrors() {}

    /**
     * Answers {@code request} that failed with {@code e}: the status of {@link FailureStatus} with its
     * message (a Durable Streams refusal with the headers its reason carries), or {@code 500} with the
     * failure's type (logged as an error, connection closed). {@code what} names the request in the log,
     * such as {@code "APPEND /a.txt"}; refusals of the original protocol are logged at info.
     */
    public static void fail(ChannelHandlerContext ctx, IOException e, FailureStatus.Operation operation,
            String what, boolean keepAlive) {
        HttpResponseStatus status = FailureStatus.of(e, operation);
        if (status == null) {
            LOG.error("{} failed", what, e);
            send(ctx, HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error: " + e.getClass().getSimpleName(),
                    false);
            return;
        }
        if (e instanceof DurableStreamException d) {
            FullHttpResponse r = response(status, d.getMessage());
            refusalHeaders(r.headers(), d);
            send(ctx, r, keepAlive);
            return;
        }
        if (operation != FailureStatus.Operation.DURABLE && !(e instanceof NoSuchFileException)) {
            LOG.info("{} refused: {} {}", what, status.code(), e.getMessage());
        }
        send(ctx, status, FailureStatus.message(e), keepAlive);
    }

    /** The headers a Durable Streams refusal carries besides its status. */
    private static void refusalHeaders(HttpHeaders h, DurableStreamException e) {
        DurableStreamException.Details d = e.details();
        switch (e.reason()) {
            case CLOSED -> h.set(Headers.STREAM_CLOSED, "true")
                    .set(Headers.NEXT_OFFSET, Offsets.format(d.nextOffset()));
            case OFFSET_MISMATCH -> h.set(Headers.NEXT_OFFSET, Offsets.format(d.nextOffset()));
            case STALE_EPOCH -> h.set(Headers.PRODUCER_EPOCH, d.producerEpoch());
            case SEQUENCE_GAP -> h.set(Headers.PRODUCER_EXPECTED_SEQ, d.expectedSeq())
                    .set(Headers.PRODUCER_RECEIVED_SEQ, d.receivedSeq());
            default -> { }
        }
    }

    /** Writes {@code status} with {@code message} (plus a newline) as a text/plain body. */
    public static void send(ChannelHandlerContext ctx, HttpResponseStatus status, String message,
            boolean keepAlive) {
        send(ctx, response(status, message), keepAlive);
    }

    /** Writes {@code response}; unless {@code keepAlive}, with {@code Connection: close}, then closes. */
    public static void send(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
        if (!keepAlive) {
            response.headers().set(CONNECTION, HttpHeaderValues.CLOSE);
        }
        var future = ctx.writeAndFlush(response);
        if (!keepAlive) {
            future.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** A response of {@code status} with {@code message} (plus a newline) as a text/plain body. */
    public static FullHttpResponse response(HttpResponseStatus status, String message) {
        ByteBuf body = Unpooled.copiedBuffer(message + "\n", StandardCharsets.UTF_8);
        FullHttpResponse response =
                new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        response.headers()
                .set(CONTENT_TYPE, "text/plain; charset=utf-8")
                .set("X-Content-Type-Options", "nosniff")
                .setInt(CONTENT_LENGTH, body.readableBytes());
        return response;
    }
}
